import {
  auditEventPageSchema,
  auditEventSchema,
  chainVerificationSchema,
  checklistCompletionSchema,
  completeChecklistItemRequestSchema,
  createPromotionRequestRequestSchema,
  decisionRequestSchema,
  decisionSchema,
  deploymentSchema,
  deploymentTrailSchema,
  dossierSchema,
  editPromotionRequestRequestSchema,
  errorResponseSchema,
  flowPermissionsSchema,
  flowStateSchema,
  gateConditionSchema,
  gateResultSchema,
  healthSchema,
  inboxResponseSchema,
  PromotionApiOperation,
  promotionApiOperations,
  promotionPolicySchema,
  promotionRequestSchema,
  recordDeploymentRequestSchema,
  recordDeploymentResponseSchema,
  revokeRequestSchema,
  rollbackRequestSchema,
  rollbackResultSchema,
  signOffRequestSchema,
  signOffSchema,
  standingApprovalSchema,
  verificationReportSchema,
  withdrawRequestSchema,
} from '@promotion/plugin-promotion-common';
import { z } from 'zod';

/*
 * The OpenAPI 3.1 document of the REST API, generated from the contract in
 * promotion-common: the operation table `promotionApiOperations` and its zod
 * schemas. The router serves it at `/openapi.json`; `openapi.json` next to
 * this file is the committed copy, which a test keeps equal to what this
 * builder generates.
 */

/** Every schema that gets a name under components.schemas. */
const COMPONENTS: Array<[z.ZodType, string]> = [
  [recordDeploymentRequestSchema, 'RecordDeploymentRequest'],
  [completeChecklistItemRequestSchema, 'CompleteChecklistItemRequest'],
  [signOffRequestSchema, 'SignOffRequest'],
  [dossierSchema, 'Dossier'],
  [createPromotionRequestRequestSchema, 'CreatePromotionRequestRequest'],
  [editPromotionRequestRequestSchema, 'EditPromotionRequestRequest'],
  [withdrawRequestSchema, 'WithdrawRequest'],
  [decisionRequestSchema, 'DecisionRequest'],
  [revokeRequestSchema, 'RevokeRequest'],
  [rollbackRequestSchema, 'RollbackRequest'],
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
  [errorResponseSchema, 'Error'],
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

/** Builds the OpenAPI 3.1 document from the operation table and its zod schemas. */
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
  for (const [operationId, op] of Object.entries(
    promotionApiOperations,
  ) as Array<[string, PromotionApiOperation]>) {
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
        operationId,
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
