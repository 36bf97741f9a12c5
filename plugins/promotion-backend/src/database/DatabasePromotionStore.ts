import { DatabaseService } from '@backstage/backend-plugin-api';
import {
  AuditCheckpoint,
  AuditEvent,
  BreakGlass,
  ChainVerification,
  ChecklistCompletion,
  Decision,
  Deployment,
  FlowFacts,
  Page,
  PromotionRequest,
  Rollback,
  SignOff,
  StandingApproval,
} from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { AuditKeyring } from '../audit/auditKeyring';
import {
  createCheckpoint,
  latestCheckpoint,
  listEvents,
  verifyAudit,
} from './operations/audit';
import { bindAuditKeyring } from './operations/audit/keyringBinding';
import {
  readReportChunk,
  ReportChunk,
  ReportChunkOptions,
} from './operations/audit/reportChunks';
import { inSnapshot } from './operations/audit/snapshot';
import {
  InsightsFacts,
  InsightsQuery,
  readInsights,
} from './operations/insights/readInsights';
import {
  StateRowsVerification,
  verifyStateRows,
  VerifyStateRowsOptions,
} from './operations/binding';
import {
  completeChecklistItem,
  createSignOff,
  getDeployment,
  getFlowFacts,
  getFlowStateFacts,
  getGateFacts,
  getManyGateFacts,
  getRollbackDeploymentsAsOf,
  getStandingDeployment,
  getStandingDeployments,
  getTrailFacts,
  listDeployments,
  listVersionDeployments,
  listRollbacks,
  listTrailEvents,
  recordDeployment,
  recordRollback,
  revokeStandingApproval,
  undoChecklistItem,
} from './operations/flows';
import {
  closeBreakGlassReview,
  declareBreakGlass,
  decideBreakGlass,
  getBreakGlass,
  listBreakGlasses,
  ListBreakGlassesQuery,
} from './operations/breakGlass';
import {
  claimReminders,
  createRequest,
  decide,
  editRequest,
  expireRequests,
  getRequest,
  listRequests,
  withdrawRequest,
} from './operations/requests';
import {
  AuditContext,
  ClaimRemindersInput,
  CloseBreakGlassReviewInput,
  DecideBreakGlassInput,
  DeclareBreakGlassInput,
  CompleteChecklistItemInput,
  CreateRequestInput,
  CreateSignOffInput,
  DecideInput,
  EditRequestInput,
  FlowStateFacts,
  FlowStateFactsQuery,
  GateFactsQuery,
  ListEventsOptions,
  ListRequestsOptions,
  ListRollbacksOptions,
  PromotionStore,
  RecordDeploymentInput,
  Recorded,
  RecordedDeployment,
  RecordRollbackInput,
  RollbackDeploymentsAsOfQuery,
  StandingDeploymentQuery,
  TrailEventsQuery,
  TrailFactsQuery,
  UndoChecklistItemInput,
  VerifyChainOptions,
  VersionDeploymentsQuery,
} from './PromotionStore';
import { MIGRATIONS_DIR } from './migrationsDir';

/**
 * The knex implementation of {@link PromotionStore}, portable across
 * PostgreSQL, SQLite and MySQL: a facade over the queries in `operations/`
 * (`audit/` the hash-chained audit trail, `requests/` promotion requests and
 * decisions, `flows/` deployments, checklist items, sign-offs, standing
 * approvals and rollbacks).
 *
 * Concurrency: every write is one transaction. A transaction that changes a
 * promotion request starts with a guarded update of that request row
 * (`where id = ? and status = 'pending' and revision = ?`) so that it holds
 * the row lock before it reads anything else; the loser of a race updates
 * no row and gets a ConflictError. Audit events are appended last, under the
 * lock of their flow's chain-head row (`promotion_audit_chains`), so the
 * appends to one flow are serialised and its chain has no gaps and no forks,
 * while writes on different flows proceed in parallel (there is no
 * plugin-wide lock).
 *
 * Revocations (and rollbacks, which revoke) take their flow's chain-head
 * lock first instead: they act on every active standing approval of an
 * environment of the flow, a set that a concurrent approval of that flow may
 * grow. Holding the flow's head lock before reading that set means every
 * grant whose events precede the revocation in the flow chain is seen and
 * revoked, and every later grant comes after it. This cannot deadlock: the
 * rows they lock (existing deployments and standing approvals, by id) are
 * never locked by a transaction that then waits for the head. Deployments
 * take it first too, so that the gate is evaluated on the facts they commit
 * against; only the pending request a successful deployment supersedes is
 * locked before it (a locking read, which fixes no snapshot), as every
 * change of a request locks the request before the head.
 *
 * Since every change of a flow moves its chain head, the head's link names
 * the state of the flow's rows: the flow state keeps its rows as a copy
 * under that link (`operations/flows/flowStateReads.ts`) and reads the copy
 * until the head moves on. The copy is written by reads, never by the
 * writes, and is no part of the record.
 */
export class DatabasePromotionStore implements PromotionStore {
  static async create(options: {
    database: DatabaseService;
    /** The key of the audit chain (`AuditKeyring.fromConfig`). */
    keyring: AuditKeyring;
    skipMigrations?: boolean;
  }): Promise<DatabasePromotionStore> {
    const { database, keyring, skipMigrations } = options;
    const client = await database.getClient();
    if (!database.migrations?.skip && !skipMigrations) {
      await client.migrate.latest({ directory: MIGRATIONS_DIR });
    }
    bindAuditKeyring(client, keyring);
    return new DatabasePromotionStore(client, keyring);
  }

  private constructor(
    private readonly db: Knex,
    private readonly keyring: AuditKeyring,
  ) {}

  // Flow facts: deployments, checklist items, sign-offs; the whole history,
  // or bounded by what the gate or the flow state asks

  async getFlowFacts(entityRef: string): Promise<FlowFacts> {
    return getFlowFacts(this.db, entityRef);
  }

  async getGateFacts(query: GateFactsQuery): Promise<FlowFacts> {
    return getGateFacts(this.db, query);
  }

  async getManyGateFacts(queries: GateFactsQuery[]): Promise<FlowFacts[]> {
    return getManyGateFacts(this.db, queries);
  }

  async getFlowStateFacts(query: FlowStateFactsQuery): Promise<FlowStateFacts> {
    return getFlowStateFacts(this.db, query);
  }

  async listVersionDeployments(
    query: VersionDeploymentsQuery,
  ): Promise<Deployment[]> {
    return listVersionDeployments(this.db, query);
  }

  async getStandingDeployment(
    query: StandingDeploymentQuery,
  ): Promise<Deployment | undefined> {
    return getStandingDeployment(this.db, query);
  }

  async getStandingDeployments(
    queries: StandingDeploymentQuery[],
  ): Promise<Array<Deployment | undefined>> {
    return getStandingDeployments(this.db, queries);
  }

  async getTrailFacts(query: TrailFactsQuery): Promise<FlowFacts> {
    return getTrailFacts(this.db, query);
  }

  async listTrailEvents(query: TrailEventsQuery): Promise<AuditEvent[]> {
    return listTrailEvents(this.db, query);
  }

  async getRollbackDeploymentsAsOf(
    query: RollbackDeploymentsAsOfQuery,
  ): Promise<Deployment[]> {
    return getRollbackDeploymentsAsOf(this.db, query);
  }

  async recordDeployment(
    input: RecordDeploymentInput,
    ctx: AuditContext,
  ): Promise<RecordedDeployment> {
    return recordDeployment(this.db, input, ctx);
  }

  async getDeployment(id: string): Promise<Deployment | undefined> {
    return getDeployment(this.db, id);
  }

  async listDeployments(options: {
    from?: Date;
    to?: Date;
    environmentIds?: string[];
  }): Promise<Deployment[]> {
    return listDeployments(this.db, options);
  }

  async readReportChunk(options: ReportChunkOptions): Promise<ReportChunk> {
    return readReportChunk(this.db, options);
  }

  async readInsights(query: InsightsQuery): Promise<InsightsFacts> {
    return readInsights(this.db, query);
  }

  async completeChecklistItem(
    input: CompleteChecklistItemInput,
    ctx: AuditContext,
  ): Promise<Recorded<ChecklistCompletion>> {
    return completeChecklistItem(this.db, input, ctx);
  }

  async undoChecklistItem(
    input: UndoChecklistItemInput,
    ctx: AuditContext,
  ): Promise<Recorded<ChecklistCompletion>> {
    return undoChecklistItem(this.db, input, ctx);
  }

  async createSignOff(
    input: CreateSignOffInput,
    ctx: AuditContext,
  ): Promise<Recorded<SignOff>> {
    return createSignOff(this.db, input, ctx);
  }

  // Promotion requests and decisions

  async createRequest(
    input: CreateRequestInput,
    ctx: AuditContext,
  ): Promise<Recorded<PromotionRequest> & { superseded: PromotionRequest[] }> {
    return createRequest(this.db, input, ctx);
  }

  async getRequest(id: string): Promise<PromotionRequest | undefined> {
    return getRequest(this.db, id);
  }

  async listRequests(
    options: ListRequestsOptions,
  ): Promise<PromotionRequest[]> {
    return listRequests(this.db, options);
  }

  async editRequest(
    input: EditRequestInput,
    ctx: AuditContext,
  ): Promise<Recorded<PromotionRequest>> {
    return editRequest(this.db, input, ctx);
  }

  async withdrawRequest(
    requestId: string,
    ctx: AuditContext & { reason?: string },
  ): Promise<Recorded<PromotionRequest>> {
    return withdrawRequest(this.db, requestId, ctx);
  }

  async decide(
    input: DecideInput,
    ctx: AuditContext,
  ): Promise<Recorded<{ request: PromotionRequest; decision: Decision }>> {
    return decide(this.db, input, ctx);
  }

  async expireRequests(
    ctx: AuditContext,
  ): Promise<Recorded<PromotionRequest[]>> {
    return expireRequests(this.db, ctx);
  }

  async claimReminders(
    input: ClaimRemindersInput,
    ctx: Omit<AuditContext, 'now'>,
  ): Promise<Recorded<PromotionRequest[]>> {
    return claimReminders(this.db, input, ctx);
  }

  // Standing approvals and rollbacks

  async revokeStandingApproval(
    input: { entityRef: string; environmentId: string; reason: string },
    ctx: AuditContext,
  ): Promise<Recorded<StandingApproval[]>> {
    return revokeStandingApproval(this.db, input, ctx);
  }

  async recordRollback(
    input: RecordRollbackInput,
    ctx: AuditContext,
  ): Promise<Recorded<{ rollback: Rollback; revoked: StandingApproval[] }>> {
    return recordRollback(this.db, input, ctx);
  }

  async listRollbacks(options: ListRollbacksOptions): Promise<Rollback[]> {
    return listRollbacks(this.db, options);
  }

  // Break-glass

  async declareBreakGlass(
    input: DeclareBreakGlassInput,
    ctx: AuditContext,
  ): Promise<Recorded<BreakGlass>> {
    return declareBreakGlass(this.db, input, ctx);
  }

  async decideBreakGlass(
    input: DecideBreakGlassInput,
    ctx: AuditContext,
  ): Promise<Recorded<BreakGlass>> {
    return decideBreakGlass(this.db, input, ctx);
  }

  async closeBreakGlassReview(
    input: CloseBreakGlassReviewInput,
    ctx: AuditContext,
  ): Promise<Recorded<BreakGlass>> {
    return closeBreakGlassReview(this.db, input, ctx);
  }

  async getBreakGlass(id: string): Promise<BreakGlass | undefined> {
    return getBreakGlass(this.db, id);
  }

  async listBreakGlasses(query: ListBreakGlassesQuery): Promise<BreakGlass[]> {
    return listBreakGlasses(this.db, query);
  }

  // The audit trail

  async listEvents(options: ListEventsOptions): Promise<Page<AuditEvent>> {
    return listEvents(this.db, options);
  }

  async verifyChain(
    options: VerifyChainOptions = {},
  ): Promise<ChainVerification> {
    return verifyAudit(this.db, this.keyring, {
      ...options,
      // The state rows against the events that recorded them, in the same snapshot.
      stateRows: tx => verifyStateRows(tx, { maxBreaks: options.maxBreaks }),
    });
  }

  async verifyStateRows(
    options: VerifyStateRowsOptions = {},
  ): Promise<StateRowsVerification> {
    return inSnapshot(this.db, tx => verifyStateRows(tx, options));
  }

  async createCheckpoint(ctx: {
    actor: string;
    now?: Date;
  }): Promise<AuditCheckpoint> {
    return createCheckpoint(this.db, this.keyring, ctx);
  }

  async latestCheckpoint(): Promise<AuditCheckpoint | undefined> {
    return latestCheckpoint(this.db);
  }
}
