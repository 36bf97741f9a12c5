import { Knex } from 'knex';
import { createHash } from 'node:crypto';
import { GENESIS_HASH, LEGACY_KEY_ID } from '../../../audit/hashChain';
import { DbAuditChainRow, TABLES } from '../../tables';

/** Stripe rows in promotion_audit_chain_locks. */
const STRIPES = 256;

/** The stripe of a flow: a hash of its entity ref. */
export function chainLockStripe(entityRef: string): number {
  return createHash('sha256').update(entityRef, 'utf8').digest()[0] % STRIPES;
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
 * row, SQLite takes the database write lock). A missing row is inserted
 * first (insert, ignoring a duplicate), then locked:
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
  const lockHead = () =>
    tx<DbAuditChainRow>(TABLES.auditChains)
      .where({ entity_ref: entityRef })
      .update({ chain_seq: tx.ref('chain_seq') });
  const mysql = tx.client.dialect === 'mysql';
  if (mysql) {
    await tx(TABLES.auditChainLocks)
      .where({ stripe: chainLockStripe(entityRef) })
      .update({ n: tx.ref('n') });
  } else if ((await lockHead()) === 1) {
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
  if ((await lockHead()) !== 1) {
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
