import { Knex } from 'knex';
import { DbAuditChainHeadRow, TABLES } from '../../tables';

/** The chain head is one row, inserted by the migrations. */
export function chainHeadMissing(): Error {
  return new Error(
    `The audit chain head row is missing from ${TABLES.auditChainHead}; run the migrations`,
  );
}

/**
 * Takes the lock of the flow's audit chain now rather than at the first
 * append (today one chain-head row serves every flow): revocations
 * and rollbacks do, before they read the standing approvals they revoke, and
 * deployments do, before they read the facts the gate is evaluated on (see
 * `DatabasePromotionStore`). On MySQL it also makes the transaction's
 * snapshot start after every append before it.
 */
export async function lockFlowChain(
  tx: Knex.Transaction,
  _entityRef: string,
): Promise<void> {
  const locked = await tx<DbAuditChainHeadRow>(TABLES.auditChainHead)
    .where({ id: 1 })
    .update({ seq: tx.ref('seq') });
  if (locked !== 1) {
    throw chainHeadMissing();
  }
}
