import { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { GENESIS_HASH, LEGACY_KEY_ID } from '../../../audit/hashChain';
import { DbAuditChainRow, TABLES } from '../../tables';
import { preparedRaw } from './preparedStatements';

/** Stripe rows in promotion_audit_chain_locks. */
const STRIPES = 256;

/** The stripe of a flow: a hash of its entity ref. */
export function chainLockStripe(entityRef: string): number {
  return createHash('sha256').update(entityRef, 'utf8').digest()[0] % STRIPES;
}

/** A flow's chain head as its row says. */
export interface FlowChainHead {
  chainSeq: number;
  seq: number;
  link: string;
}

/**
 * The chain heads each transaction holds the lock of. On PostgreSQL and
 * SQLite the lock returns the row as it is once locked (the latest: no one
 * else changes it until the transaction ends), so the head is known without
 * reading it again; `appendEvents` keeps it up to date as it appends. On
 * MySQL only the lock is remembered (`undefined`): a plain read there may
 * answer from a snapshot older than the lock, so the head is read after a
 * change of the row.
 */
const heldHeads = new WeakMap<
  Knex.Transaction,
  Map<string, FlowChainHead | undefined>
>();

function headOf(row: DbAuditChainRow): FlowChainHead {
  return {
    chainSeq: Number(row.chain_seq),
    seq: Number(row.seq),
    link: row.link,
  };
}

/**
 * Whether the transaction holds the lock of the flow's chain head, and the
 * head if the lock returned it (PostgreSQL, SQLite).
 */
export function heldFlowChain(
  tx: Knex.Transaction,
  entityRef: string,
): { head: FlowChainHead | undefined } | undefined {
  const held = heldHeads.get(tx);
  return held?.has(entityRef) ? { head: held.get(entityRef) } : undefined;
}

/** Records the head the transaction's appends left (it holds its lock). */
export function rememberFlowChainHead(
  tx: Knex.Transaction,
  entityRef: string,
  head: FlowChainHead,
): void {
  let held = heldHeads.get(tx);
  if (!held) {
    held = new Map();
    heldHeads.set(tx, held);
  }
  held.set(entityRef, head);
}

function rememberLock(tx: Knex.Transaction, entityRef: string): void {
  let held = heldHeads.get(tx);
  if (!held) {
    held = new Map();
    heldHeads.set(tx, held);
  }
  if (!held.has(entityRef)) {
    held.set(entityRef, undefined);
  }
}

/**
 * Takes the lock of the flow's audit chain head row, creating the row (an
 * empty chain: position 0, the genesis link) if the flow has none yet.
 * Appends take it (`appendEvents`); revocations and rollbacks take it before
 * they read the standing approvals they revoke, and deployments before they
 * read the facts the gate is evaluated on (see `DatabasePromotionStore`).
 * Only the flow's row is locked, so writes on different flows proceed in
 * parallel. On MySQL it also makes the transaction's snapshot start after
 * every append to the flow before it, when it comes before any read.
 *
 * The lock is an update that changes nothing (PostgreSQL and MySQL lock the
 * row, SQLite takes the database write lock); on PostgreSQL and SQLite it
 * returns the row, which the transaction remembers (`heldFlowChain`). A
 * flow locked already in the transaction is not locked again. A missing row
 * is inserted first (insert, ignoring a duplicate), then locked:
 * - PostgreSQL and SQLite try the update first; only a new flow inserts.
 *   Two transactions inserting the same head: the second waits for the
 *   first to end, then inserts nothing and locks the row.
 * - MySQL would take a gap lock on the missing row, and the inserts of two
 *   transactions into one gap deadlock; a duplicate insert takes a shared
 *   lock, and two shared locks both upgraded deadlock too. So MySQL first
 *   locks the flow's stripe in promotion_audit_chain_locks (an existing
 *   row: no gap lock), and only then inserts and locks the head: under the
 *   stripe, one transaction at a time touches the head.
 */
export async function lockFlowChain(
  tx: Knex.Transaction,
  entityRef: string,
): Promise<void> {
  if (heldFlowChain(tx, entityRef)) {
    return;
  }
  const mysql = tx.client.dialect === 'mysql';
  /** Locks the head: true when the row is there. */
  const lockHead = async (): Promise<boolean> => {
    const update = tx<DbAuditChainRow>(TABLES.auditChains)
      .where({ entity_ref: entityRef })
      .update({ chain_seq: tx.ref('chain_seq') });
    if (mysql) {
      if ((await update) !== 1) {
        return false;
      }
      rememberLock(tx, entityRef);
      return true;
    }
    const columns = ['chain_seq', 'seq', 'link'];
    let row: DbAuditChainRow | undefined;
    if (tx.client.dialect === 'postgresql') {
      const { sql, bindings } = update.returning(columns).toSQL();
      [row] = (await preparedRaw(tx, sql, bindings)).rows;
    } else {
      [row] = (await update.returning(columns)) as DbAuditChainRow[];
    }
    if (!row) {
      return false;
    }
    rememberFlowChainHead(tx, entityRef, headOf(row));
    return true;
  };
  if (mysql) {
    await tx(TABLES.auditChainLocks)
      .where({ stripe: chainLockStripe(entityRef) })
      .update({ n: tx.ref('n') });
  } else if (await lockHead()) {
    return;
  }
  const genesis: DbAuditChainRow = {
    entity_ref: entityRef,
    chain_seq: 0,
    seq: 0,
    link: GENESIS_HASH,
    key_id: LEGACY_KEY_ID,
    mac: '',
  };
  await tx<DbAuditChainRow>(TABLES.auditChains)
    .insert(genesis)
    .onConflict('entity_ref')
    .ignore();
  if (!(await lockHead())) {
    throw new Error(
      `The audit chain head of ${entityRef} is missing from ${TABLES.auditChains} after its insert`,
    );
  }
}

/**
 * Locks the heads of several flows, in sorted order so that two transactions
 * spanning the same flows cannot deadlock.
 */
export async function lockFlowChains(
  tx: Knex.Transaction,
  entityRefs: Iterable<string>,
): Promise<void> {
  for (const entityRef of [...new Set(entityRefs)].sort()) {
    await lockFlowChain(tx, entityRef);
  }
}
