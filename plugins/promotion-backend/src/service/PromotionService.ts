import {
  AuditorService,
  AuthService,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuditCheckpoint,
  AuditEvent,
  BreakGlass,
  BreakGlassDecisionRequest,
  BreakGlassInbox,
  ChainVerification,
  CloseBreakGlassReviewRequest,
  DeclareBreakGlassRequest,
  ChecklistCompletion,
  CompleteChecklistItemRequest,
  CreatePromotionRequestRequest,
  DecisionRequest,
  Deployment,
  DeploymentTrail,
  EditPromotionRequestRequest,
  FlowPermissions,
  FlowState,
  GateResult,
  InboxResponse,
  Page,
  PromotionConfig,
  Insights,
  PromotionRequest,
  RecordDeploymentRequest,
  RollbackRequest,
  RollbackResult,
  SignOff,
  SignOffRequest,
  StandingApproval,
} from '@promotion/plugin-promotion-common';
import { PromotionStore } from '../database/PromotionStore';
import { EventNotifications } from '../notifications/eventNotifications';
import { PromotionNotifier } from '../notifications/PromotionNotifier';
import { PromotionAuthorizer } from '../permissions/PromotionAuthorizer';
import { AfterCommit } from './afterCommit';
import { AuditCheckpoints } from './audit/AuditCheckpoints';
import { AuditTrail } from './audit/AuditTrail';
import { GovernanceInsights } from './audit/GovernanceInsights';
import { AuditExportFormat } from './audit/auditExport';
import { ReportLinks } from './audit/verificationReport';
import { VerificationReportFormat } from './audit/verificationReportStream';
import { BreakGlasses } from './breakGlass/BreakGlasses';
import { CallContext } from './callContext';
import { DisplayNames, entityNamesOnly } from './displayNames';
import { ChecklistItemTarget, FlowActions } from './flows/FlowActions';
import { FlowResolver } from './flows/FlowResolver';
import { FlowView } from './flows/FlowView';
import { ApprovalInbox } from './requests/ApprovalInbox';
import { PromotionRequests } from './requests/PromotionRequests';
import { ScheduledRequestTasks } from './requests/ScheduledRequestTasks';
import { ServiceParts } from './serviceParts';

export { actorOf, SYSTEM_ACTOR } from './callContext';
export type { CallContext } from './callContext';
export type { Flow } from './flows/FlowResolver';
/** What POST /rollbacks answers; declared with the REST contract in promotion-common. */
export type { RollbackResult } from '@promotion/plugin-promotion-common';

export interface PromotionServiceOptions {
  store: PromotionStore;
  config: PromotionConfig;
  catalog: CatalogService;
  auth: AuthService;
  permissions: PermissionsService;
  userInfo: UserInfoService;
  auditor: AuditorService;
  notifier: PromotionNotifier;
  logger: LoggerService;
  /**
   * The names the gate's sentences give people (who requested, who
   * revoked); by default the entity's name (`user:default/alice` → `alice`).
   */
  displayNames?: DisplayNames;
  /** Where the verification report's evidence opens in the portal. */
  reportLinks?: ReportLinks;
  /** How long a flow's catalog entity is reused (`promotion.catalogCacheSeconds`); 60 s by default. */
  catalogCacheTtlMs?: number;
  /** The clock; tests may fix it. */
  now?: () => Date;
}

/**
 * The rules of Promotion, one entry point for the router and the scheduler.
 * Every method authorizes the caller with the permission framework, checks
 * the request against the flow's policy and its recorded facts, writes
 * through the store (which appends the audit events in the same
 * transaction), and only after the commit hands the events to the auditor
 * service and tells people (notifications) and screens (signals).
 *
 * Where each rule lives:
 * - `flows/`: finding a flow and its policy, its state and gates, and what is
 *   recorded on its ladder (deployments, checklist items, sign-offs,
 *   standing approvals, rollbacks);
 * - `requests/`: promotion requests, decisions, the approvals inbox, expiry
 *   and reminders, and who may approve;
 * - `audit/`: the audit trail, its export and verification, the
 *   verification report and the trail of a deployment;
 * - `afterCommit.ts`: auditor events, notifications and signals after a
 *   change commits.
 */
export class PromotionService {
  readonly #view: FlowView;
  readonly #actions: FlowActions;
  readonly #requests: PromotionRequests;
  readonly #inbox: ApprovalInbox;
  readonly #scheduled: ScheduledRequestTasks;
  readonly #audit: AuditTrail;
  readonly #insights: GovernanceInsights;
  readonly #checkpoints: AuditCheckpoints;
  readonly #breakGlasses: BreakGlasses;
  readonly #flows: FlowResolver;

  static create(options: PromotionServiceOptions): PromotionService {
    return new PromotionService(options);
  }

  private constructor(options: PromotionServiceOptions) {
    const authorizer = new PromotionAuthorizer(options.permissions);
    const flows = new FlowResolver({
      config: options.config,
      catalog: options.catalog,
      auth: options.auth,
      authorizer,
      catalogCacheTtlMs: options.catalogCacheTtlMs,
    });
    this.#flows = flows;
    const parts: ServiceParts = {
      store: options.store,
      config: options.config,
      auth: options.auth,
      userInfo: options.userInfo,
      authorizer,
      flows,
      afterCommit: new AfterCommit({
        auditor: options.auditor,
        notifier: options.notifier,
        eventNotifications: new EventNotifications({
          getRequest: id => options.store.getRequest(id),
          policiesOf: entityRefs => flows.policiesOf(entityRefs),
          violationRecipients:
            options.config.notifications?.violationRecipients ?? [],
          logger: options.logger,
        }),
        logger: options.logger,
      }),
      displayNames: options.displayNames ?? entityNamesOnly,
      logger: options.logger,
      now: options.now ?? (() => new Date()),
    };
    this.#breakGlasses = new BreakGlasses(parts);
    this.#view = new FlowView(parts);
    this.#actions = new FlowActions(parts);
    this.#requests = new PromotionRequests(parts);
    this.#inbox = new ApprovalInbox(parts);
    this.#scheduled = new ScheduledRequestTasks(parts);
    this.#audit = new AuditTrail(parts, options.reportLinks);
    this.#insights = new GovernanceInsights(parts);
    this.#checkpoints = new AuditCheckpoints(parts, {
      auditor: options.auditor,
      logger: options.logger,
    });
  }

  /**
   * Reads every flow's catalog entity into the plugin's cache, a page at a
   * time; the number read. A task of each backend instance runs it every
   * half `promotion.catalogCacheSeconds`.
   */
  refreshFlowEntities(): Promise<number> {
    return this.#flows.refreshFlowEntities();
  }

  // Reading a flow

  getFlowState(ref: CompoundEntityRef, ctx: CallContext): Promise<FlowState> {
    return this.#view.getFlowState(ref, ctx);
  }

  /** May version V go to environment E? The pipeline asks before deploying. */
  getGate(
    ref: CompoundEntityRef,
    query: { environment: string; version: string },
    ctx: CallContext,
  ): Promise<GateResult> {
    return this.#view.getGate(ref, query, ctx);
  }

  /** The trail of one deployment of the flow, with the audit events that record each step. */
  getDeploymentTrail(
    ref: CompoundEntityRef,
    deploymentId: string,
    ctx: CallContext,
  ): Promise<DeploymentTrail> {
    return this.#audit.getDeploymentTrail(ref, deploymentId, ctx);
  }

  listFlowEvents(
    ref: CompoundEntityRef,
    query: { cursor?: string; limit: number },
    ctx: CallContext,
  ): Promise<Page<AuditEvent>> {
    return this.#audit.listFlowEvents(ref, query, ctx);
  }

  /** What the caller may do on the flow, with the reason in words when not. */
  getFlowPermissions(
    ref: CompoundEntityRef,
    ctx: CallContext,
  ): Promise<FlowPermissions> {
    return this.#view.getFlowPermissions(ref, ctx);
  }

  // Deployments, checklists, sign-offs, standing approvals, rollbacks

  /** Records a deployment; a closed gate flags it as a violation, never refuses it. */
  recordDeployment(
    ref: CompoundEntityRef,
    input: RecordDeploymentRequest,
    ctx: CallContext,
  ): Promise<{ deployment: Deployment; replayed: boolean }> {
    return this.#actions.recordDeployment(ref, input, ctx);
  }

  completeChecklistItem(
    ref: CompoundEntityRef,
    target: ChecklistItemTarget,
    input: CompleteChecklistItemRequest,
    ctx: CallContext,
  ): Promise<ChecklistCompletion> {
    return this.#actions.completeChecklistItem(ref, target, input, ctx);
  }

  undoChecklistItem(
    ref: CompoundEntityRef,
    target: ChecklistItemTarget,
    query: { version?: string },
    ctx: CallContext,
  ): Promise<void> {
    return this.#actions.undoChecklistItem(ref, target, query, ctx);
  }

  signOff(
    ref: CompoundEntityRef,
    environmentId: string,
    input: SignOffRequest,
    ctx: CallContext,
  ): Promise<SignOff> {
    return this.#actions.signOff(ref, environmentId, input, ctx);
  }

  revokeStandingApproval(
    ref: CompoundEntityRef,
    environmentId: string,
    input: { reason: string },
    ctx: CallContext,
  ): Promise<StandingApproval[]> {
    return this.#actions.revokeStandingApproval(ref, environmentId, input, ctx);
  }

  /** Records a rollback, revokes the environment's standing approval and tells the approvers. */
  recordRollback(
    ref: CompoundEntityRef,
    input: RollbackRequest,
    ctx: CallContext,
  ): Promise<RollbackResult> {
    return this.#actions.recordRollback(ref, input, ctx);
  }

  // Break-glass

  /** Declares a break-glass: an emergency deployment of a version past a closed gate. */
  declareBreakGlass(
    ref: CompoundEntityRef,
    input: DeclareBreakGlassRequest,
    ctx: CallContext,
  ): Promise<BreakGlass> {
    return this.#breakGlasses.declare(ref, input, ctx);
  }

  /** Approves or rejects a pending break-glass, as an approver of its environment. */
  decideBreakGlass(
    ref: CompoundEntityRef,
    breakGlassId: string,
    input: BreakGlassDecisionRequest,
    ctx: CallContext,
  ): Promise<BreakGlass> {
    return this.#breakGlasses.decide(ref, breakGlassId, input, ctx);
  }

  /** Closes the retrospective review of a used break-glass, with a comment. */
  closeBreakGlassReview(
    ref: CompoundEntityRef,
    breakGlassId: string,
    input: CloseBreakGlassReviewRequest,
    ctx: CallContext,
  ): Promise<BreakGlass> {
    return this.#breakGlasses.closeReview(ref, breakGlassId, input, ctx);
  }

  /** Break-glass declarations waiting for the caller's approval or review. */
  getBreakGlassInbox(ctx: CallContext): Promise<BreakGlassInbox> {
    return this.#breakGlasses.getInbox(ctx);
  }

  // Promotion requests

  createRequest(
    ref: CompoundEntityRef,
    input: CreatePromotionRequestRequest,
    ctx: CallContext,
  ): Promise<PromotionRequest> {
    return this.#requests.createRequest(ref, input, ctx);
  }

  getRequest(id: string, ctx: CallContext): Promise<PromotionRequest> {
    return this.#requests.getRequest(id, ctx);
  }

  /** Replaces the dossier; approvals given on the earlier dossier no longer count. */
  editRequest(
    id: string,
    input: EditPromotionRequestRequest,
    ctx: CallContext,
  ): Promise<PromotionRequest> {
    return this.#requests.editRequest(id, input, ctx);
  }

  withdrawRequest(
    id: string,
    input: { reason?: string },
    ctx: CallContext,
  ): Promise<PromotionRequest> {
    return this.#requests.withdrawRequest(id, input, ctx);
  }

  /** Approves or rejects a request, as one of the environment's approvers. */
  decide(
    id: string,
    input: DecisionRequest,
    ctx: CallContext,
  ): Promise<PromotionRequest> {
    return this.#requests.decide(id, input, ctx);
  }

  /** The pending requests, across all flows, that the caller is an approver for. */
  getInbox(ctx: CallContext): Promise<InboxResponse> {
    return this.#inbox.getInbox(ctx);
  }

  /** Expires overdue pending requests; run by the scheduler on one replica at a time. */
  expireRequests(): Promise<number> {
    return this.#scheduled.expireRequests();
  }

  /** Reminds the approvers of requests that have waited another interval; run by the scheduler. */
  remindApprovers(): Promise<number> {
    return this.#scheduled.remindApprovers();
  }

  // Audit and verification

  listAuditEvents(
    query: { from?: Date; to?: Date; cursor?: string; limit: number },
    ctx: CallContext,
  ): Promise<Page<AuditEvent>> {
    return this.#audit.listAuditEvents(query, ctx);
  }

  /** The audit trail as CSV or NDJSON, oldest first; authorizes before anything is returned. */
  exportAudit(
    query: { format: AuditExportFormat; from?: Date; to?: Date },
    ctx: CallContext,
  ): Promise<AsyncIterable<string>> {
    return this.#audit.exportAudit(query, ctx);
  }

  /** Verifies the audit trail, against a checkpoint when given one. */
  verifyChain(
    ctx: CallContext,
    options: { checkpoint?: AuditCheckpoint } = {},
  ): Promise<ChainVerification> {
    return this.#audit.verifyChain(ctx, options);
  }

  /** A signed checkpoint of every flow chain's head, for an auditor to keep. */
  createAuditCheckpoint(ctx: CallContext): Promise<AuditCheckpoint> {
    return this.#checkpoints.create(ctx);
  }

  /** The scheduled checkpoint. */
  createScheduledAuditCheckpoint(): Promise<AuditCheckpoint> {
    return this.#checkpoints.createScheduled();
  }

  /**
   * The governance documents' verification list over the deployments of a
   * time range, as JSON or CSV text written a chunk of deployments at a time.
   */
  getVerificationReport(
    query: { from?: Date; to?: Date; format: VerificationReportFormat },
    ctx: CallContext,
  ): Promise<AsyncIterable<string>> {
    return this.#audit.getVerificationReport(query, ctx);
  }

  /**
   * Governance insights over a time range, for the portal (auditors) or one
   * flow (those who may see it), computed by the database.
   */
  getInsights(
    query: { from?: Date; to?: Date; flow?: string },
    ctx: CallContext,
  ): Promise<Insights> {
    return this.#insights.getInsights(query, ctx);
  }
}
