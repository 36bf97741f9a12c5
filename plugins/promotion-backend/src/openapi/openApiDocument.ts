import { z } from 'zod';
import {
  auditEventsQuery,
  auditExportQuery,
  checklistItemParams,
  completeChecklistItemBody,
  createRequestBody,
  decisionBody,
  deploymentParams,
  dossierSchema,
  editRequestBody,
  environmentParams,
  flowParams,
  gateQuery,
  pageQuery,
  recordDeploymentBody,
  requestParams,
  revokeBody,
  rollbackBody,
  signOffBody,
  verificationReportQuery,
  versionQuery,
  withdrawBody,
} from '../service/schemas';
import {
  auditEventPageSchema,
  auditEventSchema,
  chainVerificationSchema,
  checklistCompletionSchema,
  decisionSchema,
  deploymentSchema,
  deploymentTrailSchema,
  errorSchema,
  flowPermissionsSchema,
  flowStateSchema,
  gateConditionSchema,
  gateResultSchema,
  healthSchema,
  inboxResponseSchema,
  promotionPolicySchema,
  promotionRequestSchema,
  recordDeploymentResponseSchema,
  rollbackResultSchema,
  signOffSchema,
  standingApprovalSchema,
  verificationReportSchema,
} from './responseSchemas';

/** Who may call an operation. */
type Access = 'public' | 'user' | 'user-or-service';

interface ResponseSpec {
  description: string;
  schema?: z.ZodType;
  /** Defaults to application/json. */
  contentTypes?: string[];
}

interface OperationSpec {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Express-style path, as the router declares it. */
  path: string;
  operationId: string;
  summary: string;
  tag: 'Health' | 'Flows' | 'Requests' | 'Audit';
  access: Access;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  responses: Record<number, ResponseSpec>;
  /** Error statuses the operation answers with, beyond 400/401/403. */
  errors?: number[];
}

/** Every schema that gets a name under components.schemas. */
const COMPONENTS: Array<[z.ZodType, string]> = [
  [recordDeploymentBody, 'RecordDeploymentRequest'],
  [completeChecklistItemBody, 'CompleteChecklistItemRequest'],
  [signOffBody, 'SignOffRequest'],
  [dossierSchema, 'Dossier'],
  [createRequestBody, 'CreatePromotionRequestRequest'],
  [editRequestBody, 'EditPromotionRequestRequest'],
  [withdrawBody, 'WithdrawRequest'],
  [decisionBody, 'DecisionRequest'],
  [revokeBody, 'RevokeRequest'],
  [rollbackBody, 'RollbackRequest'],
  [gateConditionSchema, 'GateCondition'],
  [gateResultSchema, 'GateResult'],
  [deploymentSchema, 'Deployment'],
  [recordDeploymentResponseSchema, 'RecordDeploymentResponse'],
  [deploymentTrailSchema, 'DeploymentTrail'],
  [checklistCompletionSchema, 'ChecklistCompletion'],
  [signOffSchema, 'SignOff'],
  [decisionSchema, 'Decision'],
  [promotionRequestSchema, 'PromotionRequest'],
  [standingApprovalSchema, 'StandingApproval'],
  [rollbackResultSchema, 'RollbackResult'],
  [promotionPolicySchema, 'PromotionPolicy'],
  [flowStateSchema, 'FlowState'],
  [auditEventSchema, 'AuditEvent'],
  [auditEventPageSchema, 'AuditEventPage'],
  [chainVerificationSchema, 'ChainVerification'],
  [verificationReportSchema, 'VerificationReport'],
  [inboxResponseSchema, 'InboxResponse'],
  [flowPermissionsSchema, 'FlowPermissions'],
  [healthSchema, 'Health'],
  [errorSchema, 'Error'],
];

const FLOW = '/flows/:namespace/:kind/:name';
const ENVIRONMENT = `${FLOW}/environments/:environment`;

const OPERATIONS: OperationSpec[] = [
  {
    method: 'get',
    path: '/health',
    operationId: 'getHealth',
    summary: 'Whether the plugin is up',
    tag: 'Health',
    access: 'public',
    responses: { 200: { description: 'Up', schema: healthSchema } },
  },
  {
    method: 'get',
    path: '/openapi.json',
    operationId: 'getOpenApiDocument',
    summary: 'This document',
    tag: 'Health',
    access: 'public',
    responses: { 200: { description: 'The OpenAPI 3.1 document' } },
  },
  {
    method: 'get',
    path: FLOW,
    operationId: 'getFlowState',
    summary: 'The ladder of a flow: versions, checklists, approvals, next gate',
    tag: 'Flows',
    access: 'user-or-service',
    params: flowParams,
    responses: { 200: { description: 'The flow', schema: flowStateSchema } },
    errors: [404],
  },
  {
    method: 'get',
    path: `${FLOW}/gate`,
    operationId: 'getGate',
    summary: 'May version V of the flow go to environment E?',
    tag: 'Flows',
    access: 'user-or-service',
    params: flowParams,
    query: gateQuery,
    responses: {
      200: {
        description: 'The gate, with its unmet conditions in plain words',
        schema: gateResultSchema,
      },
    },
    errors: [404],
  },
  {
    method: 'get',
    path: `${FLOW}/permissions`,
    operationId: 'getFlowPermissions',
    summary: 'What the caller may do on the flow, with reasons',
    tag: 'Flows',
    access: 'user',
    params: flowParams,
    responses: {
      200: { description: 'The answers', schema: flowPermissionsSchema },
    },
    errors: [404],
  },
  {
    method: 'get',
    path: `${FLOW}/events`,
    operationId: 'listFlowEvents',
    summary: 'The audit events of the flow, newest first',
    tag: 'Flows',
    access: 'user',
    params: flowParams,
    query: pageQuery,
    responses: {
      200: { description: 'One page', schema: auditEventPageSchema },
    },
    errors: [404],
  },
  {
    method: 'post',
    path: `${FLOW}/deployments`,
    operationId: 'recordDeployment',
    summary:
      'Record a deployment; never refused, flagged as a violation when the gate was closed',
    tag: 'Flows',
    access: 'user-or-service',
    params: flowParams,
    body: recordDeploymentBody,
    responses: {
      201: {
        description: 'Recorded',
        schema: recordDeploymentResponseSchema,
      },
      200: {
        description: 'Replayed: the same idempotency key and content',
        schema: recordDeploymentResponseSchema,
      },
    },
    errors: [404, 409],
  },
  {
    method: 'get',
    path: `${FLOW}/deployments/:deploymentId/trail`,
    operationId: 'getDeploymentTrail',
    summary:
      'Who requested, approved, validated and signed off what let a deployment in, with the audit events that record each',
    tag: 'Flows',
    access: 'user-or-service',
    params: deploymentParams,
    responses: {
      200: { description: 'The trail', schema: deploymentTrailSchema },
    },
    errors: [404],
  },
  {
    method: 'post',
    path: `${FLOW}/rollbacks`,
    operationId: 'recordRollback',
    summary:
      'Record a rollback; revokes the standing approval and notifies the approvers',
    tag: 'Flows',
    access: 'user-or-service',
    params: flowParams,
    body: rollbackBody,
    responses: {
      201: { description: 'Recorded', schema: rollbackResultSchema },
    },
    errors: [404, 409],
  },
  {
    method: 'post',
    path: `${FLOW}/requests`,
    operationId: 'createPromotionRequest',
    summary: 'Request approval for a version into an environment',
    tag: 'Requests',
    access: 'user',
    params: flowParams,
    body: createRequestBody,
    responses: {
      201: { description: 'Created', schema: promotionRequestSchema },
    },
    errors: [404, 409],
  },
  ...(['checklist', 'post-deployment'] as const).flatMap(
    (segment): OperationSpec[] => {
      const name = segment === 'checklist' ? 'Checklist' : 'PostDeployment';
      const what =
        segment === 'checklist'
          ? 'validation checklist item'
          : 'post-deployment checklist item';
      return [
        {
          method: 'post',
          path: `${ENVIRONMENT}/${segment}/:itemId`,
          operationId: `complete${name}Item`,
          summary: `Complete a ${what}`,
          tag: 'Flows',
          access: 'user',
          params: checklistItemParams,
          body: completeChecklistItemBody,
          responses: {
            201: {
              description: 'Completed',
              schema: checklistCompletionSchema,
            },
          },
          errors: [404, 409],
        },
        {
          method: 'delete',
          path: `${ENVIRONMENT}/${segment}/:itemId`,
          operationId: `undo${name}Item`,
          summary: `Undo a ${what}`,
          tag: 'Flows',
          access: 'user',
          params: checklistItemParams,
          query: versionQuery,
          responses: { 204: { description: 'Undone' } },
          errors: [404, 409],
        },
      ];
    },
  ),
  {
    method: 'post',
    path: `${ENVIRONMENT}/sign-offs`,
    operationId: 'signOff',
    summary: "Sign off an environment's results for a version",
    tag: 'Flows',
    access: 'user',
    params: environmentParams,
    body: signOffBody,
    responses: { 201: { description: 'Signed off', schema: signOffSchema } },
    errors: [404, 409],
  },
  {
    method: 'post',
    path: `${ENVIRONMENT}/standing-approval/revoke`,
    operationId: 'revokeStandingApproval',
    summary: 'Revoke the standing approval of an environment',
    tag: 'Flows',
    access: 'user',
    params: environmentParams,
    body: revokeBody,
    responses: {
      200: {
        description:
          'The revoked standing approvals (empty when there was none)',
        schema: z.array(standingApprovalSchema),
      },
    },
    errors: [404, 409],
  },
  {
    method: 'get',
    path: '/requests/:id',
    operationId: 'getPromotionRequest',
    summary: 'A promotion request with its decisions',
    tag: 'Requests',
    // Pipelines read a request's status while they wait for a decision.
    access: 'user-or-service',
    params: requestParams,
    responses: {
      200: { description: 'The request', schema: promotionRequestSchema },
    },
    errors: [404],
  },
  {
    method: 'patch',
    path: '/requests/:id',
    operationId: 'editPromotionRequest',
    summary: 'Edit the dossier (requester only); voids earlier approvals',
    tag: 'Requests',
    access: 'user',
    params: requestParams,
    body: editRequestBody,
    responses: {
      200: {
        description: 'The edited request',
        schema: promotionRequestSchema,
      },
    },
    errors: [404, 409],
  },
  {
    method: 'post',
    path: '/requests/:id/withdraw',
    operationId: 'withdrawPromotionRequest',
    summary: 'Withdraw a pending request (requester only)',
    tag: 'Requests',
    access: 'user',
    params: requestParams,
    body: withdrawBody,
    responses: {
      200: {
        description: 'The withdrawn request',
        schema: promotionRequestSchema,
      },
    },
    errors: [404, 409],
  },
  {
    method: 'post',
    path: '/requests/:id/decisions',
    operationId: 'decidePromotionRequest',
    summary: 'Approve or reject a request, with a written comment',
    tag: 'Requests',
    access: 'user',
    params: requestParams,
    body: decisionBody,
    responses: {
      200: {
        description: 'The request after the decision',
        schema: promotionRequestSchema,
      },
    },
    errors: [404, 409],
  },
  {
    method: 'get',
    path: '/inbox',
    operationId: 'getInbox',
    summary: 'Pending requests, across all flows, the caller may approve',
    tag: 'Requests',
    access: 'user',
    responses: {
      200: { description: 'The inbox', schema: inboxResponseSchema },
    },
  },
  {
    method: 'get',
    path: '/audit/events',
    operationId: 'listAuditEvents',
    summary: 'The whole audit trail, newest first',
    tag: 'Audit',
    access: 'user',
    query: auditEventsQuery,
    responses: {
      200: { description: 'One page', schema: auditEventPageSchema },
    },
  },
  {
    method: 'get',
    path: '/audit/export',
    operationId: 'exportAuditEvents',
    summary: 'The audit trail as a CSV or NDJSON download, oldest first',
    tag: 'Audit',
    access: 'user',
    query: auditExportQuery,
    responses: {
      200: {
        description: 'The export',
        contentTypes: ['text/csv', 'application/x-ndjson'],
      },
    },
  },
  {
    method: 'get',
    path: '/audit/verify',
    operationId: 'verifyAuditChain',
    summary: 'Recompute the hash chain of the audit trail',
    tag: 'Audit',
    access: 'user',
    responses: {
      200: { description: 'The verification', schema: chainVerificationSchema },
    },
  },
  {
    method: 'get',
    path: '/reports/verification',
    operationId: 'getVerificationReport',
    summary: 'The verification list over a time range (JSON or CSV)',
    tag: 'Audit',
    access: 'user',
    query: verificationReportQuery,
    responses: {
      200: {
        description: 'The report',
        schema: verificationReportSchema,
        contentTypes: ['application/json', 'text/csv'],
      },
    },
  },
];

const ERROR_DESCRIPTIONS: Record<number, string> = {
  400: 'Invalid input; the message names the field',
  401: 'Missing or invalid credentials',
  403: 'Not allowed; the message gives the reason',
  404: 'Unknown entity, entity not opted in, or unknown request or deployment',
  409: 'Conflicts with the current state (a lost race, a duplicate, a wait that has not passed)',
};

function ref(id: string) {
  return { $ref: `#/components/schemas/${id}` };
}

function toOpenApiPath(path: string): string {
  return path.replace(/:([A-Za-z]+)/g, '{$1}');
}

/** Builds the OpenAPI 3.1 document from the zod schemas the router validates with. */
export function buildOpenApiDocument(): Record<string, unknown> {
  const registry = z.registry<{ id: string }>();
  const ids = new Map<z.ZodType, string>();
  for (const [schema, id] of COMPONENTS) {
    registry.add(schema, { id });
    ids.set(schema, id);
  }
  const { schemas } = z.toJSONSchema(registry, {
    target: 'draft-2020-12',
    io: 'input',
    unrepresentable: 'any',
    uri: id => `#/components/schemas/${id}`,
  }) as { schemas: Record<string, Record<string, unknown>> };
  for (const schema of Object.values(schemas)) {
    delete schema.$schema;
    delete schema.$id;
  }

  const inline = (schema: z.ZodType) => {
    const id = ids.get(schema);
    if (id) {
      return ref(id);
    }
    const { $schema: _ignored, ...json } = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io: 'input',
      unrepresentable: 'any',
    }) as Record<string, unknown>;
    return json;
  };

  const parameters = (
    schema: z.ZodObject | undefined,
    where: 'path' | 'query',
  ) =>
    Object.entries(schema?.shape ?? {}).map(([name, field]) => {
      const fieldSchema = field as z.ZodType;
      const json = inline(fieldSchema) as Record<string, unknown>;
      const { description, ...rest } = json;
      return {
        name,
        in: where,
        required: where === 'path' || !fieldSchema.safeParse(undefined).success,
        ...(description ? { description } : {}),
        schema: rest,
      };
    });

  const paths: Record<string, Record<string, unknown>> = {};
  for (const op of OPERATIONS) {
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(op.responses)) {
      const contentTypes =
        response.contentTypes ?? (response.schema ? ['application/json'] : []);
      responses[status] = {
        description: response.description,
        ...(contentTypes.length > 0 && {
          content: Object.fromEntries(
            contentTypes.map(type => [
              type,
              type === 'application/json' && response.schema
                ? { schema: inline(response.schema) }
                : { schema: { type: 'string' } },
            ]),
          ),
        }),
      };
    }
    const errors =
      op.access === 'public'
        ? []
        : [
            ...(op.params || op.query || op.body ? [400] : []),
            401,
            403,
            ...(op.errors ?? []),
          ];
    for (const status of errors) {
      responses[String(status)] = {
        description: ERROR_DESCRIPTIONS[status],
        content: { 'application/json': { schema: ref('Error') } },
      };
    }

    const path = toOpenApiPath(op.path);
    paths[path] = {
      ...paths[path],
      [op.method]: {
        operationId: op.operationId,
        summary: op.summary,
        tags: [op.tag],
        ...(op.access === 'public'
          ? { security: [] }
          : {
              description:
                op.access === 'user-or-service'
                  ? 'Users and services (pipelines) may call this.'
                  : 'Users only.',
            }),
        parameters: [
          ...parameters(op.params, 'path'),
          ...parameters(op.query, 'query'),
        ],
        ...(op.body && {
          requestBody: {
            required: true,
            content: { 'application/json': { schema: inline(op.body) } },
          },
        }),
        responses,
      },
    };
  }

  return {
    openapi: '3.1.0',
    info: {
      title: 'Promotion',
      version: '1',
      description:
        'Release governance for Backstage: the environment ladder, its gates, checklists, sign-offs, approvals, rollbacks and the tamper-evident audit trail. Paths are relative to the plugin base URL, /api/promotion.',
    },
    servers: [{ url: '/api/promotion' }],
    security: [{ bearerAuth: [] }],
    tags: [
      { name: 'Health' },
      { name: 'Flows' },
      { name: 'Requests' },
      { name: 'Audit' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A Backstage user token, or a service token for pipelines',
        },
      },
      schemas,
    },
  };
}
