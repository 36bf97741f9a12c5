import { createApiRef } from '@backstage/core-plugin-api';
import type {
  AuditEvent,
  BreakGlass,
  BreakGlassDecisionRequest,
  BreakGlassInbox,
  ChainVerification,
  CloseBreakGlassReviewRequest,
  DeclareBreakGlassRequest,
  ChecklistCompletion,
  ChecklistKind,
  CompleteChecklistItemRequest,
  CreatePromotionRequestRequest,
  DecisionRequest,
  DeploymentTrail,
  EditPromotionRequestRequest,
  FlowPermissions,
  FlowState,
  GateResult,
  InboxResponse,
  Insights,
  Page,
  PromotionRequest,
  RecordDeploymentRequest,
  RecordDeploymentResponse,
  RevokeRequest,
  RollbackRequest,
  RollbackResult,
  SignOff,
  SignOffRequest,
  StandingApproval,
  VerificationReport,
  WithdrawRequest,
} from '@promotion/plugin-promotion-common';

/**
 * Where a checklist item lives: which flow, environment and item, and whether
 * it is a validation or a post-deployment checklist item.
 *
 * @public
 */
export interface ChecklistItemLocation {
  entityRef: string;
  environmentId: string;
  kind: ChecklistKind;
  itemId: string;
}

/** @public */
export interface PageOptions {
  cursor?: string;
  limit?: number;
}

/** A time range, ISO 8601 timestamps. @public */
export interface TimeRange {
  from?: string;
  to?: string;
}

/**
 * The range and the flow of the governance insights; the whole portal
 * without a flow.
 *
 * @public
 */
export interface InsightsQuery extends TimeRange {
  /** The flow's entity ref, e.g. `component:default/payments`. */
  flow?: string;
}

/** @public */
export type AuditExportFormat = 'csv' | 'ndjson';

/**
 * The Promotion backend, as the frontend sees it. One method per route of the
 * REST contract in `@promotion/plugin-promotion-common` (`promotionApiOperations`),
 * typed by the schemas of that contract.
 *
 * @public
 */
export interface PromotionApi {
  /** The ladder, the gate for the next step, pending requests and rollbacks of one flow. */
  getFlow(entityRef: string): Promise<FlowState>;
  /** What the signed-in user may do on one flow, with the reason in words when not. */
  getFlowPermissions(entityRef: string): Promise<FlowPermissions>;
  /** The gate for one version into one environment, as the pipelines ask it. */
  getGate(
    entityRef: string,
    options: { environment: string; version: string },
  ): Promise<GateResult>;
  /** The audit events of one flow, newest first, one page at a time. */
  getFlowEvents(
    entityRef: string,
    options?: PageOptions,
  ): Promise<Page<AuditEvent>>;
  recordDeployment(
    entityRef: string,
    deployment: RecordDeploymentRequest,
  ): Promise<RecordDeploymentResponse>;
  /** Who requested, approved, validated and signed off what let one deployment in, with the audit events that record each. */
  getDeploymentTrail(
    entityRef: string,
    deploymentId: string,
  ): Promise<DeploymentTrail>;
  completeChecklistItem(
    item: ChecklistItemLocation,
    completion: CompleteChecklistItemRequest,
  ): Promise<ChecklistCompletion>;
  undoChecklistItem(
    item: ChecklistItemLocation,
    options: { version?: string },
  ): Promise<void>;
  signOff(
    entityRef: string,
    environmentId: string,
    signOff: SignOffRequest,
  ): Promise<SignOff>;
  revokeStandingApproval(
    entityRef: string,
    environmentId: string,
    revoke: RevokeRequest,
  ): Promise<StandingApproval[]>;
  recordRollback(
    entityRef: string,
    rollback: RollbackRequest,
  ): Promise<RollbackResult>;
  createRequest(
    entityRef: string,
    request: CreatePromotionRequestRequest,
  ): Promise<PromotionRequest>;
  getRequest(requestId: string): Promise<PromotionRequest>;
  /** Edits the dossier; approvals given on the earlier dossier no longer count. */
  editRequest(
    requestId: string,
    edit: EditPromotionRequestRequest,
  ): Promise<PromotionRequest>;
  withdrawRequest(
    requestId: string,
    options?: WithdrawRequest,
  ): Promise<PromotionRequest>;
  decide(
    requestId: string,
    decision: DecisionRequest,
  ): Promise<PromotionRequest>;
  /** Every request waiting for the signed-in approver, across all flows. */
  getInbox(): Promise<InboxResponse>;
  /** Declares a break-glass: an emergency deployment of a version past a closed gate. */
  declareBreakGlass(
    entityRef: string,
    declaration: DeclareBreakGlassRequest,
  ): Promise<BreakGlass>;
  /** Approves or rejects a pending break-glass, as an approver of its environment. */
  decideBreakGlass(
    entityRef: string,
    breakGlassId: string,
    decision: BreakGlassDecisionRequest,
  ): Promise<BreakGlass>;
  /** Closes the retrospective review of a break-glass deployment, with a comment. */
  closeBreakGlassReview(
    entityRef: string,
    breakGlassId: string,
    review: CloseBreakGlassReviewRequest,
  ): Promise<BreakGlass>;
  /** The break-glass declarations waiting for the signed-in approver's decision or review. */
  getBreakGlassInbox(): Promise<BreakGlassInbox>;
  /** The whole audit trail, one page at a time. */
  getAuditEvents(options?: TimeRange & PageOptions): Promise<Page<AuditEvent>>;
  /** The audit trail as a file. */
  exportAuditEvents(
    options: TimeRange & { format: AuditExportFormat },
  ): Promise<Blob>;
  /** Walks the hash chain of the audit trail. */
  verifyAuditChain(): Promise<ChainVerification>;
  getVerificationReport(range: TimeRange): Promise<VerificationReport>;
  /** The verification report as CSV. */
  downloadVerificationReport(range: TimeRange): Promise<Blob>;
  /** Governance insights over a range, for the portal or one flow. */
  getInsights(query: InsightsQuery): Promise<Insights>;
  /** The governance insights as CSV. */
  downloadInsights(query: InsightsQuery): Promise<Blob>;
}

/** @public */
export const promotionApiRef = createApiRef<PromotionApi>({
  id: 'plugin.promotion.service',
});
