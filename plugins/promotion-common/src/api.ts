import type { z } from 'zod';
import type {
  auditEventPageSchema,
  breakGlassDecisionRequestSchema,
  breakGlassInboxItemSchema,
  breakGlassInboxSchema,
  closeBreakGlassReviewRequestSchema,
  declareBreakGlassRequestSchema,
  completeChecklistItemRequestSchema,
  createPromotionRequestRequestSchema,
  decisionRequestSchema,
  editPromotionRequestRequestSchema,
  flowPermissionsSchema,
  inboxItemSchema,
  inboxResponseSchema,
  permissionAnswerSchema,
  recordDeploymentRequestSchema,
  recordDeploymentResponseSchema,
  revokeRequestSchema,
  rollbackRequestSchema,
  signOffRequestSchema,
  withdrawRequestSchema,
} from './schema';

/*
 * The request and response types of the REST API between promotion-backend,
 * the frontend client and the pipeline CLI, inferred from the zod schemas of
 * `./schema`. The operations themselves (method, path, who may call, which
 * schemas) are the table `promotionApiOperations` in `./schema/operations.ts`;
 * the backend serves it as an OpenAPI 3.1 document at
 * `/api/promotion/openapi.json`.
 *
 * Request types are what the backend works with once a request is validated
 * (defaults applied, strings trimmed).
 */

export type RecordDeploymentRequest = z.infer<
  typeof recordDeploymentRequestSchema
>;

/** What recording a deployment answers: 201 when recorded, 200 when replayed. */
export type RecordDeploymentResponse = z.infer<
  typeof recordDeploymentResponseSchema
>;

export type CompleteChecklistItemRequest = z.infer<
  typeof completeChecklistItemRequestSchema
>;

export type SignOffRequest = z.infer<typeof signOffRequestSchema>;

export type CreatePromotionRequestRequest = z.infer<
  typeof createPromotionRequestRequestSchema
>;

export type EditPromotionRequestRequest = z.infer<
  typeof editPromotionRequestRequestSchema
>;

export type WithdrawRequest = z.infer<typeof withdrawRequestSchema>;

export type DecisionRequest = z.infer<typeof decisionRequestSchema>;

export type RevokeRequest = z.infer<typeof revokeRequestSchema>;

export type RollbackRequest = z.infer<typeof rollbackRequestSchema>;

/** A pending request in an approver's inbox. */
export type InboxItem = z.infer<typeof inboxItemSchema>;

export type InboxResponse = z.infer<typeof inboxResponseSchema>;

/** What the caller may do on one flow, with a reason in words when not. */
export type FlowPermissions = z.infer<typeof flowPermissionsSchema>;

export type PermissionAnswer = z.infer<typeof permissionAnswerSchema>;

export type AuditEventPage = z.infer<typeof auditEventPageSchema>;

export type DeclareBreakGlassRequest = z.infer<
  typeof declareBreakGlassRequestSchema
>;

export type BreakGlassDecisionRequest = z.infer<
  typeof breakGlassDecisionRequestSchema
>;

export type CloseBreakGlassReviewRequest = z.infer<
  typeof closeBreakGlassReviewRequestSchema
>;

/** A break-glass declaration in an approver's inbox. */
export type BreakGlassInboxItem = z.infer<typeof breakGlassInboxItemSchema>;

export type BreakGlassInbox = z.infer<typeof breakGlassInboxSchema>;
