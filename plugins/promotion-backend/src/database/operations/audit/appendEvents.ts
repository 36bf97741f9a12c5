import { AuditEvent, AuditEventType } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { computeEventHash } from '../../../audit/hashChain';
import { AuditContext } from '../../PromotionStore';
import { DbAuditChainHeadRow, DbAuditEventRow, TABLES } from '../../tables';
import { chainHeadMissing } from './chainHead';

/** An audit event before the chain gives it a seq, an id and hashes. */
export interface NewAuditEvent {
  type: AuditEventType;
  entityRef: string;
  environmentId?: string;
  version?: string;
  summary: string;
  payload: Record<string, unknown>;
}

/** Removes undefined members and Dates, as the payload will read back from its JSON text. */
function jsonRoundTrip(
  payload: Record<string, unknown>,
): Record<string, unknown> {
  return JSON.parse(JSON.stringify(payload));
}

/**
 * Appends events to the chain inside the caller's transaction. The first
 * statement is an update of the chain-head row: it takes that row's lock
 * (PostgreSQL, MySQL) or the database write lock (SQLite), so concurrent
 * appends wait here and each sees the head the previous one left.
 */
export async function appendEvents(
  tx: Knex.Transaction,
  ctx: AuditContext,
  now: Date,
  newEvents: NewAuditEvent[],
): Promise<AuditEvent[]> {
  if (newEvents.length === 0) {
    return [];
  }
  const locked = await tx<DbAuditChainHeadRow>(TABLES.auditChainHead)
    .where({ id: 1 })
    .update({ seq: tx.raw('seq + ?', [newEvents.length]) });
  if (locked !== 1) {
    throw chainHeadMissing();
  }
  const head = await tx<DbAuditChainHeadRow>(TABLES.auditChainHead)
    .where({ id: 1 })
    .first();
  let seq = Number(head!.seq) - newEvents.length;
  let previousHash = head!.hash;
  const occurredAt = now.toISOString();

  const events: AuditEvent[] = [];
  const rows: DbAuditEventRow[] = [];
  for (const newEvent of newEvents) {
    seq += 1;
    const fields = {
      seq,
      id: randomUUID(),
      type: newEvent.type,
      entityRef: newEvent.entityRef,
      environmentId: newEvent.environmentId,
      version: newEvent.version,
      actor: ctx.actor,
      occurredAt,
      summary: newEvent.summary,
      payload: jsonRoundTrip(newEvent.payload),
      previousHash,
    };
    const event: AuditEvent = { ...fields, hash: computeEventHash(fields) };
    events.push(event);
    rows.push({
      id: event.id,
      seq: event.seq,
      type: event.type,
      entity_ref: event.entityRef,
      environment_id: event.environmentId ?? null,
      version: event.version ?? null,
      actor: event.actor,
      occurred_at: now,
      summary: event.summary,
      payload: JSON.stringify(event.payload),
      previous_hash: event.previousHash,
      hash: event.hash,
    });
    previousHash = event.hash;
  }
  await tx(TABLES.auditEvents).insert(rows);
  await tx<DbAuditChainHeadRow>(TABLES.auditChainHead)
    .where({ id: 1 })
    .update({ hash: previousHash });
  return events;
}
