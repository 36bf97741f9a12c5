import { ConflictError } from '@backstage/errors';
import { Rollback, StandingApproval } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { mapRollbackRow } from '../../mappers';
import {
  AuditContext,
  Recorded,
  RecordRollbackInput,
} from '../../PromotionStore';
import { DbDeploymentRow, DbRollbackRow, TABLES } from '../../tables';
import { appendEvents } from '../audit/appendEvents';
import { lockFlowChain } from '../audit/chainHead';
import { chunks, IN_CHUNK_SIZE } from '../queryHelpers';
import {
  revocationEvents,
  revokeActiveStandingApprovals,
} from './revokeStandingApproval';

/**
 * A ConflictError unless the version stands in the environment: deployed
 * there successfully and not rolled back. Read under the flow's chain lock,
 * so of two rollbacks of the same version only the first finds it standing.
 */
async function checkStanding(
  tx: Knex.Transaction,
  input: RecordRollbackInput,
): Promise<void> {
  const succeeded = () =>
    tx<DbDeploymentRow>(TABLES.deployments).where({
      entity_ref: input.entityRef,
      environment_id: input.environmentId,
      version: input.fromVersion,
      status: 'succeeded',
    });
  if (await succeeded().whereNull('rolled_back_at').first('id')) {
    return;
  }
  const rolledBack = await succeeded().first('id');
  throw new ConflictError(
    rolledBack
      ? `Version ${input.fromVersion} of ${input.entityRef} no longer stands on ${input.environmentId}: it has already been rolled back`
      : `Version ${input.fromVersion} of ${input.entityRef} is not deployed to ${input.environmentId}, so there is nothing to roll back`,
  );
}

/**
 * Records a rollback, in its own transaction that takes the chain-head lock
 * first and then checks that the version still stands in the environment
 * (a ConflictError otherwise: a concurrent rollback got there first); marks
 * the version's deployments in that environment rolled back and revokes the
 * environment's standing approvals.
 */
export async function recordRollback(
  db: Knex,
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
  return await db.transaction(async tx => {
    await lockFlowChain(tx, input.entityRef);
    await checkStanding(tx, input);
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
    const revoked = await revokeActiveStandingApprovals(
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
          toVersion: input.toVersion ?? null,
          reason: input.reason,
          incidentLink: input.incidentLink ?? null,
          recordedBy: ctx.actor,
          deploymentIds: rolledBack,
        },
      },
      ...revocationEvents(
        revoked,
        `Rollback of ${input.fromVersion}: ${input.reason}`,
      ),
    ]);
    return { value: { rollback: mapRollbackRow(row), revoked }, events };
  });
}
