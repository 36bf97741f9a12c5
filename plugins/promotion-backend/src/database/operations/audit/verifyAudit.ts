import {
  AuditBreak,
  ChainVerification,
} from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { AuditKeyring } from '../../../audit/auditKeyring';
import { VerifyChainOptions } from '../../PromotionStore';
import { BreakList } from './breaks';
import { inSnapshot } from './snapshot';
import { verifyChain } from './verifyChain';

/**
 * A check of the state rows against the audit events that recorded them,
 * run inside the same snapshot as the chain walk.
 */
export type StateRowsCheck = (
  tx: Knex.Transaction,
  keyring: AuditKeyring,
) => Promise<{
  rowsChecked: number;
  breaks: AuditBreak[];
  breaksTruncated?: boolean;
}>;

/**
 * The whole verification in one snapshot: the chain walk (`verifyChain`)
 * and, when given, the check of the state rows bound to the events, their
 * breaks listed together up to `maxBreaks`.
 */
export async function verifyAudit(
  db: Knex,
  keyring: AuditKeyring,
  options: VerifyChainOptions & { stateRows?: StateRowsCheck } = {},
): Promise<ChainVerification> {
  const verifiedAt = new Date().toISOString();
  return inSnapshot(db, async tx => {
    const breaks = new BreakList(options.maxBreaks);
    const walk = await verifyChain(tx, keyring, breaks, options.checkpoint);
    let rowsChecked: number | undefined;
    if (options.stateRows) {
      const state = await options.stateRows(tx, keyring);
      rowsChecked = state.rowsChecked;
      breaks.addAll(state.breaks);
      if (state.breaksTruncated) {
        breaks.markTruncated();
      }
    }
    const listed = breaks.breaks;
    // The headline names the earliest break in the trail, with its own words.
    const first = listed.reduce<(typeof listed)[number] | undefined>(
      (earliest, found) =>
        earliest === undefined ||
        (found.seq !== undefined &&
          (earliest.seq === undefined || found.seq < earliest.seq))
          ? found
          : earliest,
      undefined,
    );
    const result: ChainVerification = {
      intact: breaks.found === 0,
      eventsChecked: walk.eventsChecked,
      verifiedAt,
      flowsChecked: walk.flowsChecked,
      breaks: listed,
      breaksTruncated: breaks.truncated,
    };
    if (rowsChecked !== undefined) {
      result.rowsChecked = rowsChecked;
    }
    if (first) {
      result.problem = first.message;
      if (first.seq !== undefined) {
        result.firstBrokenSeq = first.seq;
      }
    }
    if (options.checkpoint) {
      result.checkpoint = {
        id: options.checkpoint.id,
        digest: options.checkpoint.digest,
        createdAt: options.checkpoint.createdAt,
      };
    }
    return result;
  });
}
