import { AuditCheckpoint } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { AuditKeyring } from '../../../audit/auditKeyring';
import { signCheckpoint } from '../../../audit/checkpoint';
import { DbAuditChainRow, DbAuditCheckpointRow, TABLES } from '../../tables';

/**
 * Signs the head of every flow chain as it is now (one query, so one
 * consistent set of heads) and stores the checkpoint. Flows whose chain is
 * still empty (position 0) are left out.
 */
export async function createCheckpoint(
  db: Knex,
  keyring: AuditKeyring,
  ctx: { actor: string; now?: Date },
): Promise<AuditCheckpoint> {
  const now = ctx.now ?? new Date();
  return db.transaction(async tx => {
    const heads = await tx<DbAuditChainRow>(TABLES.auditChains)
      .where('chain_seq', '>', 0)
      .orderBy('entity_ref');
    const checkpoint = signCheckpoint(keyring, {
      id: randomUUID(),
      createdAt: now.toISOString(),
      createdBy: ctx.actor,
      heads: heads.map(head => ({
        entityRef: head.entity_ref,
        chainSeq: Number(head.chain_seq),
        seq: Number(head.seq),
        link: head.link,
      })),
    });
    const row: DbAuditCheckpointRow = {
      id: checkpoint.id,
      created_at: now,
      created_by: checkpoint.createdBy,
      digest: checkpoint.digest,
      key_id: checkpoint.keyId,
      mac: checkpoint.mac,
      flows: checkpoint.flows,
      events: checkpoint.events,
      body: JSON.stringify(checkpoint),
    };
    await tx(TABLES.auditCheckpoints).insert(row);
    return checkpoint;
  });
}

/** The latest stored checkpoint, if any. */
export async function latestCheckpoint(
  db: Knex,
): Promise<AuditCheckpoint | undefined> {
  const row = await db<DbAuditCheckpointRow>(TABLES.auditCheckpoints)
    .orderBy('created_at', 'desc')
    .first();
  return row ? (JSON.parse(row.body) as AuditCheckpoint) : undefined;
}
