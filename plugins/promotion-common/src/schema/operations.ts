import { z } from 'zod';
import {
  auditCheckpointSchema,
  auditEventPageSchema,
  breakGlassSchema,
  chainVerificationSchema,
  checklistCompletionSchema,
  gateResultSchema,
  promotionRequestSchema,
  rollbackResultSchema,
  signOffSchema,
  standingApprovalSchema,
} from './model';
import {
  auditEventsQuerySchema,
  auditExportQuerySchema,
  breakGlassDecisionRequestSchema,
  breakGlassParamsSchema,
  checklistItemParamsSchema,
  closeBreakGlassReviewRequestSchema,
  declareBreakGlassRequestSchema,
  completeChecklistItemRequestSchema,
  createPromotionRequestRequestSchema,
  decisionRequestSchema,
  deploymentParamsSchema,
  editPromotionRequestRequestSchema,
  environmentParamsSchema,
  flowParamsSchema,
  gateQuerySchema,
  insightsQuerySchema,
  pageQuerySchema,
  recordDeploymentRequestSchema,
  requestParamsSchema,
  revokeRequestSchema,
  rollbackRequestSchema,
  signOffRequestSchema,
  verificationReportQuerySchema,
  versionQuerySchema,
  withdrawRequestSchema,
} from './requests';
import {
  breakGlassInboxSchema,
  deploymentTrailSchema,
  flowPermissionsSchema,
  flowStateSchema,
  healthSchema,
  inboxResponseSchema,
  insightsSchema,
  recordDeploymentResponseSchema,
  verificationReportSchema,
} from './views';

/*
 * The REST API of Promotion, one row per operation: method, path, who may
 * call it, the schemas of its path parameters, query, body and responses.
 * The backend's router registers exactly these routes and validates with
 * these schemas, and its OpenAPI document (`/api/promotion/openapi.json`)
 * is generated from this table. Paths are relative to the plugin's base URL
 * (`/api/promotion`); a flow is addressed by its catalog entity ref split
 * into `:namespace/:kind/:name` (lower-case kind, e.g.
 * `default/component/payments-sftp`).
 */

/** Who may call an operation: anyone, signed-in users, or users and services (pipelines). */
export type PromotionApiAccess = 'public' | 'user' | 'user-or-service';

/** One response of an operation. */
export interface PromotionApiResponse {
  description: string;
  /** The JSON body; absent for empty and non-JSON answers. */
  schema?: z.ZodType;
  /** Defaults to application/json when there is a schema. */
  contentTypes?: string[];
}

/** One operation of the REST API. */
export interface PromotionApiOperation {
  method: 'get' | 'post' | 'patch' | 'delete';
  /** Express-style path (`/flows/:namespace/:kind/:name`). */
  path: string;
  summary: string;
  tag: 'Health' | 'Flows' | 'Requests' | 'Audit';
  access: PromotionApiAccess;
  params?: z.ZodObject;
  query?: z.ZodObject;
  body?: z.ZodType;
  /** The success responses by status. */
  responses: Record<number, PromotionApiResponse>;
  /** Error statuses the operation answers with, beyond 400, 401 and 403. */
  errors?: number[];
}

const FLOW = '/flows/:namespace/:kind/:name';
const ENVIRONMENT = `${FLOW}/environments/:environment`;

const checklistItemOperations = (
  segment: 'checklist' | 'post-deployment',
  what: string,
) =>
  ({
    complete: {
      method: 'post',
      path: `${ENVIRONMENT}/${segment}/:itemId`,
      summary: `Complete a ${what}; a pipeline attests an item declared \`attestedBy: pipeline\` or \`both\`, with an evidence link and a short result`,
      tag: 'Flows',
      // Pipelines attest items declared `attestedBy: pipeline` or `both`.
      access: 'user-or-service',
      params: checklistItemParamsSchema,
      body: completeChecklistItemRequestSchema,
      responses: {
        201: { description: 'Completed', schema: checklistCompletionSchema },
      },
      errors: [404, 409],
    },
    undo: {
      method: 'delete',
      path: `${ENVIRONMENT}/${segment}/:itemId`,
      summary: `Undo a ${what}`,
      tag: 'Flows',
      access: 'user',
      params: checklistItemParamsSchema,
      query: versionQuerySchema,
      responses: { 204: { description: 'Undone' } },
      errors: [404, 409],
    },
  } satisfies Record<string, PromotionApiOperation>);

const checklist = checklistItemOperations(
  'checklist',
  'validation checklist item',
);
const postDeployment = checklistItemOperations(
  'post-deployment',
  'post-deployment checklist item',
);

/** Every operation of the REST API, by operationId. */
export const promotionApiOperations = {
  getHealth: {
    method: 'get',
    path: '/health',
    summary: 'Whether the plugin is up',
    tag: 'Health',
    access: 'public',
    responses: { 200: { description: 'Up', schema: healthSchema } },
  },
  getOpenApiDocument: {
    method: 'get',
    path: '/openapi.json',
    summary: 'This document',
    tag: 'Health',
    access: 'public',
    responses: { 200: { description: 'The OpenAPI 3.1 document' } },
  },
  getFlowState: {
    method: 'get',
    path: FLOW,
    summary: 'The ladder of a flow: versions, checklists, approvals, next gate',
    tag: 'Flows',
    access: 'user-or-service',
    params: flowParamsSchema,
    responses: { 200: { description: 'The flow', schema: flowStateSchema } },
    errors: [404],
  },
  getGate: {
    method: 'get',
    path: `${FLOW}/gate`,
    summary: 'May version V of the flow go to environment E?',
    tag: 'Flows',
    access: 'user-or-service',
    params: flowParamsSchema,
    query: gateQuerySchema,
    responses: {
      200: {
        description: 'The gate, with its unmet conditions in plain words',
        schema: gateResultSchema,
      },
    },
    errors: [404],
  },
  getFlowPermissions: {
    method: 'get',
    path: `${FLOW}/permissions`,
    summary: 'What the caller may do on the flow, with reasons',
    tag: 'Flows',
    access: 'user',
    params: flowParamsSchema,
    responses: {
      200: { description: 'The answers', schema: flowPermissionsSchema },
    },
    errors: [404],
  },
  listFlowEvents: {
    method: 'get',
    path: `${FLOW}/events`,
    summary: 'The audit events of the flow, newest first',
    tag: 'Flows',
    access: 'user',
    params: flowParamsSchema,
    query: pageQuerySchema,
    responses: {
      200: { description: 'One page', schema: auditEventPageSchema },
    },
    errors: [404],
  },
  recordDeployment: {
    method: 'post',
    path: `${FLOW}/deployments`,
    summary:
      'Record a deployment; never refused, flagged as a violation when the gate was closed',
    tag: 'Flows',
    access: 'user-or-service',
    params: flowParamsSchema,
    body: recordDeploymentRequestSchema,
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
  getDeploymentTrail: {
    method: 'get',
    path: `${FLOW}/deployments/:deploymentId/trail`,
    summary:
      'Who requested, approved, validated and signed off what let a deployment in, with the audit events that record each',
    tag: 'Flows',
    access: 'user-or-service',
    params: deploymentParamsSchema,
    responses: {
      200: { description: 'The trail', schema: deploymentTrailSchema },
    },
    errors: [404],
  },
  recordRollback: {
    method: 'post',
    path: `${FLOW}/rollbacks`,
    summary:
      'Record a rollback; revokes the standing approval and notifies the approvers',
    tag: 'Flows',
    access: 'user-or-service',
    params: flowParamsSchema,
    body: rollbackRequestSchema,
    responses: {
      201: { description: 'Recorded', schema: rollbackResultSchema },
    },
    errors: [404, 409],
  },
  createPromotionRequest: {
    method: 'post',
    path: `${FLOW}/requests`,
    summary: 'Request approval for a version into an environment',
    tag: 'Requests',
    access: 'user',
    params: flowParamsSchema,
    body: createPromotionRequestRequestSchema,
    responses: {
      201: { description: 'Created', schema: promotionRequestSchema },
    },
    errors: [404, 409],
  },
  declareBreakGlass: {
    method: 'post',
    path: `${FLOW}/break-glass`,
    summary:
      'Declare a break-glass: an emergency deployment of a version past a closed gate, with a reason and an incident link',
    tag: 'Flows',
    access: 'user',
    params: flowParamsSchema,
    body: declareBreakGlassRequestSchema,
    responses: {
      201: { description: 'Declared', schema: breakGlassSchema },
    },
    errors: [404, 409],
  },
  decideBreakGlass: {
    method: 'post',
    path: `${FLOW}/break-glass/:breakGlassId/decisions`,
    summary:
      'Approve or reject a break-glass declaration, as an approver of its environment who did not declare it',
    tag: 'Flows',
    access: 'user',
    params: breakGlassParamsSchema,
    body: breakGlassDecisionRequestSchema,
    responses: {
      200: { description: 'The decided declaration', schema: breakGlassSchema },
    },
    errors: [404, 409],
  },
  closeBreakGlassReview: {
    method: 'post',
    path: `${FLOW}/break-glass/:breakGlassId/review`,
    summary:
      'Close the retrospective review of a used break-glass, as an approver of its environment, with a comment',
    tag: 'Flows',
    access: 'user',
    params: breakGlassParamsSchema,
    body: closeBreakGlassReviewRequestSchema,
    responses: {
      200: {
        description: 'The reviewed declaration',
        schema: breakGlassSchema,
      },
    },
    errors: [404, 409],
  },
  completeChecklistItem: checklist.complete,
  undoChecklistItem: checklist.undo,
  completePostDeploymentItem: postDeployment.complete,
  undoPostDeploymentItem: postDeployment.undo,
  signOff: {
    method: 'post',
    path: `${ENVIRONMENT}/sign-offs`,
    summary: "Sign off an environment's results for a version",
    tag: 'Flows',
    access: 'user',
    params: environmentParamsSchema,
    body: signOffRequestSchema,
    responses: { 201: { description: 'Signed off', schema: signOffSchema } },
    errors: [404, 409],
  },
  revokeStandingApproval: {
    method: 'post',
    path: `${ENVIRONMENT}/standing-approval/revoke`,
    summary: 'Revoke the standing approval of an environment',
    tag: 'Flows',
    access: 'user',
    params: environmentParamsSchema,
    body: revokeRequestSchema,
    responses: {
      200: {
        description:
          'The revoked standing approvals (empty when there was none)',
        schema: z.array(standingApprovalSchema),
      },
    },
    errors: [404, 409],
  },
  getPromotionRequest: {
    method: 'get',
    path: '/requests/:id',
    summary: 'A promotion request with its decisions',
    tag: 'Requests',
    // Pipelines read a request's status while they wait for a decision.
    access: 'user-or-service',
    params: requestParamsSchema,
    responses: {
      200: { description: 'The request', schema: promotionRequestSchema },
    },
    errors: [404],
  },
  editPromotionRequest: {
    method: 'patch',
    path: '/requests/:id',
    summary: 'Edit the dossier (requester only); voids earlier approvals',
    tag: 'Requests',
    access: 'user',
    params: requestParamsSchema,
    body: editPromotionRequestRequestSchema,
    responses: {
      200: {
        description: 'The edited request',
        schema: promotionRequestSchema,
      },
    },
    errors: [404, 409],
  },
  withdrawPromotionRequest: {
    method: 'post',
    path: '/requests/:id/withdraw',
    summary: 'Withdraw a pending request (requester only)',
    tag: 'Requests',
    access: 'user',
    params: requestParamsSchema,
    body: withdrawRequestSchema,
    responses: {
      200: {
        description: 'The withdrawn request',
        schema: promotionRequestSchema,
      },
    },
    errors: [404, 409],
  },
  decidePromotionRequest: {
    method: 'post',
    path: '/requests/:id/decisions',
    summary: 'Approve or reject a request, with a written comment',
    tag: 'Requests',
    access: 'user',
    params: requestParamsSchema,
    body: decisionRequestSchema,
    responses: {
      200: {
        description: 'The request after the decision',
        schema: promotionRequestSchema,
      },
    },
    errors: [404, 409],
  },
  getInbox: {
    method: 'get',
    path: '/inbox',
    summary: 'Pending requests, across all flows, the caller may approve',
    tag: 'Requests',
    access: 'user',
    responses: {
      200: { description: 'The inbox', schema: inboxResponseSchema },
    },
  },
  getBreakGlassInbox: {
    method: 'get',
    path: '/break-glass',
    summary:
      'Break-glass declarations, across all flows, waiting for the caller’s approval or retrospective review',
    tag: 'Requests',
    access: 'user',
    responses: {
      200: { description: 'The declarations', schema: breakGlassInboxSchema },
    },
  },
  listAuditEvents: {
    method: 'get',
    path: '/audit/events',
    summary: 'The whole audit trail, newest first',
    tag: 'Audit',
    access: 'user',
    query: auditEventsQuerySchema,
    responses: {
      200: { description: 'One page', schema: auditEventPageSchema },
    },
  },
  exportAuditEvents: {
    method: 'get',
    path: '/audit/export',
    summary: 'The audit trail as a CSV or NDJSON download, oldest first',
    tag: 'Audit',
    access: 'user',
    query: auditExportQuerySchema,
    responses: {
      200: {
        description: 'The export',
        contentTypes: ['text/csv', 'application/x-ndjson'],
      },
    },
  },
  verifyAuditChain: {
    method: 'get',
    path: '/audit/verify',
    summary:
      'Verify the keyed audit chains in one snapshot, listing every break',
    tag: 'Audit',
    access: 'user',
    responses: {
      200: { description: 'The verification', schema: chainVerificationSchema },
    },
  },
  verifyAuditChainAgainstCheckpoint: {
    method: 'post',
    path: '/audit/verify',
    summary:
      'Verify the audit trail and, against a checkpoint kept outside the database, that no chain was truncated or rewritten since',
    tag: 'Audit',
    access: 'user',
    body: auditCheckpointSchema,
    responses: {
      200: { description: 'The verification', schema: chainVerificationSchema },
    },
  },
  createAuditCheckpoint: {
    method: 'post',
    path: '/audit/checkpoints',
    summary:
      'Sign a checkpoint of every flow chain head, for an auditor to keep outside the database',
    tag: 'Audit',
    access: 'user',
    responses: {
      201: {
        description: 'The signed checkpoint',
        schema: auditCheckpointSchema,
      },
    },
  },
  getVerificationReport: {
    method: 'get',
    path: '/reports/verification',
    summary: 'The verification list over a time range (JSON or CSV)',
    tag: 'Audit',
    access: 'user',
    query: verificationReportQuerySchema,
    responses: {
      200: {
        description: 'The report',
        schema: verificationReportSchema,
        contentTypes: ['application/json', 'text/csv'],
      },
    },
  },
  getInsights: {
    method: 'get',
    path: '/insights',
    summary:
      'Governance insights over a time range, for the portal or one flow: approval lead time, Dev to Production time, Production deployments, change failure rate, violations and break-glass uses per week, and the requests waiting now (JSON or CSV)',
    tag: 'Audit',
    access: 'user',
    query: insightsQuerySchema,
    responses: {
      200: {
        description: 'The insights',
        schema: insightsSchema,
        contentTypes: ['application/json', 'text/csv'],
      },
    },
  },
} satisfies Record<string, PromotionApiOperation>;

/** The operationIds of the REST API. */
export type PromotionApiOperationId = keyof typeof promotionApiOperations;

type Operations = typeof promotionApiOperations;

type Parsed<T> = T extends z.ZodType ? z.output<T> : undefined;

/** The path parameters, query and body of an operation, as validated. */
export interface PromotionApiRequestInput<K extends PromotionApiOperationId> {
  params: Parsed<Operations[K] extends { params: infer P } ? P : undefined>;
  query: Parsed<Operations[K] extends { query: infer Q } ? Q : undefined>;
  body: Parsed<Operations[K] extends { body: infer B } ? B : undefined>;
}
