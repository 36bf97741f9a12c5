import { PromotionRequest } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { AuditContext, Recorded } from '../../PromotionStore';
import { DbRequestRow, TABLES } from '../../tables';
import { appendEvents } from '../audit/appendEvents';
import { oldestFirst } from '../queryHelpers';
import { withDecisions } from './getRequests';
import { pendingAtRevision } from './pendingRequest';

/**
 * Expires the pending requests whose expiresAt is before now, in one
 * transaction; each with a guarded update, so a request that another
 * replica, a decision or an edit got to first is left alone.
 */
export async function expireRequests(
  db: Knex,
  ctx: AuditContext,
): Promise<Recorded<PromotionRequest[]>> {
  const now = ctx.now ?? new Date();
  const due = await db<DbRequestRow>(TABLES.requests)
    .where({ status: 'pending' })
    .where('expires_at', '<', now)
    .orderBy(oldestFirst('expires_at'));
  if (due.length === 0) {
    return { value: [], events: [] };
  }
  return await db.transaction(async tx => {
    const expired: DbRequestRow[] = [];
    for (const row of due) {
      // Another replica, a decision or an edit may have got there first.
      const updated = await tx<DbRequestRow>(TABLES.requests)
        .where(pendingAtRevision(row.id, row.revision))
        .update({
          status: 'expired',
          pending_key: row.id,
          decided_at: now,
          updated_at: now,
        });
      if (updated === 1) {
        expired.push(row);
      }
    }
    if (expired.length === 0) {
      return { value: [], events: [] };
    }
    const requests = await withDecisions(
      tx,
      await tx<DbRequestRow>(TABLES.requests)
        .whereIn(
          'id',
          expired.map(r => r.id),
        )
        .orderBy(oldestFirst('expires_at')),
    );
    const events = await appendEvents(
      tx,
      ctx,
      now,
      requests.map(request => ({
        type: 'request.expired' as const,
        entityRef: request.entityRef,
        environmentId: request.environmentId,
        version: request.version,
        summary: `The promotion request for ${request.version} into ${request.environmentId} expired without a decision`,
        payload: { requestId: request.id, expiresAt: request.expiresAt },
      })),
    );
    return { value: requests, events };
  });
}
