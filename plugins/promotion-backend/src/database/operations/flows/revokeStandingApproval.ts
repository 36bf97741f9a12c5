import { StandingApproval } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { mapStandingApprovalRow } from '../../mappers';
import { AuditContext, Recorded } from '../../PromotionStore';
import { DbStandingApprovalRow, TABLES } from '../../tables';
import { appendEvents, NewAuditEvent } from '../audit/appendEvents';
import { lockFlowChain } from '../audit/chainHead';
import { oldestFirst } from '../queryHelpers';

/** What to revoke: the active standing approvals of a flow for an environment, and why. */
export interface RevokeStandingApprovalsInput {
  entityRef: string;
  environmentId: string;
  reason: string;
}

/**
 * Revokes the active standing approvals of the flow for the environment,
 * oldest first, each with an update guarded by `revoked_at is null`. The
 * caller holds the chain-head lock, so no approval can be granted meanwhile.
 */
export async function revokeActiveStandingApprovals(
  tx: Knex.Transaction,
  input: RevokeStandingApprovalsInput,
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

/** One `standing-approval.revoked` audit event per revoked standing approval. */
export function revocationEvents(
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
      requestId: approval.requestId ?? null,
      revokedBy: approval.revokedBy,
      reason,
    },
  }));
}

/**
 * Revokes the active standing approvals of the flow for the environment, in
 * its own transaction that takes the chain-head lock first; returns none
 * (and records nothing) when there is none.
 */
export async function revokeStandingApproval(
  db: Knex,
  input: RevokeStandingApprovalsInput,
  ctx: AuditContext,
): Promise<Recorded<StandingApproval[]>> {
  const now = ctx.now ?? new Date();
  return await db.transaction(async tx => {
    await lockFlowChain(tx, input.entityRef);
    const revoked = await revokeActiveStandingApprovals(tx, input, ctx, now);
    const events = await appendEvents(
      tx,
      ctx,
      now,
      revocationEvents(revoked, input.reason),
    );
    return { value: revoked, events };
  });
}
