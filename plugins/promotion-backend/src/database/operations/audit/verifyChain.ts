import {
  AuditCheckpoint,
  AuditEvent,
} from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { AuditKeyring } from '../../../audit/auditKeyring';
import { checkCheckpoint } from '../../../audit/checkpoint';
import {
  chainHeadText,
  computeEventHash,
  eventLinkText,
  GENESIS_HASH,
  LEGACY_KEY_ID,
  sha256Hex,
} from '../../../audit/hashChain';
import { mapAuditEventRow } from '../../mappers';
import {
  DbAuditChainHeadRow,
  DbAuditChainRow,
  DbAuditEventRow,
  TABLES,
} from '../../tables';
import { BreakList } from './breaks';

/** Events read per query while verifying the chain. */
const VERIFY_BATCH_SIZE = 1000;

/** What the walk saw of one flow chain so far. */
interface FlowState {
  chainSeq: number;
  link: string;
  /** Seq of the last event seen. */
  seq: number;
  /** Whether that event is a legacy (unkeyed) one. */
  legacy: boolean;
}

const EMPTY_FLOW: FlowState = {
  chainSeq: 0,
  link: GENESIS_HASH,
  seq: 0,
  legacy: true,
};

export interface ChainWalk {
  eventsChecked: number;
  flowsChecked: number;
}

function positions(from: number, to: number): string {
  return from === to ? `position ${from}` : `positions ${from} to ${to}`;
}

/**
 * Walks the whole audit trail inside `tx`, which must be one snapshot (see
 * `inSnapshot`), in pages of seq with memory bounded by the number of flows
 * (the last link of each flow chain), and adds every break to `breaks`:
 *
 * - each flow chain has positions 1, 2, … without gaps or repeats, and each
 *   event links to the one before it in its flow;
 * - each keyed event's link is the keyring's HMAC of what it says; legacy
 *   events (`sha256-legacy`, recorded before the keyed chain) are checked
 *   with the old unkeyed algorithm as one global chain ending at the frozen
 *   legacy head, and none may come after it;
 * - each flow's head row is signed and matches the flow's last event;
 * - against a checkpoint: the checkpoint is one the keyring signed, and
 *   every flow it records still has the event it recorded at that position.
 */
export async function verifyChain(
  tx: Knex.Transaction,
  keyring: AuditKeyring,
  breaks: BreakList,
  checkpoint?: AuditCheckpoint,
): Promise<ChainWalk> {
  const flows = new Map<string, FlowState>();
  const legacyHead = await tx<DbAuditChainHeadRow>(TABLES.auditChainHead)
    .where({ id: 1 })
    .first();
  const legacyEnd = legacyHead ? Number(legacyHead.seq) : 0;
  let legacyExpectedSeq = 1;
  let legacyPrevious = GENESIS_HASH;

  // What the checkpoint recorded, if it verifies.
  const recorded = new Map<string, { chainSeq: number; link: string }>();
  if (checkpoint) {
    const check = checkCheckpoint(keyring, checkpoint);
    if (check === 'valid') {
      for (const head of checkpoint.heads) {
        recorded.set(head.entityRef, {
          chainSeq: head.chainSeq,
          link: head.link,
        });
      }
    } else {
      breaks.add({
        kind: 'checkpoint-mismatch',
        message:
          check === 'unknown-key'
            ? `Checkpoint ${checkpoint.id} is signed with key '${checkpoint.keyId}', which is not configured, so it cannot be checked.`
            : `Checkpoint ${checkpoint.id} does not verify: it was altered or was not signed with the audit signing key.`,
      });
    }
  }

  // Flows with a break in their events: a head that does not verify there
  // was rewritten along with them; elsewhere, the chain was rewound.
  const brokenFlows = new Set<string>();

  let eventsChecked = 0;
  let afterSeq = 0;
  function checkEvent(row: DbAuditEventRow): void {
    const seq = Number(row.seq);
    afterSeq = seq;
    eventsChecked += 1;
    const entityRef = row.entity_ref;
    const chainSeq = Number(row.chain_seq);
    const keyId = row.key_id;
    const flow = flows.get(entityRef) ?? EMPTY_FLOW;
    const legacy = keyId === LEGACY_KEY_ID;
    flows.set(entityRef, {
      chainSeq: Math.max(chainSeq, flow.chainSeq),
      link: row.hash,
      seq,
      legacy,
    });

    // Its position in its flow chain.
    let positionBroken = false;
    if (chainSeq > flow.chainSeq + 1) {
      positionBroken = true;
      breaks.add({
        kind: 'event-missing',
        seq,
        entityRef,
        message: `The audit chain of ${entityRef} is missing the event(s) at ${positions(
          flow.chainSeq + 1,
          chainSeq - 1,
        )}: event #${seq} is at position ${chainSeq}, but the event before it in the chain is at position ${
          flow.chainSeq
        }${flow.seq ? ` (event #${flow.seq})` : ''}.`,
      });
    } else if (chainSeq <= flow.chainSeq) {
      positionBroken = true;
      breaks.add({
        kind: 'event-inserted',
        seq,
        entityRef,
        message: `Event #${seq} claims position ${chainSeq} in the audit chain of ${entityRef}, but an earlier event already reached position ${flow.chainSeq}: it was inserted, or events were reordered.`,
      });
    }

    let event: AuditEvent;
    try {
      event = mapAuditEventRow(row);
    } catch (error) {
      breaks.add({
        kind: 'event-altered',
        seq,
        entityRef,
        message: `Event #${seq} of ${entityRef} cannot be read (${error}), so it was altered.`,
      });
      return;
    }

    if (legacy) {
      if (seq > legacyEnd) {
        breaks.add({
          kind: 'event-inserted',
          seq,
          entityRef,
          message: `Event #${seq} of ${entityRef} claims to be an unkeyed event recorded before the keyed chain, but those end at event #${legacyEnd}: it was inserted.`,
        });
        return;
      }
      if (seq > legacyExpectedSeq) {
        breaks.add({
          kind: 'event-missing',
          seq,
          message: `The legacy audit chain is missing event(s) #${legacyExpectedSeq} to #${
            seq - 1
          }: it jumps to event #${seq}.`,
        });
      } else if (event.previousHash !== legacyPrevious) {
        breaks.add({
          kind: 'link-forged',
          seq,
          entityRef,
          message: `Legacy event #${seq} of ${entityRef} does not link to the event before it (#${
            seq - 1
          }).`,
        });
      }
      if (computeEventHash(event) !== event.hash) {
        breaks.add({
          kind: 'event-altered',
          seq,
          entityRef,
          message: `Legacy event #${seq} of ${entityRef} was altered after it was recorded: its content no longer matches its hash.`,
        });
      }
      legacyPrevious = event.hash;
      legacyExpectedSeq = seq + 1;
      return;
    }

    if (!positionBroken && event.previousHash !== flow.link) {
      breaks.add({
        kind: 'link-forged',
        seq,
        entityRef,
        message: `Event #${seq} (position ${chainSeq} of ${entityRef}) does not link to the event before it in the chain${
          flow.seq ? ` (event #${flow.seq})` : ''
        }: that event was replaced, or this one forged.`,
      });
    }
    const text = eventLinkText({ ...event, chainSeq, keyId });
    const check = keyring.check(text, keyId, event.hash);
    if (check === 'unknown-key') {
      breaks.add({
        kind: 'unknown-key',
        seq,
        entityRef,
        message: `Event #${seq} of ${entityRef} is linked with key '${keyId}', which is not configured: it was forged, or the key was removed from promotion.audit.signingKeys.`,
      });
    } else if (check === 'invalid') {
      const unkeyed =
        event.hash === computeEventHash(event) ||
        event.hash === sha256Hex(text);
      breaks.add(
        unkeyed
          ? {
              kind: 'link-forged',
              seq,
              entityRef,
              message: `Event #${seq} of ${entityRef} carries an unkeyed sha256 instead of its keyed link: it was forged or recomputed without the key.`,
            }
          : {
              kind: 'event-altered',
              seq,
              entityRef,
              message: `Event #${seq} of ${entityRef} was altered after it was recorded: its content no longer matches its keyed link (or the link was recomputed with another key).`,
            },
      );
    }

    const expected = recorded.get(entityRef);
    if (expected && expected.chainSeq === chainSeq) {
      recorded.delete(entityRef);
      if (expected.link !== event.hash) {
        breaks.add({
          kind: 'checkpoint-mismatch',
          seq,
          entityRef,
          message: `Event #${seq} at position ${chainSeq} of ${entityRef} is not the event checkpoint ${checkpoint?.id} recorded there: the chain was rewritten since.`,
        });
      }
    }
  }

  for (;;) {
    const rows = await tx<DbAuditEventRow>(TABLES.auditEvents)
      .where('seq', '>', afterSeq)
      .orderBy('seq', 'asc')
      .limit(VERIFY_BATCH_SIZE);
    for (const row of rows) {
      const before = breaks.found;
      checkEvent(row);
      if (breaks.found > before) {
        brokenFlows.add(row.entity_ref);
      }
    }
    if (rows.length < VERIFY_BATCH_SIZE) {
      break;
    }
  }

  if (legacyExpectedSeq - 1 < legacyEnd) {
    breaks.add({
      kind: 'chain-truncated',
      seq: legacyExpectedSeq,
      message: `The legacy audit chain ends at event #${
        legacyExpectedSeq - 1
      }, but ${legacyEnd} legacy event(s) were recorded: the last one(s) were deleted.`,
    });
  } else if (legacyEnd > 0 && legacyHead!.hash !== legacyPrevious) {
    breaks.add({
      kind: 'head-altered',
      seq: legacyEnd,
      message: `The legacy chain head (${TABLES.auditChainHead}) does not match legacy event #${legacyEnd}: the head or the event was altered.`,
    });
  }

  // Every flow's head, against the flow's last event.
  const heads = await tx<DbAuditChainRow>(TABLES.auditChains).orderBy(
    'entity_ref',
  );
  const withHead = new Set<string>();
  for (const head of heads) {
    const entityRef = head.entity_ref;
    withHead.add(entityRef);
    const flow = flows.get(entityRef) ?? EMPTY_FLOW;
    const headChainSeq = Number(head.chain_seq);
    const headSeq = Number(head.seq);
    const matches = headChainSeq === flow.chainSeq && head.link === flow.link;
    let signature: 'valid' | 'invalid' | 'unknown-key' = 'valid';
    if (head.key_id === LEGACY_KEY_ID) {
      // Unsigned: an empty chain, or one the migration ended in legacy events.
      if (!(headChainSeq === 0 || (flow.legacy && matches))) {
        signature = 'invalid';
      }
    } else {
      signature = keyring.check(
        chainHeadText({
          entityRef,
          chainSeq: headChainSeq,
          seq: headSeq,
          link: head.link,
        }),
        head.key_id,
        head.mac,
      );
    }
    if (headChainSeq > flow.chainSeq) {
      breaks.add({
        kind: 'chain-truncated',
        entityRef,
        seq: headSeq,
        message: `The audit chain of ${entityRef} ends at position ${flow.chainSeq}, but its head records position ${headChainSeq} (event #${headSeq}): the last event(s) were deleted.`,
      });
    } else if (headChainSeq < flow.chainSeq) {
      breaks.add({
        kind: 'event-inserted',
        entityRef,
        seq: flow.seq,
        message: `The audit chain of ${entityRef} goes on to position ${flow.chainSeq} (event #${flow.seq}), past its head at position ${headChainSeq}: events were inserted after it.`,
      });
    } else if (!matches) {
      breaks.add({
        kind: 'head-altered',
        entityRef,
        seq: flow.seq,
        message: `The head of the audit chain of ${entityRef} (${TABLES.auditChains}) does not match its last event #${flow.seq}: the head or the event was altered.`,
      });
    } else if (signature === 'unknown-key') {
      breaks.add({
        kind: 'unknown-key',
        entityRef,
        seq: headSeq,
        message: `The head of the audit chain of ${entityRef} is signed with key '${head.key_id}', which is not configured.`,
      });
    } else if (signature === 'invalid') {
      breaks.add(
        brokenFlows.has(entityRef)
          ? {
              kind: 'head-altered',
              entityRef,
              seq: headSeq,
              message: `The head of the audit chain of ${entityRef} (event #${headSeq}, position ${headChainSeq}) is not signed as a head written by an append: it was rewritten along with the broken events of the flow.`,
            }
          : {
              kind: 'chain-truncated',
              entityRef,
              seq: headSeq,
              message: `The head of the audit chain of ${entityRef} points at event #${headSeq} (position ${headChainSeq}) but is not signed as a head written by an append: the chain was rewound to it, and the events after it deleted.`,
            },
      );
    }
  }
  for (const [entityRef, flow] of flows) {
    if (!withHead.has(entityRef)) {
      breaks.add({
        kind: 'head-altered',
        entityRef,
        seq: flow.seq,
        message: `The audit chain of ${entityRef} has no head row in ${TABLES.auditChains}: it was deleted.`,
      });
    }
  }

  // Whatever the checkpoint recorded and the walk did not reach.
  for (const [entityRef, expected] of recorded) {
    const flow = flows.get(entityRef) ?? EMPTY_FLOW;
    breaks.add(
      flow.chainSeq < expected.chainSeq
        ? {
            kind: 'chain-truncated',
            entityRef,
            message: `At checkpoint ${checkpoint?.id}, the audit chain of ${entityRef} reached position ${expected.chainSeq}; it now ends at position ${flow.chainSeq}: it was truncated or rewound since.`,
          }
        : {
            kind: 'checkpoint-mismatch',
            entityRef,
            message: `The event at position ${expected.chainSeq} of ${entityRef}, which checkpoint ${checkpoint?.id} recorded, is no longer in the chain.`,
          },
    );
  }

  return { eventsChecked, flowsChecked: flows.size };
}
