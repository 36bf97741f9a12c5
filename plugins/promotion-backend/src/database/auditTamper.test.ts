import { TestDatabaseId } from '@backstage/backend-test-utils';
import { AuditBreak } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { AuditKeyring } from '../audit/auditKeyring';
import {
  chainHeadText,
  computeEventHash,
  eventLinkText,
  LEGACY_KEY_ID,
} from '../audit/hashChain';
import { CAROL, FLOW, setUpTestStore } from './__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from './__testUtils__/testDatabases';
import { DatabasePromotionStore } from './DatabasePromotionStore';
import { VerifyChainOptions } from './PromotionStore';
import { mapAuditEventRow } from './mappers';
import { DbAuditEventRow, TABLES } from './tables';

/*
 * The tamper suite: what someone with write access to the database, but
 * without the audit signing key, can do to the trail, and how verification
 * names it. Every case is detected with its kind and its event seq or flow.
 */

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

const databases = createTestDatabases();

const OTHER_FLOW = 'component:default/billing';
const MALLORY = 'user:default/mallory';

describe.each(databases.eachSupportedId())(
  'audit tampering on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let store: DatabasePromotionStore;

    setUpTestStore(databases, databaseId, 'each', made => {
      ({ knex, store } = made);
    });

    async function signOff(entityRef: string, n: number) {
      const { events } = await store.createSignOff(
        {
          entityRef,
          environmentId: 'test',
          version: `1.0.${n}`,
          comment: `Signed off ${n}`,
        },
        { actor: CAROL, now: new Date(Date.UTC(2026, 10, 27, 10, n)) },
      );
      return events[0];
    }

    /** Six events: seq 1, 3, 5 on FLOW (positions 1 to 3), 2, 4, 6 on OTHER_FLOW. */
    async function recordEvents() {
      for (let n = 1; n <= 6; n++) {
        await signOff(n % 2 ? FLOW : OTHER_FLOW, n);
      }
    }

    async function rows(entityRef?: string): Promise<DbAuditEventRow[]> {
      const query = knex<DbAuditEventRow>(TABLES.auditEvents).orderBy('seq');
      return entityRef ? query.where({ entity_ref: entityRef }) : query;
    }

    function brief(breaks: AuditBreak[] = []) {
      return breaks.map(b => ({
        kind: b.kind,
        seq: b.seq,
        entityRef: b.entityRef,
      }));
    }

    /** The verification with the chains' breaks only: the state rows' breaks have their own suite (operations/binding). */
    async function verifyChainOnly(options?: VerifyChainOptions) {
      const result = await store.verifyChain(options);
      return {
        ...result,
        breaks: result.breaks?.filter(b => !b.kind.startsWith('state-')),
      };
    }

    async function expectIntact() {
      expect(await store.verifyChain()).toMatchObject({
        intact: true,
        breaks: [],
      });
    }

    it('names an edited actor', async () => {
      await recordEvents();
      await knex(TABLES.auditEvents)
        .where({ seq: 3 })
        .update({ actor: MALLORY });
      const result = await verifyChainOnly();
      expect(result).toMatchObject({
        intact: false,
        eventsChecked: 6,
        firstBrokenSeq: 3,
      });
      expect(brief(result.breaks)).toEqual([
        { kind: 'event-altered', seq: 3, entityRef: FLOW },
      ]);
      expect(result.breaks![0].message).toMatch(/Event #3 of .*altered/);
    });

    it('names a deleted event', async () => {
      await recordEvents();
      await knex(TABLES.auditEvents).where({ seq: 3 }).delete();
      const result = await verifyChainOnly();
      expect(brief(result.breaks)).toEqual([
        { kind: 'event-missing', seq: 5, entityRef: FLOW },
      ]);
      expect(result.breaks![0].message).toMatch(
        /missing the event\(s\) at position 2/,
      );
    });

    it('names two reordered events', async () => {
      await recordEvents();
      // Swap the seq of FLOW's events #3 and #5.
      await knex(TABLES.auditEvents).where({ seq: 3 }).update({ seq: 1000 });
      await knex(TABLES.auditEvents).where({ seq: 5 }).update({ seq: 3 });
      await knex(TABLES.auditEvents).where({ seq: 1000 }).update({ seq: 5 });
      const result = await verifyChainOnly();
      expect(result.intact).toBe(false);
      expect(brief(result.breaks)).toEqual(
        expect.arrayContaining([
          { kind: 'event-missing', seq: 3, entityRef: FLOW },
          { kind: 'event-altered', seq: 3, entityRef: FLOW },
          { kind: 'event-inserted', seq: 5, entityRef: FLOW },
          { kind: 'event-altered', seq: 5, entityRef: FLOW },
        ]),
      );
    });

    it('names a forged event carrying a correct unkeyed sha256', async () => {
      await recordEvents();
      const [last] = await rows(OTHER_FLOW).then(r => r.slice(-1));
      const fields = {
        ...mapAuditEventRow(last),
        seq: 7,
        id: randomUUID(),
        actor: MALLORY,
        summary: 'Approved, honestly',
        previousHash: last.hash,
      };
      const forged = {
        ...last,
        seq: 7,
        id: fields.id,
        actor: MALLORY,
        summary: fields.summary,
        chain_seq: 4,
        previous_hash: last.hash,
      };
      // As a legacy event (the unkeyed algorithm) and as a keyed one.
      await knex(TABLES.auditEvents).insert({
        ...forged,
        key_id: LEGACY_KEY_ID,
        hash: computeEventHash(fields),
      });
      let result = await verifyChainOnly();
      expect(brief(result.breaks)).toEqual([
        { kind: 'event-inserted', seq: 7, entityRef: OTHER_FLOW },
        { kind: 'event-inserted', seq: 7, entityRef: OTHER_FLOW },
      ]);
      expect(result.breaks![0].message).toMatch(
        /unkeyed event recorded before the keyed chain/,
      );
      expect(result.breaks![1].message).toMatch(/past its head/);

      await knex(TABLES.auditEvents)
        .where({ seq: 7 })
        .update({ key_id: 'test' });
      result = await verifyChainOnly();
      expect(brief(result.breaks)).toEqual([
        { kind: 'link-forged', seq: 7, entityRef: OTHER_FLOW },
        { kind: 'event-inserted', seq: 7, entityRef: OTHER_FLOW },
      ]);
    });

    /** Rewrites FLOW's events from position `from` on, as `link` says, and points the head at the last. */
    async function recomputeTail(
      from: number,
      link: (
        text: string,
        fields: ReturnType<typeof mapAuditEventRow>,
      ) => string,
      headMac: (text: string) => string,
    ) {
      const flowRows = await rows(FLOW);
      let previous = flowRows[from - 2]?.hash;
      let head = { seq: 0, chainSeq: 0, link: '' };
      for (const row of flowRows.slice(from - 1)) {
        const fields = { ...mapAuditEventRow(row), previousHash: previous };
        if (Number(row.chain_seq) === from) {
          fields.actor = MALLORY;
        }
        const chainSeq = Number(row.chain_seq);
        const hash = link(
          eventLinkText({ ...fields, chainSeq, keyId: row.key_id }),
          fields,
        );
        await knex(TABLES.auditEvents)
          .where({ seq: row.seq })
          .update({ actor: fields.actor, previous_hash: previous, hash });
        previous = hash;
        head = { seq: Number(row.seq), chainSeq, link: hash };
      }
      await knex(TABLES.auditChains)
        .where({ entity_ref: FLOW })
        .update({
          link: head.link,
          mac: headMac(chainHeadText({ entityRef: FLOW, ...head })),
        });
    }

    it('names a tail recomputed with unkeyed sha256', async () => {
      await recordEvents();
      await recomputeTail(
        2,
        (_text, fields) => computeEventHash(fields),
        () => '0'.repeat(64),
      );
      const result = await verifyChainOnly();
      expect(brief(result.breaks)).toEqual([
        { kind: 'link-forged', seq: 3, entityRef: FLOW },
        { kind: 'link-forged', seq: 5, entityRef: FLOW },
        { kind: 'head-altered', seq: 5, entityRef: FLOW },
      ]);
      expect(result.breaks![0].message).toMatch(/without the key/);
    });

    it('names a tail recomputed with HMAC under a wrong key', async () => {
      await recordEvents();
      const wrong = new AuditKeyring([
        {
          id: 'test',
          secret: Buffer.from('not-the-audit-signing-key-0123456789'),
        },
      ]);
      await recomputeTail(
        2,
        text => wrong.sign(text).mac,
        text => wrong.sign(text).mac,
      );
      const result = await verifyChainOnly();
      expect(brief(result.breaks)).toEqual([
        { kind: 'event-altered', seq: 3, entityRef: FLOW },
        { kind: 'event-altered', seq: 5, entityRef: FLOW },
        { kind: 'head-altered', seq: 5, entityRef: FLOW },
      ]);
    });

    it('names an event linked with a key that is not configured', async () => {
      await recordEvents();
      const other = new AuditKeyring([
        {
          id: 'k-unknown',
          secret: Buffer.from('a-key-nobody-configured-0123456789'),
        },
      ]);
      const [row] = await knex<DbAuditEventRow>(TABLES.auditEvents).where({
        seq: 6,
      });
      const text = eventLinkText({
        ...mapAuditEventRow(row),
        chainSeq: Number(row.chain_seq),
        keyId: 'k-unknown',
      });
      await knex(TABLES.auditEvents)
        .where({ seq: 6 })
        .update({ key_id: 'k-unknown', hash: other.sign(text).mac });
      const result = await verifyChainOnly();
      expect(brief(result.breaks)).toEqual([
        { kind: 'unknown-key', seq: 6, entityRef: OTHER_FLOW },
        { kind: 'head-altered', seq: 6, entityRef: OTHER_FLOW },
      ]);
    });

    it('names the newest event deleted and the head rewound', async () => {
      await recordEvents();
      const [before, last] = await rows(FLOW).then(r => r.slice(-2));
      await knex(TABLES.auditEvents).where({ seq: last.seq }).delete();
      await knex(TABLES.auditChains).where({ entity_ref: FLOW }).update({
        chain_seq: before.chain_seq,
        seq: before.seq,
        link: before.hash,
      });
      const result = await verifyChainOnly();
      expect(brief(result.breaks)).toEqual([
        { kind: 'chain-truncated', seq: 3, entityRef: FLOW },
      ]);
      expect(result.breaks![0].message).toMatch(/rewound/);
    });

    it('names a chain truncated after a checkpoint, which only the checkpoint shows', async () => {
      await recordEvents();
      // The attacker keeps a copy of FLOW's head row, validly signed, at position 3.
      const saved = await knex(TABLES.auditChains)
        .where({ entity_ref: FLOW })
        .first();
      await signOff(FLOW, 7);
      await signOff(FLOW, 8);
      const checkpoint = await store.createCheckpoint({ actor: CAROL });
      expect(checkpoint).toMatchObject({ flows: 2, events: 8 });
      await expectIntact();

      // Delete FLOW's two newest events and restore the saved, signed head.
      const newest = await rows(FLOW).then(r => r.slice(-2));
      await knex(TABLES.auditEvents)
        .whereIn(
          'seq',
          newest.map(r => r.seq),
        )
        .delete();
      await knex(TABLES.auditChains).where({ entity_ref: FLOW }).update(saved);

      // Without the checkpoint, every chain looks whole (only the state rows
      // the deleted events recorded, now unrecorded, give it away): that is
      // what checkpoints are for.
      expect((await verifyChainOnly()).breaks).toEqual([]);
      expect(
        brief((await store.verifyChain()).breaks).map(b => b.kind),
      ).toContain('state-unrecorded');
      const result = await verifyChainOnly({ checkpoint });
      expect(result).toMatchObject({
        intact: false,
        checkpoint: { id: checkpoint.id, digest: checkpoint.digest },
      });
      expect(brief(result.breaks)).toEqual([
        { kind: 'chain-truncated', seq: undefined, entityRef: FLOW },
      ]);
      expect(result.breaks![0].message).toMatch(
        /reached position 5; it now ends at position 3/,
      );

      // A flow deleted whole, head and all.
      await knex(TABLES.auditEvents).where({ entity_ref: OTHER_FLOW }).delete();
      await knex(TABLES.auditChains).where({ entity_ref: OTHER_FLOW }).delete();
      expect(brief((await verifyChainOnly({ checkpoint })).breaks)).toEqual([
        { kind: 'chain-truncated', seq: undefined, entityRef: OTHER_FLOW },
        { kind: 'chain-truncated', seq: undefined, entityRef: FLOW },
      ]);

      // A checkpoint edited to match is refused.
      const edited = {
        ...checkpoint,
        heads: checkpoint.heads.map(h => ({ ...h, chainSeq: 3 })),
      };
      expect(
        brief((await verifyChainOnly({ checkpoint: edited })).breaks),
      ).toEqual([
        { kind: 'checkpoint-mismatch', seq: undefined, entityRef: undefined },
      ]);
    });

    it('lists every break up to the limit', async () => {
      await recordEvents();
      await knex(TABLES.auditEvents).update({ summary: 'rewritten' });
      const result = await verifyChainOnly({ maxBreaks: 4 });
      expect(result).toMatchObject({
        intact: false,
        eventsChecked: 6,
        firstBrokenSeq: 1,
        breaksTruncated: true,
      });
      expect(brief(result.breaks)).toEqual(
        [1, 2, 3, 4].map(seq => ({
          kind: 'event-altered',
          seq,
          entityRef: seq % 2 ? FLOW : OTHER_FLOW,
        })),
      );
    });

    it('raises no false alarm while 16 writers append to 16 flows', async () => {
      const WRITERS = 16;
      const EACH = 6;
      let done = false;
      const writers = Promise.all(
        Array.from({ length: WRITERS }, async (_, w) => {
          for (let n = 1; n <= EACH; n++) {
            await signOff(`component:default/flow-${w}`, n);
          }
        }),
      ).finally(() => {
        done = true;
      });
      const seen: number[] = [];
      do {
        const result = await store.verifyChain();
        expect(result).toMatchObject({ intact: true, breaks: [] });
        seen.push(result.eventsChecked);
      } while (!done);
      await writers;
      const final = await store.verifyChain();
      expect(final).toMatchObject({
        intact: true,
        eventsChecked: WRITERS * EACH,
        flowsChecked: WRITERS,
      });
      expect(seen.length).toBeGreaterThan(0);
      // Each verification saw a consistent prefix of every flow.
      expect(seen.every(n => n <= WRITERS * EACH)).toBe(true);
    });
  },
);
