import { AuditEvent, AuditEventType } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { chainHeadText, eventLinkText } from '../../../audit/hashChain';
import { AuditContext } from '../../PromotionStore';
import { DbAuditChainRow, DbAuditEventRow, TABLES } from '../../tables';
import { chunks, IN_CHUNK_SIZE } from '../queryHelpers';
import {
  FlowChainHead,
  heldFlowChain,
  lockFlowChains,
  rememberFlowChainHead,
} from './chainHead';
import { preparedRaw } from './preparedStatements';
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

/** The seq an insert returned: a row (SQLite) or the insert id (MySQL). */
function insertedSeq(returned: unknown): number {
  const value =
    typeof returned === 'object' && returned !== null
      ? (returned as { seq: number | string }).seq
      : (returned as number | string);
  return Number(value);
}

/** Options of `appendEvents`. */
export interface AppendEventsOptions {
  /**
   * Writes of the change the events record (inserts, updates) that nothing
   * before the append reads: on PostgreSQL they run in the same statement
   * as the events' insert, elsewhere just before it.
   */
  withWrites?: Knex.QueryBuilder[];
}

/**
 * Appends events to their flows' chains inside the caller's transaction.
 * It first locks the head row of every flow it appends to (sorted, see
 * `lockFlowChains`; a flow the transaction locked before is not locked
 * again), then reads the heads: on PostgreSQL and SQLite the lock returned
 * them; on MySQL each head is moved forward by that flow's number of events,
 * a real change, so that the head read next is the latest one. Concurrent
 * appends to a flow wait for its lock and each sees the head the previous
 * one left, while appends to other flows go on in parallel.
 *
 * Each event's seq comes from the table's auto-increment (unique and
 * increasing, with gaps where a transaction rolled back); its link is the
 * keyring's HMAC of its fields, its seq, its position and the link before it
 * in its flow. On PostgreSQL the seqs are drawn from the sequence first, so
 * each event is inserted once with its link, in one statement with the
 * change's other writes and the head's update; elsewhere each event is
 * inserted, then given its link once its seq is known. The keyring is the
 * one the store bound to its database client (`bindAuditKeyring`).
 */
export async function appendEvents(
  tx: Knex.Transaction,
  ctx: AuditContext,
  now: Date,
  newEvents: NewAuditEvent[],
  options: AppendEventsOptions = {},
): Promise<AuditEvent[]> {
  const withWrites = options.withWrites ?? [];
  if (newEvents.length === 0) {
    for (const write of withWrites) {
      await write;
    }
    return [];
  }
  const keyring = auditKeyringOf(tx);
  const postgres = tx.client.dialect === 'postgresql';
  const counts = new Map<string, number>();
  for (const newEvent of newEvents) {
    counts.set(newEvent.entityRef, (counts.get(newEvent.entityRef) ?? 0) + 1);
  }
  await lockFlowChains(tx, counts.keys());
  const heads = new Map<string, FlowChainHead>();
  for (const [entityRef, count] of [...counts].sort(([a], [b]) =>
    a < b ? -1 : 1,
  )) {
    const held = heldFlowChain(tx, entityRef)?.head;
    if (held) {
      heads.set(entityRef, held);
      continue;
    }
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

  // PostgreSQL: the events' seqs, drawn in order under the heads' locks.
  const seqs: number[] = postgres
    ? (
        await preparedRaw(
          tx,
          `select nextval(pg_get_serial_sequence(?, 'seq')) as seq from generate_series(1, ?) as n order by n`,
          [TABLES.auditEvents, newEvents.length],
        )
      ).rows.map((row: { seq: string | number }) => Number(row.seq))
    : [];
  if (!postgres) {
    for (const write of withWrites) {
      await write;
    }
  }

  const occurredAt = now.toISOString();
  const events: AuditEvent[] = [];
  const rows: DbAuditEventRow[] = [];
  for (const newEvent of newEvents) {
    const head = heads.get(newEvent.entityRef)!;
    const chainSeq = head.chainSeq + 1;
    const summary = tidySummary(newEvent.summary);
    // The payload as it will read back from its JSON text: without
    // undefined members, Dates as strings.
    const payloadText = JSON.stringify(newEvent.payload);
    const row: DbAuditEventRow = {
      seq: 0,
      id: randomUUID(),
      type: newEvent.type,
      entity_ref: newEvent.entityRef,
      environment_id: newEvent.environmentId ?? null,
      version: newEvent.version ?? null,
      actor: ctx.actor,
      occurred_at: now,
      summary,
      payload: payloadText,
      chain_seq: chainSeq,
      key_id: keyring.currentKeyId,
      previous_hash: head.link,
      hash: '',
    };
    let seq: number;
    if (postgres) {
      seq = seqs[events.length];
    } else {
      // MySQL answers the insert id; SQLite returns the row's seq.
      const { seq: _unknown, ...unsequenced } = row;
      const insert = tx(TABLES.auditEvents).insert(unsequenced);
      const [returned] =
        tx.client.dialect === 'mysql'
          ? await insert
          : await insert.returning('seq');
      seq = insertedSeq(returned);
    }
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
      payload: JSON.parse(payloadText),
      previousHash: head.link,
    };
    const { mac: link } = keyring.sign(
      eventLinkText({ ...fields, chainSeq, keyId: keyring.currentKeyId }),
    );
    if (postgres) {
      rows.push({ ...row, seq, hash: link });
    } else {
      await tx<DbAuditEventRow>(TABLES.auditEvents)
        .where({ seq })
        .update({ hash: link });
    }
    events.push({ ...fields, hash: link });
    heads.set(newEvent.entityRef, { chainSeq, seq, link });
  }

  const headUpdates = [...heads].map(([entityRef, head]) => {
    rememberFlowChainHead(tx, entityRef, head);
    const signed = keyring.sign(chainHeadText({ entityRef, ...head }));
    return tx<DbAuditChainRow>(TABLES.auditChains)
      .where({ entity_ref: entityRef })
      .update({
        chain_seq: head.chainSeq,
        seq: head.seq,
        link: head.link,
        key_id: signed.keyId,
        mac: signed.mac,
      });
  });
  if (postgres) {
    // One statement: the change's writes and the events as common table
    // expressions of the first head's update (many events: the first ones
    // in chunks before it, within PostgreSQL's limit of bound values).
    const [firstHead, ...otherHeads] = headUpdates;
    const [lastChunk, ...earlierChunks] = chunks(rows, IN_CHUNK_SIZE).reverse();
    for (const chunk of earlierChunks.reverse()) {
      await tx(TABLES.auditEvents).insert(chunk);
    }
    const parts = [...withWrites, tx(TABLES.auditEvents).insert(lastChunk)].map(
      query => query.toSQL(),
    );
    const last = firstHead.toSQL();
    await preparedRaw(
      tx,
      `with ${parts
        .map((part, index) => `w${index} as (${part.sql})`)
        .join(', ')} ${last.sql}`,
      [...parts.flatMap(part => part.bindings), ...last.bindings],
    );
    for (const update of otherHeads) {
      await update;
    }
  } else {
    for (const update of headUpdates) {
      await update;
    }
  }
  return events;
}
