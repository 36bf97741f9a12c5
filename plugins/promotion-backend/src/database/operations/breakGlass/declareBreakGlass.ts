import { ConflictError } from '@backstage/errors';
import { BreakGlass } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { mapBreakGlassRow } from '../../mappers';
import {
  AuditContext,
  DeclareBreakGlassInput,
  Recorded,
} from '../../PromotionStore';
import { DbBreakGlassRow, TABLES } from '../../tables';
import { appendEvents } from '../audit/appendEvents';
import { lockFlowChain } from '../audit/chainHead';

/**
 * Records a break-glass declaration and its `break-glass.declared` event in
 * one transaction: pending when it needs an approval, approved at once when
 * it needs none (the on-call, or `approvals: 0`). A ConflictError when a
 * declaration for the same version into the environment is still pending or
 * approved and unused.
 */
export async function declareBreakGlass(
  db: Knex,
  input: DeclareBreakGlassInput,
  ctx: AuditContext,
): Promise<Recorded<BreakGlass>> {
  const now = ctx.now ?? new Date();
  const row: DbBreakGlassRow = {
    id: randomUUID(),
    entity_ref: input.entityRef,
    environment_id: input.environmentId,
    version: input.version,
    status: input.approvalsNeeded === 0 ? 'approved' : 'pending',
    reason: input.reason,
    incident_link: input.incidentLink,
    declared_by: ctx.actor,
    declared_at: now,
    approvals_needed: input.approvalsNeeded,
    expires_at: input.expiresAt,
    decided_by: null,
    decided_at: null,
    decision_comment: null,
    deployment_id: null,
    used_at: null,
    overridden_conditions: null,
    review_closed_by: null,
    review_closed_at: null,
    review_comment: null,
  };
  return db.transaction(async tx => {
    // Under the flow's chain lock, taken first (nothing read before it):
    // of two declarations for the same version at once, one is recorded.
    await lockFlowChain(tx, input.entityRef);
    const inPlay = await tx<DbBreakGlassRow>(TABLES.breakGlasses)
      .where({
        entity_ref: input.entityRef,
        environment_id: input.environmentId,
        version: input.version,
      })
      .whereIn('status', ['pending', 'approved'])
      .whereNull('deployment_id')
      .where('expires_at', '>', now)
      .first();
    if (inPlay) {
      throw new ConflictError(
        `Break-glass ${inPlay.id} for ${input.version} into ${input.environmentId} is already ${inPlay.status}`,
      );
    }
    const events = await appendEvents(
      tx,
      ctx,
      now,
      [
        {
          type: 'break-glass.declared',
          entityRef: input.entityRef,
          environmentId: input.environmentId,
          version: input.version,
          summary: `Break-glass declared for ${input.version} into ${
            input.environmentId
          }${input.approvalsNeeded === 0 ? ', no approval needed' : ''}: ${
            input.reason
          }`,
          payload: {
            breakGlassId: row.id,
            status: row.status,
            reason: input.reason,
            incidentLink: input.incidentLink,
            approvalsNeeded: input.approvalsNeeded,
            expiresAt: input.expiresAt.toISOString(),
            ...(input.onCallGroup && { onCallGroup: input.onCallGroup }),
          },
        },
      ],
      { withWrites: [tx(TABLES.breakGlasses).insert(row)] },
    );
    return { value: mapBreakGlassRow(row), events };
  });
}
