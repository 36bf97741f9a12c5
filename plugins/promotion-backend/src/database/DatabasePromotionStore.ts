import {
  DatabaseService,
  resolvePackagePath,
} from '@backstage/backend-plugin-api';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  AuditEvent,
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
import { randomUUID } from 'node:crypto';
import { Knex } from 'knex';
import {
  mapChecklistCompletionRow,
  mapDeploymentRow,
  mapRollbackRow,
  mapSignOffRow,
  mapStandingApprovalRow,
  versionToDb,
} from './mappers';
import {
  AuditContext,
  ClaimRemindersInput,
  CompleteChecklistItemInput,
  CreateRequestInput,
  CreateSignOffInput,
  DecideInput,
  EditRequestInput,
  ListEventsOptions,
  ListRequestsOptions,
  ListRollbacksOptions,
  PromotionStore,
  RecordDeploymentInput,
  Recorded,
  RecordRollbackInput,
  UndoChecklistItemInput,
} from './PromotionStore';
import {
  DbChecklistCompletionRow,
  DbDeploymentRow,
  DbRequestRow,
  DbRollbackRow,
  DbSignOffRow,
  DbStandingApprovalRow,
  TABLES,
} from './tables';
import {
  appendEvents,
  listEvents,
  lockChainHead,
  NewAuditEvent,
  verifyChain,
} from './operations/audit';
import {
  chunks,
  IN_CHUNK_SIZE,
  isUniqueViolation,
  oldestFirst,
  runIndependentQueries,
} from './operations/queryHelpers';
import {
  claimReminders,
  createRequest,
  decide,
  editRequest,
  expireRequests,
  getRequest,
  listRequests,
  withDecisions,
  withdrawRequest,
} from './operations/requests';

const migrationsDir = resolvePackagePath(
  '@promotion/plugin-promotion-backend',
  'migrations',
);

/**
 * The knex implementation of {@link PromotionStore}, portable across
 * PostgreSQL, SQLite and MySQL.
 *
 * Concurrency: every write is one transaction. A transaction that changes a
 * promotion request starts with a guarded update of that request row
 * (`where id = ? and status = 'pending' and revision = ?`) so that it holds
 * the row lock before it reads anything else; the loser of a race updates
 * no row and gets a ConflictError. Audit events are appended last, under the
 * lock of the single chain-head row, so appends are serialised and the chain
 * has no gaps and no forks.
 *
 * Revocations (and rollbacks, which revoke) take the chain-head lock first
 * instead: they act on every active standing approval of an environment, a
 * set that a concurrent approval may grow. Holding the head lock before
 * reading that set means every grant whose events precede the revocation in
 * the chain is seen and revoked, and every later grant comes after it. This
 * cannot deadlock: the rows they lock (existing deployments and standing
 * approvals, by id) are never locked by a transaction that then waits for
 * the head.
 */
export class DatabasePromotionStore implements PromotionStore {
  static async create(options: {
    database: DatabaseService;
    skipMigrations?: boolean;
  }): Promise<DatabasePromotionStore> {
    const { database, skipMigrations } = options;
    const client = await database.getClient();
    if (!database.migrations?.skip && !skipMigrations) {
      await client.migrate.latest({ directory: migrationsDir });
    }
    return new DatabasePromotionStore(client);
  }

  private constructor(private readonly db: Knex) {}

  // -------------------------------------------------------------------------
  // Flow facts
  // -------------------------------------------------------------------------

  async getFlowFacts(entityRef: string): Promise<FlowFacts> {
    return this.readFlowFacts(this.db, entityRef);
  }

  private async readFlowFacts(
    db: Knex | Knex.Transaction,
    entityRef: string,
  ): Promise<FlowFacts> {
    const [deployments, completions, signOffs, approvals, requests] =
      await runIndependentQueries(db, [
        () =>
          db<DbDeploymentRow>(TABLES.deployments)
            .where({ entity_ref: entityRef })
            .orderBy(oldestFirst('reported_at')),
        () =>
          db<DbChecklistCompletionRow>(TABLES.checklistCompletions)
            .where({ entity_ref: entityRef, undone_key: '' })
            .orderBy(oldestFirst('completed_at')),
        () =>
          db<DbSignOffRow>(TABLES.signOffs)
            .where({ entity_ref: entityRef })
            .orderBy(oldestFirst('signed_off_at')),
        () =>
          db<DbStandingApprovalRow>(TABLES.standingApprovals)
            .where({ entity_ref: entityRef })
            .orderBy(oldestFirst('granted_at')),
        () =>
          db<DbRequestRow>(TABLES.requests)
            .where({ entity_ref: entityRef })
            .orderBy(oldestFirst('created_at')),
      ]);
    return {
      deployments: deployments.map(mapDeploymentRow),
      checklistCompletions: completions.map(mapChecklistCompletionRow),
      signOffs: signOffs.map(mapSignOffRow),
      standingApprovals: approvals.map(mapStandingApprovalRow),
      requests: await withDecisions(db, requests),
    };
  }

  // -------------------------------------------------------------------------
  // Deployments
  // -------------------------------------------------------------------------

  async recordDeployment(
    input: RecordDeploymentInput,
    ctx: AuditContext,
  ): Promise<Recorded<Deployment> & { replayed: boolean }> {
    if (input.idempotencyKey !== undefined) {
      const replay = await this.findReplay(input);
      if (replay) {
        return replay;
      }
    }

    const now = ctx.now ?? new Date();

    try {
      return await this.db.transaction(async tx => {
        // Take the chain lock first: every other state change appends to the
        // chain under it, so the gate is evaluated on exactly the facts this
        // deployment commits against (a concurrent revocation is either seen
        // or waits for us).
        await lockChainHead(tx);
        const unmetConditions = input.evaluateGate(
          await this.readFlowFacts(tx, input.entityRef),
        );
        const row: DbDeploymentRow = {
          id: randomUUID(),
          entity_ref: input.entityRef,
          environment_id: input.environmentId,
          version: input.version,
          status: input.status,
          link: input.link ?? null,
          idempotency_key: input.idempotencyKey ?? null,
          reported_by: ctx.actor,
          reported_at: now,
          violation: unmetConditions.length > 0,
          unmet_conditions: JSON.stringify(unmetConditions),
          rolled_back_at: null,
          rollback_id: null,
        };
        const deployment = mapDeploymentRow(row);
        await tx(TABLES.deployments).insert(row);
        const events = await appendEvents(tx, ctx, now, [
          {
            type: 'deployment.recorded',
            entityRef: input.entityRef,
            environmentId: input.environmentId,
            version: input.version,
            summary: deployment.violation
              ? `Deployment of ${input.version} to ${input.environmentId} ${input.status}, reported while the gate was closed`
              : `Deployment of ${input.version} to ${input.environmentId} ${input.status}`,
            payload: {
              deploymentId: row.id,
              status: input.status,
              link: input.link,
              idempotencyKey: input.idempotencyKey,
              violation: deployment.violation,
              unmetConditions,
            },
          },
        ]);
        return { value: deployment, events, replayed: false };
      });
    } catch (error) {
      // Two reports with the same key raced: the other one won the insert.
      if (input.idempotencyKey !== undefined && isUniqueViolation(error)) {
        const replay = await this.findReplay(input);
        if (replay) {
          return replay;
        }
      }
      throw error;
    }
  }

  /**
   * The deployment already recorded with the input's idempotency key, if
   * any, as a replay; a ConflictError when it was recorded with different
   * content.
   */
  private async findReplay(
    input: RecordDeploymentInput,
  ): Promise<(Recorded<Deployment> & { replayed: boolean }) | undefined> {
    const existing = await this.db<DbDeploymentRow>(TABLES.deployments)
      .where({
        entity_ref: input.entityRef,
        idempotency_key: input.idempotencyKey!,
      })
      .first();
    if (!existing) {
      return undefined;
    }
    const deployment = mapDeploymentRow(existing);
    const sameContent =
      deployment.environmentId === input.environmentId &&
      deployment.version === input.version &&
      deployment.status === input.status &&
      deployment.link === input.link;
    if (!sameContent) {
      throw new ConflictError(
        `Idempotency key '${input.idempotencyKey}' was already used for a different deployment of ${input.entityRef} (${deployment.version} to ${deployment.environmentId}, ${deployment.status})`,
      );
    }
    return { value: deployment, events: [], replayed: true };
  }

  async getDeployment(id: string): Promise<Deployment | undefined> {
    const row = await this.db<DbDeploymentRow>(TABLES.deployments)
      .where({ id })
      .first();
    return row ? mapDeploymentRow(row) : undefined;
  }

  async listDeployments(options: {
    from?: Date;
    to?: Date;
    environmentIds?: string[];
  }): Promise<Deployment[]> {
    const query = this.db<DbDeploymentRow>(TABLES.deployments);
    if (options.from) {
      query.where('reported_at', '>=', options.from);
    }
    if (options.to) {
      query.where('reported_at', '<=', options.to);
    }
    if (options.environmentIds) {
      query.whereIn('environment_id', options.environmentIds);
    }
    const rows = await query.orderBy(oldestFirst('reported_at'));
    return rows.map(mapDeploymentRow);
  }

  // -------------------------------------------------------------------------
  // Checklists and sign-offs
  // -------------------------------------------------------------------------

  async completeChecklistItem(
    input: CompleteChecklistItemInput,
    ctx: AuditContext,
  ): Promise<Recorded<ChecklistCompletion>> {
    if (input.version === '') {
      throw new InputError('A version-scoped checklist item needs a version');
    }
    const now = ctx.now ?? new Date();
    const row: DbChecklistCompletionRow = {
      id: randomUUID(),
      entity_ref: input.entityRef,
      environment_id: input.environmentId,
      kind: input.kind,
      item_id: input.itemId,
      version: versionToDb(input.version),
      completed_by: ctx.actor,
      completed_at: now,
      evidence_link: input.evidenceLink ?? null,
      note: input.note ?? null,
      undone_at: null,
      undone_by: null,
      undo_reason: null,
      undone_key: '',
    };
    const completion = mapChecklistCompletionRow(row);
    const alreadyCompleted = () =>
      new ConflictError(
        `Checklist item '${input.itemId}' is already completed on ${
          input.environmentId
        } for ${input.version ?? 'the flow'}`,
      );

    try {
      return await this.db.transaction(async tx => {
        const existing = await tx<DbChecklistCompletionRow>(
          TABLES.checklistCompletions,
        )
          .where(this.activeCompletionKey(input))
          .first();
        if (existing) {
          throw alreadyCompleted();
        }
        await tx(TABLES.checklistCompletions).insert(row);
        const events = await appendEvents(tx, ctx, now, [
          {
            type: 'checklist.completed',
            entityRef: input.entityRef,
            environmentId: input.environmentId,
            version: input.version,
            summary: `Completed ${input.kind} item '${input.itemId}' on ${
              input.environmentId
            } for ${input.version ?? 'the flow'}`,
            payload: {
              completionId: row.id,
              kind: input.kind,
              itemId: input.itemId,
              scope: input.version === undefined ? 'flow' : 'version',
              evidenceLink: input.evidenceLink,
              note: input.note,
            },
          },
        ]);
        return { value: completion, events };
      });
    } catch (error) {
      if (isUniqueViolation(error)) {
        throw alreadyCompleted();
      }
      throw error;
    }
  }

  async undoChecklistItem(
    input: UndoChecklistItemInput,
    ctx: AuditContext,
  ): Promise<Recorded<ChecklistCompletion>> {
    const now = ctx.now ?? new Date();
    return await this.db.transaction(async tx => {
      const existing = await tx<DbChecklistCompletionRow>(
        TABLES.checklistCompletions,
      )
        .where(this.activeCompletionKey(input))
        .first();
      if (!existing) {
        throw new NotFoundError(
          `Checklist item '${input.itemId}' is not completed on ${
            input.environmentId
          } for ${input.version ?? 'the flow'}`,
        );
      }
      const updated = await tx<DbChecklistCompletionRow>(
        TABLES.checklistCompletions,
      )
        .where({ id: existing.id, undone_key: '' })
        .update({
          undone_at: now,
          undone_by: ctx.actor,
          undo_reason: input.reason ?? null,
          undone_key: existing.id,
        });
      if (updated !== 1) {
        throw new ConflictError(
          `Checklist item '${input.itemId}' was undone concurrently`,
        );
      }
      const completion = mapChecklistCompletionRow(existing);
      const events = await appendEvents(tx, ctx, now, [
        {
          type: 'checklist.undone',
          entityRef: input.entityRef,
          environmentId: input.environmentId,
          version: input.version,
          summary: `Undid ${input.kind} item '${input.itemId}' on ${
            input.environmentId
          } for ${input.version ?? 'the flow'}${
            input.reason ? `: ${input.reason}` : ''
          }`,
          payload: {
            completionId: existing.id,
            kind: input.kind,
            itemId: input.itemId,
            reason: input.reason,
          },
        },
      ]);
      return { value: completion, events };
    });
  }

  private activeCompletionKey(input: UndoChecklistItemInput) {
    return {
      entity_ref: input.entityRef,
      environment_id: input.environmentId,
      kind: input.kind,
      item_id: input.itemId,
      version: versionToDb(input.version),
      undone_key: '',
    };
  }

  async createSignOff(
    input: CreateSignOffInput,
    ctx: AuditContext,
  ): Promise<Recorded<SignOff>> {
    const now = ctx.now ?? new Date();
    const row: DbSignOffRow = {
      id: randomUUID(),
      entity_ref: input.entityRef,
      environment_id: input.environmentId,
      version: input.version,
      signed_off_by: ctx.actor,
      signed_off_at: now,
      comment: input.comment,
    };
    return await this.db.transaction(async tx => {
      await tx(TABLES.signOffs).insert(row);
      const events = await appendEvents(tx, ctx, now, [
        {
          type: 'sign-off.given',
          entityRef: input.entityRef,
          environmentId: input.environmentId,
          version: input.version,
          summary: input.comment,
          payload: { signOffId: row.id },
        },
      ]);
      return { value: mapSignOffRow(row), events };
    });
  }

  // -------------------------------------------------------------------------
  // Promotion requests and decisions
  // -------------------------------------------------------------------------

  async createRequest(
    input: CreateRequestInput,
    ctx: AuditContext,
  ): Promise<Recorded<PromotionRequest>> {
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

  // -------------------------------------------------------------------------
  // Standing approvals and rollbacks
  // -------------------------------------------------------------------------

  async revokeStandingApproval(
    input: { entityRef: string; environmentId: string; reason: string },
    ctx: AuditContext,
  ): Promise<Recorded<StandingApproval[]>> {
    const now = ctx.now ?? new Date();
    return await this.db.transaction(async tx => {
      await lockChainHead(tx);
      const revoked = await this.revokeActive(tx, input, ctx, now);
      const events = await appendEvents(
        tx,
        ctx,
        now,
        this.revocationEvents(revoked, input.reason),
      );
      return { value: revoked, events };
    });
  }

  async recordRollback(
    input: RecordRollbackInput,
    ctx: AuditContext,
  ): Promise<Recorded<{ rollback: Rollback; revoked: StandingApproval[] }>> {
    const now = ctx.now ?? new Date();
    const row: DbRollbackRow = {
      id: randomUUID(),
      entity_ref: input.entityRef,
      environment_id: input.environmentId,
      from_version: input.fromVersion,
      to_version: input.toVersion ?? null,
      reason: input.reason,
      incident_link: input.incidentLink ?? null,
      recorded_by: ctx.actor,
      recorded_at: now,
    };
    return await this.db.transaction(async tx => {
      await lockChainHead(tx);
      await tx(TABLES.rollbacks).insert(row);
      const rolledBack = await tx<DbDeploymentRow>(TABLES.deployments)
        .where({
          entity_ref: input.entityRef,
          environment_id: input.environmentId,
          version: input.fromVersion,
        })
        .whereNull('rolled_back_at')
        .orderBy('id')
        .pluck('id');
      for (const ids of chunks(rolledBack, IN_CHUNK_SIZE)) {
        await tx<DbDeploymentRow>(TABLES.deployments)
          .whereIn('id', ids)
          .whereNull('rolled_back_at')
          .update({ rolled_back_at: now, rollback_id: row.id });
      }
      const revoked = await this.revokeActive(
        tx,
        {
          entityRef: input.entityRef,
          environmentId: input.environmentId,
          reason: `Rollback of ${input.fromVersion}: ${input.reason}`,
        },
        ctx,
        now,
      );
      const events = await appendEvents(tx, ctx, now, [
        {
          type: 'rollback.recorded',
          entityRef: input.entityRef,
          environmentId: input.environmentId,
          version: input.fromVersion,
          summary: `Rolled back ${input.fromVersion} on ${input.environmentId}${
            input.toVersion ? ` to ${input.toVersion}` : ''
          }: ${input.reason}`,
          payload: {
            rollbackId: row.id,
            fromVersion: input.fromVersion,
            toVersion: input.toVersion,
            incidentLink: input.incidentLink,
            deploymentIds: rolledBack,
          },
        },
        ...this.revocationEvents(
          revoked,
          `Rollback of ${input.fromVersion}: ${input.reason}`,
        ),
      ]);
      return { value: { rollback: mapRollbackRow(row), revoked }, events };
    });
  }

  async listRollbacks(options: ListRollbacksOptions): Promise<Rollback[]> {
    const query = this.db<DbRollbackRow>(TABLES.rollbacks);
    if (options.entityRef) {
      query.where('entity_ref', options.entityRef);
    }
    if (options.environmentId) {
      query.where('environment_id', options.environmentId);
    }
    if (options.from) {
      query.where('recorded_at', '>=', options.from);
    }
    if (options.to) {
      query.where('recorded_at', '<=', options.to);
    }
    const rows = await query.orderBy(oldestFirst('recorded_at'));
    return rows.map(mapRollbackRow);
  }

  private async revokeActive(
    tx: Knex.Transaction,
    input: { entityRef: string; environmentId: string; reason: string },
    ctx: AuditContext,
    now: Date,
  ): Promise<StandingApproval[]> {
    const active = await tx<DbStandingApprovalRow>(TABLES.standingApprovals)
      .where({
        entity_ref: input.entityRef,
        environment_id: input.environmentId,
      })
      .whereNull('revoked_at')
      .orderBy(oldestFirst('granted_at'));
    const revoked: StandingApproval[] = [];
    for (const row of active) {
      const updated = await tx<DbStandingApprovalRow>(TABLES.standingApprovals)
        .where({ id: row.id })
        .whereNull('revoked_at')
        .update({
          revoked_at: now,
          revoked_by: ctx.actor,
          revoke_reason: input.reason,
        });
      // Zero rows: a concurrent revocation got there first, and records it.
      if (updated === 1) {
        revoked.push(
          mapStandingApprovalRow({
            ...row,
            revoked_at: now,
            revoked_by: ctx.actor,
            revoke_reason: input.reason,
          }),
        );
      }
    }
    return revoked;
  }

  private revocationEvents(
    revoked: StandingApproval[],
    reason: string,
  ): NewAuditEvent[] {
    return revoked.map(approval => ({
      type: 'standing-approval.revoked',
      entityRef: approval.entityRef,
      environmentId: approval.environmentId,
      summary: `Standing approval of ${approval.entityRef} into ${approval.environmentId} revoked: ${reason}`,
      payload: {
        standingApprovalId: approval.id,
        requestId: approval.requestId,
        reason,
      },
    }));
  }

  // -------------------------------------------------------------------------
  // The audit trail
  // -------------------------------------------------------------------------

  async listEvents(options: ListEventsOptions): Promise<Page<AuditEvent>> {
    return listEvents(this.db, options);
  }

  async verifyChain(): Promise<ChainVerification> {
    return verifyChain(this.db);
  }
}
