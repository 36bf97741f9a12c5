import { InputError } from '@backstage/errors';
import { PromotionRequest } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import {
  AuditContext,
  ClaimRemindersInput,
  Recorded,
} from '../../PromotionStore';
import { DbRequestRow, TABLES } from '../../tables';
import { appendEvents } from '../audit/appendEvents';
import { oldestFirst } from '../queryHelpers';
import { withDecisions } from './getRequests';

/** Pending, unexpired, and made or last reminded at or before `olderThan`. */
function whereReminderDue<TResult>(
  query: Knex.QueryBuilder<DbRequestRow, TResult>,
  input: ClaimRemindersInput,
): Knex.QueryBuilder<DbRequestRow, TResult> {
  return query
    .where({ status: 'pending' })
    .where('expires_at', '>', input.now)
    .whereRaw('coalesce(??, ??) <= ?', [
      'last_reminded_at',
      'created_at',
      input.olderThan,
    ]);
}

/**
 * Claims the pending requests whose approvers are due a reminder, in one
 * transaction: each claim is an update guarded by the same conditions, so a
 * request is claimed by one replica only.
 */
export async function claimReminders(
  db: Knex,
  input: ClaimRemindersInput,
  ctx: Omit<AuditContext, 'now'>,
): Promise<Recorded<PromotionRequest[]>> {
  const { now, olderThan, limit } = input;
  if (olderThan.getTime() >= now.getTime()) {
    // The guard below relies on a claimed request no longer being due.
    throw new InputError('olderThan must be before now');
  }
  if (!Number.isInteger(limit) || limit < 1) {
    throw new InputError(`limit must be a positive integer, not ${limit}`);
  }
  const due: DbRequestRow[] = await whereReminderDue(
    db<DbRequestRow>(TABLES.requests),
    input,
  )
    // The same order as expireRequests: both lock rows in one order.
    .orderBy(oldestFirst('expires_at'))
    .limit(limit);
  if (due.length === 0) {
    return { value: [], events: [] };
  }
  return await db.transaction(async tx => {
    const claimed: string[] = [];
    for (const row of due) {
      // Guarded by the same conditions: another replica that claimed the
      // request first has moved last_reminded_at past olderThan, and a
      // decision, a withdrawal or the expiry has ended it.
      const updated = await whereReminderDue(
        tx<DbRequestRow>(TABLES.requests).where({ id: row.id }),
        input,
      ).update({ last_reminded_at: now });
      if (updated === 1) {
        claimed.push(row.id);
      }
    }
    if (claimed.length === 0) {
      return { value: [], events: [] };
    }
    const requests = await withDecisions(
      tx,
      await tx<DbRequestRow>(TABLES.requests)
        .whereIn('id', claimed)
        .orderBy(oldestFirst('expires_at')),
    );
    const events = await appendEvents(
      tx,
      { actor: ctx.actor },
      now,
      requests.map(request => ({
        type: 'request.reminded' as const,
        entityRef: request.entityRef,
        environmentId: request.environmentId,
        version: request.version,
        summary: `Reminded the approvers of the promotion request for ${request.version} into ${request.environmentId}, pending since ${request.createdAt}`,
        payload: { requestId: request.id, pendingSince: request.createdAt },
      })),
    );
    return { value: requests, events };
  });
}
