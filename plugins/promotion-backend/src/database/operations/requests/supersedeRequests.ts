import { PromotionRequest } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { DbRequestRow, TABLES } from '../../tables';
import { NewAuditEvent } from '../audit/appendEvents';
import { oldestFirst } from '../queryHelpers';
import { withDecisions } from './getRequests';

/*
 * Superseded requests: a pending request is closed, with its reason in
 * words, when its version reaches its environment anyway (a deployment) or
 * when a request for another version of the flow into the same environment
 * is made. Both happen inside the transaction of the change that causes it,
 * in two steps: first the requests' rows are locked, before the flow's
 * chain-head lock, as every change of a request locks its row before it
 * appends to the chain (so that a deployment, which takes the chain-head
 * lock next, cannot deadlock with a decision); then, once the change is
 * written, `supersedeHeldRequests` closes them and returns the
 * `request.superseded` events for the caller to append with its own.
 */

/** The pending requests a change supersedes: one flow, one environment. */
export interface SupersededRequestsWhere {
  entityRef: string;
  environmentId: string;
  /** Only the request for this version (a deployment of it). */
  version?: string;
  /** Every request but those for this version (a new request for it). */
  otherThanVersion?: string;
}

/** The pending requests that match `where` and have not expired by `now`. */
function pendingRequests(
  tx: Knex.Transaction,
  where: SupersededRequestsWhere,
  now: Date,
) {
  const query = tx<DbRequestRow>(TABLES.requests)
    .where({
      entity_ref: where.entityRef,
      environment_id: where.environmentId,
      status: 'pending',
    })
    .where('expires_at', '>', now);
  if (where.version !== undefined) {
    query.where('version', where.version);
  }
  if (where.otherThanVersion !== undefined) {
    query.whereNot('version', where.otherThanVersion);
  }
  return query.orderBy(oldestFirst('expires_at'));
}

/**
 * Locks the pending request for one version into one environment (there is
 * at most one) with a single locking read, and returns it as it is then.
 * For a deployment, whose gate must see the facts as they are once it holds
 * the chain-head lock: a locking read does not fix the transaction's
 * snapshot (MySQL fixes it at the first plain read), and PostgreSQL
 * re-checks the row after waiting, so a request a decision or a withdrawal
 * closed meanwhile is left alone. Expired requests are the expiry's to close.
 */
export async function lockPendingRequest(
  tx: Knex.Transaction,
  where: SupersededRequestsWhere & { version: string },
  now: Date,
): Promise<DbRequestRow[]> {
  return await pendingRequests(tx, where, now).forUpdate();
}

/**
 * Locks the pending requests that match `where` one by one by id, in the
 * order the expiry locks them (reading the candidates first, so that no
 * range of the table is locked: two requests made at once for other versions
 * wait for each other's rows instead of deadlocking on an insert into a
 * locked range), and returns those still pending once locked.
 */
export async function lockPendingRequests(
  tx: Knex.Transaction,
  where: SupersededRequestsWhere,
  now: Date,
): Promise<DbRequestRow[]> {
  const candidates = await pendingRequests(tx, where, now).select('id');
  const held: DbRequestRow[] = [];
  for (const { id } of candidates) {
    const row = await tx<DbRequestRow>(TABLES.requests)
      .where({ id, status: 'pending' })
      .where('expires_at', '>', now)
      .forUpdate()
      .first();
    if (row) {
      held.push(row);
    }
  }
  return held;
}

/**
 * Closes held requests as superseded, with the reason; returns them as they
 * are now and their `request.superseded` events. `cause` names what
 * superseded them in the events' payload: `deploymentId`, or
 * `supersedingRequestId` for the newer request.
 */
export async function supersedeHeldRequests(
  tx: Knex.Transaction,
  held: DbRequestRow[],
  options: { reason: string; cause: Record<string, string>; now: Date },
): Promise<{ requests: PromotionRequest[]; events: NewAuditEvent[] }> {
  const { reason, cause, now } = options;
  if (held.length === 0) {
    return { requests: [], events: [] };
  }
  for (const row of held) {
    await tx<DbRequestRow>(TABLES.requests).where({ id: row.id }).update({
      status: 'superseded',
      pending_key: row.id,
      decided_at: now,
      updated_at: now,
      closed_reason: reason,
    });
  }
  const requests = await withDecisions(
    tx,
    await tx<DbRequestRow>(TABLES.requests)
      .whereIn(
        'id',
        held.map(r => r.id),
      )
      .orderBy(oldestFirst('expires_at')),
  );
  const events = requests.map(
    (request): NewAuditEvent => ({
      type: 'request.superseded',
      entityRef: request.entityRef,
      environmentId: request.environmentId,
      version: request.version,
      summary: `Closed the promotion request for ${request.version} into ${request.environmentId}: ${reason}`,
      payload: {
        requestId: request.id,
        status: request.status,
        revision: request.revision,
        reason,
        ...cause,
      },
    }),
  );
  return { requests, events };
}
