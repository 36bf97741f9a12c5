import {
  AuditEvent,
  ChainVerification,
} from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { computeEventHash, GENESIS_HASH } from '../../../audit/hashChain';
import { mapAuditEventRow } from '../../mappers';
import { DbAuditChainHeadRow, DbAuditEventRow, TABLES } from '../../tables';

/** Events read per query while verifying the chain. */
const VERIFY_BATCH_SIZE = 1000;

/**
 * Walks the whole chain in seq order, in batches, recomputing every hash and
 * checking every link, then checks that the chain head matches the last
 * event. Reports the first break it finds.
 */
export async function verifyChain(
  db: Knex | Knex.Transaction,
): Promise<ChainVerification> {
  const verifiedAt = new Date().toISOString();
  let eventsChecked = 0;
  let expectedSeq = 1;
  let previousHash = GENESIS_HASH;
  const broken = (seq: number, problem: string): ChainVerification => ({
    intact: false,
    eventsChecked,
    firstBrokenSeq: seq,
    problem,
    verifiedAt,
  });

  for (;;) {
    const rows = await db<DbAuditEventRow>(TABLES.auditEvents)
      .where('seq', '>=', expectedSeq)
      .orderBy('seq', 'asc')
      .limit(VERIFY_BATCH_SIZE);
    for (const row of rows) {
      const seq = Number(row.seq);
      if (seq !== expectedSeq) {
        return broken(
          expectedSeq,
          `Event ${expectedSeq} is missing: the chain jumps from event ${
            expectedSeq - 1
          } to event ${seq}, so an event was deleted.`,
        );
      }
      let event: AuditEvent;
      try {
        event = mapAuditEventRow(row);
      } catch (error) {
        return broken(
          seq,
          `Event ${seq} cannot be read (${error}), so it was altered.`,
        );
      }
      if (event.previousHash !== previousHash) {
        return broken(
          seq,
          `Event ${seq} does not link to the event before it: its previous hash is ${
            event.previousHash
          }, but the hash of event ${seq - 1} is ${previousHash}.`,
        );
      }
      if (computeEventHash(event) !== event.hash) {
        return broken(
          seq,
          `Event ${seq} was altered after it was recorded: its content no longer matches its hash.`,
        );
      }
      previousHash = event.hash;
      eventsChecked += 1;
      expectedSeq += 1;
    }
    if (rows.length < VERIFY_BATCH_SIZE) {
      break;
    }
  }

  const head = await db<DbAuditChainHeadRow>(TABLES.auditChainHead)
    .where({ id: 1 })
    .first();
  const lastSeq = expectedSeq - 1;
  if (!head) {
    return broken(
      expectedSeq,
      'The chain head is missing, so the end of the chain cannot be checked.',
    );
  }
  const headSeq = Number(head.seq);
  if (headSeq > lastSeq) {
    return broken(
      lastSeq + 1,
      `The chain ends at event ${lastSeq}, but ${headSeq} event(s) were recorded: the last event(s) were deleted.`,
    );
  }
  if (headSeq < lastSeq || head.hash !== previousHash) {
    return broken(
      lastSeq,
      `The chain head (event ${headSeq}) does not match the last event (event ${lastSeq}): the chain head or the last event was altered.`,
    );
  }
  return { intact: true, eventsChecked, verifiedAt };
}
