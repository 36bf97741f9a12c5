import { AuditEvent, AuditEventType } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { chainHeadText, eventLinkText } from '../../../audit/hashChain';
import { AuditContext } from '../../PromotionStore';
import { DbAuditChainRow, DbAuditEventRow, TABLES } from '../../tables';
import { lockFlowChains } from './chainHead';
import { auditKeyringOf } from './keyringBinding';
import { tidySummary } from './summaries';

/** An audit event before the chain gives it a seq, an id and its link. */
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

/** The seq an insert returned: a row (PostgreSQL, SQLite) or the insert id (MySQL). */
function insertedSeq(returned: unknown): number {
  const value =
    typeof returned === 'object' && returned !== null
      ? (returned as { seq: number | string }).seq
      : (returned as number | string);
  return Number(value);
}

/**
 * Appends events to their flows' chains inside the caller's transaction.
 * It first locks the head row of every flow it appends to (sorted, see
 * `lockFlowChains`) and moves each head forward by that flow's number of
 * events, a real change, so that even on MySQL the head read next is the
 * latest one: concurrent appends to a flow wait here and each sees the head
 * the previous one left, while appends to other flows go on in parallel.
 *
 * Each event's seq comes from the table's auto-increment (unique and
 * increasing, with gaps where a transaction rolled back); its link is the
 * keyring's HMAC of its fields, its seq, its position and the link before it
 * in its flow, so it is written once its seq is known. The keyring is the
 * one the store bound to its database client (`bindAuditKeyring`).
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
  const keyring = auditKeyringOf(tx);
  const counts = new Map<string, number>();
  for (const newEvent of newEvents) {
    counts.set(newEvent.entityRef, (counts.get(newEvent.entityRef) ?? 0) + 1);
  }
  await lockFlowChains(tx, counts.keys());
  const heads = new Map<
    string,
    { chainSeq: number; seq: number; link: string }
  >();
  for (const [entityRef, count] of [...counts].sort(([a], [b]) =>
    a < b ? -1 : 1,
  )) {
    await tx<DbAuditChainRow>(TABLES.auditChains)
      .where({ entity_ref: entityRef })
      .update({ chain_seq: tx.raw('chain_seq + ?', [count]) });
    const row = await tx<DbAuditChainRow>(TABLES.auditChains)
      .where({ entity_ref: entityRef })
      .first();
    heads.set(entityRef, {
      chainSeq: Number(row!.chain_seq) - count,
      seq: Number(row!.seq),
      link: row!.link,
    });
  }

  const occurredAt = now.toISOString();
  const events: AuditEvent[] = [];
  for (const newEvent of newEvents) {
    const head = heads.get(newEvent.entityRef)!;
    const chainSeq = head.chainSeq + 1;
    const summary = tidySummary(newEvent.summary);
    const row: Omit<DbAuditEventRow, 'seq'> = {
      id: randomUUID(),
      type: newEvent.type,
      entity_ref: newEvent.entityRef,
      environment_id: newEvent.environmentId ?? null,
      version: newEvent.version ?? null,
      actor: ctx.actor,
      occurred_at: now,
      summary,
      payload: JSON.stringify(jsonRoundTrip(newEvent.payload)),
      chain_seq: chainSeq,
      key_id: keyring.currentKeyId,
      previous_hash: head.link,
      hash: '',
    };
    // MySQL answers the insert id; the others return the row's seq.
    const insert = tx(TABLES.auditEvents).insert(row);
    const [returned] =
      tx.client.dialect === 'mysql'
        ? await insert
        : await insert.returning('seq');
    const seq = insertedSeq(returned);
    const fields = {
      seq,
      id: row.id,
      type: newEvent.type,
      entityRef: newEvent.entityRef,
      environmentId: newEvent.environmentId,
      version: newEvent.version,
      actor: ctx.actor,
      occurredAt,
      summary,
      payload: JSON.parse(row.payload),
      previousHash: head.link,
    };
    const { mac: link } = keyring.sign(
      eventLinkText({ ...fields, chainSeq, keyId: keyring.currentKeyId }),
    );
    await tx<DbAuditEventRow>(TABLES.auditEvents)
      .where({ seq })
      .update({ hash: link });
    events.push({ ...fields, hash: link });
    heads.set(newEvent.entityRef, { chainSeq, seq, link });
  }
  for (const [entityRef, head] of heads) {
    const signed = keyring.sign(chainHeadText({ entityRef, ...head }));
    await tx<DbAuditChainRow>(TABLES.auditChains)
      .where({ entity_ref: entityRef })
      .update({
        chain_seq: head.chainSeq,
        seq: head.seq,
        link: head.link,
        key_id: signed.keyId,
        mac: signed.mac,
      });
  }
  return events;
}
