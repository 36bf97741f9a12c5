import {
  AuditCheckpoint,
  AuditEvent,
  BreakGlass,
  AuditEventType,
  ChainVerification,
  ChecklistCompletion,
  ChecklistKind,
  Decision,
  DecisionKind,
  Deployment,
  DeploymentStatus,
  Dossier,
  FlowFacts,
  GateCondition,
  NextStep,
  Page,
  PromotionRequest,
  PromotionRequestStatus,
  Rollback,
  SignOff,
  StandingApproval,
} from '@promotion/plugin-promotion-common';
import type { ListBreakGlassesQuery } from './operations/breakGlass';
import type {
  StateRowsVerification,
  VerifyStateRowsOptions,
} from './operations/binding';
import type {
  ReportChunk,
  ReportChunkOptions,
} from './operations/audit/reportChunks';
import type {
  InsightsFacts,
  InsightsQuery,
} from './operations/insights/readInsights';

/**
 * What every change carries into the audit trail: who did it and why.
 * The store appends the audit event in the same transaction as the change.
 */
export interface AuditContext {
  /** User entity ref, or `service:<subject>` for a pipeline. */
  actor: string;
  /** Overrides the clock (tests, the expiry task). */
  now?: Date;
}

/** The audit event the store appended; handed to the auditor service after commit. */
export interface Recorded<T> {
  value: T;
  events: AuditEvent[];
}

export interface RecordDeploymentInput {
  entityRef: string;
  environmentId: string;
  version: string;
  status: DeploymentStatus;
  link?: string;
  idempotencyKey?: string;
  /**
   * Evaluates the gate on the flow's facts as they are when the deployment
   * commits (read inside its transaction, serialised with every other state
   * change); the unmet conditions are recorded, and non-empty means a violation.
   * The facts are those of the gate for this version into this environment
   * (`getGateFacts` with {@link RecordDeploymentInput.ladder}).
   */
  evaluateGate(facts: FlowFacts):
    | GateCondition[]
    | {
        unmetConditions: GateCondition[];
        /** The break-glass declaration the gate is open by; the deployment uses it. */
        breakGlassId?: string;
        /** The conditions it overrides. */
        overriddenConditions?: GateCondition[];
      };
  /**
   * The ids of the flow's ladder up to and including `environmentId`, in
   * ladder order: the environments whose facts `evaluateGate` is given.
   * Defaults to `environmentId` alone.
   */
  ladder?: string[];
  /**
   * Why, in words, the pending request for this version into this
   * environment is closed as superseded when the deployment succeeds: the
   * version reached the environment without that request's approval.
   * Defaults to a sentence naming the environment by its id.
   */
  supersededRequestReason?: string;
}

/** A recorded deployment, or the replay of one, and the requests it superseded. */
export type RecordedDeployment = Recorded<Deployment> & {
  replayed: boolean;
  /** The pending requests it closed as superseded; none for a replay. */
  superseded: PromotionRequest[];
};

export interface DeclareBreakGlassInput {
  entityRef: string;
  environmentId: string;
  version: string;
  reason: string;
  incidentLink: string;
  /** 0: approved at once (on-call, or none configured); 1: waits for an approver. */
  approvalsNeeded: 0 | 1;
  expiresAt: Date;
  /** The on-call group that made an approval unnecessary, if one did. */
  onCallGroup?: string;
}

export interface DecideBreakGlassInput {
  breakGlassId: string;
  decision: DecisionKind;
  comment: string;
}

export interface CloseBreakGlassReviewInput {
  breakGlassId: string;
  comment: string;
}

export interface CompleteChecklistItemInput {
  entityRef: string;
  environmentId: string;
  kind: ChecklistKind;
  itemId: string;
  /** Undefined for flow-scoped items. */
  version?: string;
  evidenceLink?: string;
  note?: string;
  /** A pipeline's short result of the item it attests. */
  result?: string;
}

export interface UndoChecklistItemInput {
  entityRef: string;
  environmentId: string;
  kind: ChecklistKind;
  itemId: string;
  version?: string;
  reason?: string;
}

export interface CreateSignOffInput {
  entityRef: string;
  environmentId: string;
  version: string;
  comment: string;
}

export interface CreateRequestInput {
  entityRef: string;
  environmentId: string;
  version: string;
  dossier: Dossier;
  expiresAt: Date;
  /**
   * Closes the pending requests for other versions of the flow into the
   * environment as superseded by this one (config `supersedeOlderRequests`).
   */
  supersedeOlderRequests?: boolean;
}

export interface EditRequestInput {
  requestId: string;
  /** The revision the editor saw; a different current revision is a ConflictError. */
  expectedRevision?: number;
  dossier: Dossier;
}

export interface DecideInput {
  requestId: string;
  decision: DecisionKind;
  comment: string;
  /** The dossier hash the approver saw; a different current hash is a ConflictError. */
  dossierHash?: string;
  /** Approvals needed to approve the request (policy quorum). */
  minApprovers: number;
  /** When the quorum is reached on an environment with `once` approval, grant a standing approval. */
  grantsStandingApproval: boolean;
}

export interface RecordRollbackInput {
  entityRef: string;
  environmentId: string;
  fromVersion: string;
  toVersion?: string;
  reason: string;
  incidentLink?: string;
}

export interface ClaimRemindersInput {
  /** Requests made, or last reminded, at or before this time are due; must be before `now`. */
  olderThan: Date;
  /** When the reminder is sent; requests that have expired by then are not due. */
  now: Date;
  /** Claims at most this many requests, the soonest to expire first. */
  limit: number;
}

export interface ListEventsOptions {
  entityRef?: string;
  from?: Date;
  to?: Date;
  /** Opaque cursor from a previous page. */
  cursor?: string;
  /** 1..500, default 50. */
  limit?: number;
  /** Newest first (UI history) or oldest first (export). Default `desc`. */
  order?: 'asc' | 'desc';
  /** Also count all events matching the filters (one more query). Default false. */
  includeTotalCount?: boolean;
}

export interface ListRollbacksOptions {
  entityRef?: string;
  environmentId?: string;
  /** Inclusive bounds on `recordedAt`. */
  from?: Date;
  to?: Date;
}

/** What the gate for version V into environment E is evaluated on. */
export interface GateFactsQuery {
  entityRef: string;
  /** V. */
  version: string;
  /**
   * The ids of the flow's ladder up to and including E, in ladder order: E
   * is the last.
   */
  environmentIds: string[];
  /**
   * Also the break-glass declarations for V into E still in play (pending,
   * approved, or used with an open review), read in the same statement, as
   * `FlowFacts.breakGlasses`.
   */
  breakGlasses?: boolean;
}

/** What the flow state (the Promotion tab) is made of. */
export interface FlowStateFactsQuery {
  entityRef: string;
  /** The ids of the flow's whole ladder, in ladder order. */
  environmentIds: string[];
  /** The flow's most recent rollbacks read, at most. */
  rollbackLimit: number;
  /**
   * The flow's next step (`nextStepFor`), given the deployments of the
   * versions standing on the ladder: the facts then include those the gate
   * for that step looks at.
   */
  nextStep?(deployments: Deployment[]): NextStep | undefined;
}

/** The facts of the flow state, and of the gate for its next step. */
export interface FlowStateFacts {
  facts: FlowFacts;
  /** The next step `FlowStateFactsQuery.nextStep` found, if any. */
  nextStep?: NextStep;
}

/** The deployments of one version of a flow into one environment. */
export interface VersionDeploymentsQuery {
  entityRef: string;
  environmentId: string;
  version: string;
}

export interface StandingDeploymentQuery {
  entityRef: string;
  environmentId: string;
  /** The newest standing deployment of a version other than this one. */
  exceptVersion?: string;
}

/** The deployment whose trail is read: V into E, reported at T. */
export interface TrailFactsQuery {
  entityRef: string;
  /** E. */
  environmentId: string;
  /** V. */
  version: string;
  /** T, ISO 8601. */
  reportedAt: string;
  /** The environment before E on the ladder, if any. */
  previousEnvironmentId?: string;
}

/** The audit events a deployment trail may cite, up to its last fact. */
export interface TrailEventsQuery {
  entityRef: string;
  environmentId: string;
  /** V first, then the versions of the requests behind E's standing approvals. */
  versions: string[];
  previousEnvironmentId?: string;
  to: Date;
}

/** What a rollback let back into its environment when a deployment was reported. */
export interface RollbackDeploymentsAsOfQuery {
  entityRef: string;
  environmentId: string;
  rollback: Rollback;
  /** T, ISO 8601: deployments reported later are left out. */
  until: string;
  /** The deployment itself, left out. */
  exceptId: string;
  /**
   * The rollbacks recorded by then: a deployment rolled back by another
   * one counts as not rolled back.
   */
  knownRollbackIds: string[];
}

export interface ListRequestsOptions {
  status?: PromotionRequestStatus[];
  entityRef?: string;
  environmentId?: string;
}

/**
 * Storage of everything Promotion records. Every write method runs in one
 * database transaction that also appends the hash-chained audit event(s).
 * Races are settled with guarded updates: the loser gets a ConflictError.
 *
 * Errors: NotFoundError for unknown ids, ConflictError for lost races and
 * illegal state transitions (deciding a request that is no longer pending,
 * the same person deciding twice on the same dossier, a duplicate
 * idempotency key with different content).
 */
export interface PromotionStore {
  /**
   * Everything recorded for one flow, its whole history (indexed by
   * entity_ref): for what needs the history, as the deployment trail. The
   * gate and the flow state read {@link PromotionStore.getGateFacts} and
   * {@link PromotionStore.getFlowStateFacts}, bounded whatever the history.
   */
  getFlowFacts(entityRef: string): Promise<FlowFacts>;
  /**
   * The facts the gate for version V into environment E looks at: the gate
   * answers the same on them as on {@link PromotionStore.getFlowFacts}, and
   * the rows read do not grow with the flow's history.
   */
  getGateFacts(query: GateFactsQuery): Promise<FlowFacts>;
  /**
   * The facts of many gates (the approver's inbox), in the order asked, each
   * as {@link PromotionStore.getGateFacts} reads it: a few queries for a
   * hundred gates, whatever the histories.
   */
  getManyGateFacts(queries: GateFactsQuery[]): Promise<FlowFacts[]>;
  /**
   * The facts the flow state shows: each environment's standing deployment
   * and what goes with its version (completions, sign-offs, deployments of
   * it elsewhere on the ladder, for the next step), standing approvals,
   * pending requests and the most recent rollbacks, with the facts of the
   * gate for the next step (as {@link PromotionStore.getGateFacts} reads
   * them); bounded whatever the flow's history. While the flow has not
   * changed since its last flow state, read from that read's copy (one
   * statement).
   */
  getFlowStateFacts(query: FlowStateFactsQuery): Promise<FlowStateFacts>;
  /** Every deployment of one version into one environment, oldest first. */
  listVersionDeployments(query: VersionDeploymentsQuery): Promise<Deployment[]>;
  /** The deployment standing in an environment (`currentVersionIn`), if any. */
  getStandingDeployment(
    query: StandingDeploymentQuery,
  ): Promise<Deployment | undefined>;
  /**
   * The deployment standing in each environment asked, in the order asked,
   * as {@link PromotionStore.getStandingDeployment} reads it: one query for
   * a hundred of them.
   */
  getStandingDeployments(
    queries: StandingDeploymentQuery[],
  ): Promise<Array<Deployment | undefined>>;

  /**
   * The facts the trail of one deployment looks at (its version's
   * deployments, the checklist items, sign-offs, approvals and requests
   * that let it in, the environment's rollbacks), bounded by the trail, not
   * by the flow's history.
   */
  getTrailFacts(query: TrailFactsQuery): Promise<FlowFacts>;
  /** The audit events a deployment trail may cite, oldest first, in one query. */
  listTrailEvents(query: TrailEventsQuery): Promise<AuditEvent[]>;
  /** The deployments that decide what a rollback let back when a deployment was reported. */
  getRollbackDeploymentsAsOf(
    query: RollbackDeploymentsAsOfQuery,
  ): Promise<Deployment[]>;

  /**
   * A successful deployment also closes the pending request for its version
   * into its environment as superseded (`superseded`), in its transaction.
   */
  recordDeployment(
    input: RecordDeploymentInput,
    ctx: AuditContext,
  ): Promise<RecordedDeployment>;
  getDeployment(id: string): Promise<Deployment | undefined>;
  /** Deployments reported in a time range (inclusive bounds; verification report), oldest first. */
  listDeployments(options: {
    from?: Date;
    to?: Date;
    environmentIds?: string[];
  }): Promise<Deployment[]>;
  /**
   * One chunk of the deployments reported in a time range (the verification
   * report), oldest first, with only the facts they are checked against:
   * keyset pagination, so a report over any range holds one chunk at a time.
   */
  readReportChunk(options: ReportChunkOptions): Promise<ReportChunk>;
  /**
   * The governance insights' facts over a time range, computed by the
   * database (counts per week, medians and 90th percentiles), in one
   * snapshot: what is read back is bounded by the number of weeks.
   */
  readInsights(query: InsightsQuery): Promise<InsightsFacts>;

  /** A ConflictError when the item is already completed (and not undone) for that version or the flow. */
  completeChecklistItem(
    input: CompleteChecklistItemInput,
    ctx: AuditContext,
  ): Promise<Recorded<ChecklistCompletion>>;
  /** Keeps the completion as history, no longer counted; a NotFoundError when the item is not completed. Returns the completion that was undone. */
  undoChecklistItem(
    input: UndoChecklistItemInput,
    ctx: AuditContext,
  ): Promise<Recorded<ChecklistCompletion>>;

  createSignOff(
    input: CreateSignOffInput,
    ctx: AuditContext,
  ): Promise<Recorded<SignOff>>;

  /**
   * A ConflictError when a request for the same version and environment is
   * already pending. `superseded`: the older requests it closed (see
   * `supersedeOlderRequests`).
   */
  createRequest(
    input: CreateRequestInput,
    ctx: AuditContext,
  ): Promise<Recorded<PromotionRequest> & { superseded: PromotionRequest[] }>;
  getRequest(id: string): Promise<PromotionRequest | undefined>;
  listRequests(options: ListRequestsOptions): Promise<PromotionRequest[]>;
  /** Replaces the dossier, bumps the revision, voids earlier decisions. Only while pending. */
  editRequest(
    input: EditRequestInput,
    ctx: AuditContext,
  ): Promise<Recorded<PromotionRequest>>;
  withdrawRequest(
    requestId: string,
    ctx: AuditContext & { reason?: string },
  ): Promise<Recorded<PromotionRequest>>;
  /**
   * Records a decision on a pending request. A reject ends the request; an
   * approve that reaches the quorum approves it (and grants the standing
   * approval when asked). Returns the request as it is after the decision.
   */
  decide(
    input: DecideInput,
    ctx: AuditContext,
  ): Promise<Recorded<{ request: PromotionRequest; decision: Decision }>>;
  /** Expires pending requests whose expiresAt is before `now`. */
  expireRequests(ctx: AuditContext): Promise<Recorded<PromotionRequest[]>>;
  /**
   * Claims the pending, unexpired requests whose approvers are due a
   * reminder (made, or last reminded, at or before `olderThan`): marks them
   * reminded at `now` and appends a `request.reminded` event for each. Safe
   * across replicas: a request is claimed by one caller only, and returned
   * only to the caller that claimed it.
   */
  claimReminders(
    input: ClaimRemindersInput,
    ctx: Omit<AuditContext, 'now'>,
  ): Promise<Recorded<PromotionRequest[]>>;

  /** Revokes the active standing approvals of the flow for the environment; returns none (and records nothing) when there is none. */
  revokeStandingApproval(
    input: { entityRef: string; environmentId: string; reason: string },
    ctx: AuditContext,
  ): Promise<Recorded<StandingApproval[]>>;

  /** Marks the version's deployments in that environment rolled back and revokes the standing approval. */
  recordRollback(
    input: RecordRollbackInput,
    ctx: AuditContext,
  ): Promise<Recorded<{ rollback: Rollback; revoked: StandingApproval[] }>>;

  /** Rollbacks, oldest first. */
  listRollbacks(options: ListRollbacksOptions): Promise<Rollback[]>;

  /** Records a break-glass declaration: pending, or approved when it needs no approval. */
  declareBreakGlass(
    input: DeclareBreakGlassInput,
    ctx: AuditContext,
  ): Promise<Recorded<BreakGlass>>;

  /** Approves or rejects a pending, unexpired declaration; a ConflictError when it is not. */
  decideBreakGlass(
    input: DecideBreakGlassInput,
    ctx: AuditContext,
  ): Promise<Recorded<BreakGlass>>;

  /** Closes the open retrospective review of a used declaration; a ConflictError when there is none. */
  closeBreakGlassReview(
    input: CloseBreakGlassReviewInput,
    ctx: AuditContext,
  ): Promise<Recorded<BreakGlass>>;

  getBreakGlass(id: string): Promise<BreakGlass | undefined>;

  /** Declarations, oldest first. */
  listBreakGlasses(query: ListBreakGlassesQuery): Promise<BreakGlass[]>;

  /**
   * One page of the audit trail, in seq order (keyset pagination: the cursor
   * is the last seq of the previous page). `from` and `to` are inclusive
   * bounds on `occurredAt`.
   */
  listEvents(options: ListEventsOptions): Promise<Page<AuditEvent>>;
  /**
   * Verifies the audit trail in one consistent snapshot: every flow chain,
   * streamed in pages, every break listed (up to a limit); against a
   * checkpoint, also that no chain was truncated or rewritten since.
   */
  verifyChain(options?: VerifyChainOptions): Promise<ChainVerification>;
  /**
   * Checks every state row (promotion requests, decisions, deployments,
   * checklist completions, sign-offs, standing approvals, rollbacks) against
   * the audit events that recorded it, in one consistent snapshot: the
   * state part of `verifyChain`, on its own.
   */
  verifyStateRows(
    options?: VerifyStateRowsOptions,
  ): Promise<StateRowsVerification>;
  /** Signs and stores a checkpoint of every flow chain's head. */
  createCheckpoint(ctx: {
    actor: string;
    now?: Date;
  }): Promise<AuditCheckpoint>;
  /** The latest stored checkpoint. */
  latestCheckpoint(): Promise<AuditCheckpoint | undefined>;
}

export interface VerifyChainOptions {
  /** A checkpoint kept outside the database, to check the chains against. */
  checkpoint?: AuditCheckpoint;
  /** Breaks listed at most (default 100); `breaksTruncated` says more were found. */
  maxBreaks?: number;
}

export type { AuditEventType };
