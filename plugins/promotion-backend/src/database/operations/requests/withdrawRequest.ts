import { PromotionRequest } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { AuditContext, Recorded } from '../../PromotionStore';
import { appendEvents } from '../audit/appendEvents';
import { readRequest } from './getRequests';
import { getPendingRequestRow, leavePending } from './pendingRequest';

/** Withdraws a pending request, in its own transaction that starts with the guarded update. */
export async function withdrawRequest(
  db: Knex,
  requestId: string,
  ctx: AuditContext & { reason?: string },
): Promise<Recorded<PromotionRequest>> {
  const now = ctx.now ?? new Date();
  const current = await getPendingRequestRow(db, requestId);
  return await db.transaction(async tx => {
    await leavePending(tx, current, 'withdrawn', now);
    const request = await readRequest(tx, requestId);
    const events = await appendEvents(tx, ctx, now, [
      {
        type: 'request.withdrawn',
        entityRef: request.entityRef,
        environmentId: request.environmentId,
        version: request.version,
        summary: ctx.reason
          ? `Withdrew the promotion request: ${ctx.reason}`
          : 'Withdrew the promotion request',
        payload: {
          requestId,
          status: request.status,
          revision: request.revision,
          reason: ctx.reason ?? null,
        },
      },
    ]);
    return { value: request, events };
  });
}
