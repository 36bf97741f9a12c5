import { MIGRATIONS_DIR } from './migrationsDir';
import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { testKeyring } from '../audit/__testUtils__/testKeyring';
import { computeEventHash, GENESIS_HASH } from '../audit/hashChain';
import {
  createTestDatabases,
  setUpEmptyDatabase,
  DATABASE_TEST_TIMEOUT_MS,
} from './__testUtils__/testDatabases';
import { DatabasePromotionStore } from './DatabasePromotionStore';
import { TABLES } from './tables';

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

const KEYED = '20261127000000_keyed_audit_chain.js';

const databases = createTestDatabases();

const FLOW = 'component:default/payments-sftp';
const OTHER_FLOW = 'component:default/billing';

/** Legacy events as the unkeyed global chain recorded them, before the migration. */
async function recordLegacyEvents(knex: Knex, refs: string[]) {
  let previousHash = GENESIS_HASH;
  for (const [i, entityRef] of refs.entries()) {
    const seq = i + 1;
    const fields = {
      seq,
      id: randomUUID(),
      type: 'sign-off.given' as const,
      entityRef,
      environmentId: 'test',
      version: '1.0.0',
      actor: 'user:default/carol',
      occurredAt: new Date(Date.UTC(2026, 10, 20, 10, seq)).toISOString(),
      summary: `Signed off ${seq}`,
      payload: { n: seq },
      previousHash,
    };
    const hash = computeEventHash(fields);
    await knex(TABLES.auditEvents).insert({
      id: fields.id,
      seq,
      type: fields.type,
      entity_ref: entityRef,
      environment_id: 'test',
      version: '1.0.0',
      actor: fields.actor,
      occurred_at: new Date(fields.occurredAt),
      summary: fields.summary,
      payload: JSON.stringify(fields.payload),
      previous_hash: previousHash,
      hash,
    });
    previousHash = hash;
  }
  await knex(TABLES.auditChainHead)
    .where({ id: 1 })
    .update({ seq: refs.length, hash: previousHash });
}

describe.each(databases.eachSupportedId())(
  'migration 20261127000000_keyed_audit_chain on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    setUpEmptyDatabase(databases, databaseId, made => {
      knex = made;
    });

    it('keeps the legacy events as a verified prefix, continues each flow chain keyed, and its down and up keep the data', async () => {
      await knex.migrate.up({ directory: MIGRATIONS_DIR });
      await knex.migrate.up({ directory: MIGRATIONS_DIR });
      await recordLegacyEvents(knex, [FLOW, OTHER_FLOW, FLOW]);
      const legacyRows = await knex(TABLES.auditEvents).orderBy('seq');

      await knex.migrate.up({ directory: MIGRATIONS_DIR, name: KEYED });
      const migrated = await knex(TABLES.auditEvents).orderBy('seq');
      expect(
        migrated.map(r => [
          Number(r.seq),
          r.id,
          Number(r.chain_seq),
          r.key_id,
          r.hash,
        ]),
      ).toEqual(
        legacyRows.map((r, i) => [
          i + 1,
          r.id,
          [1, 1, 2][i],
          'sha256-legacy',
          r.hash,
        ]),
      );
      const heads = await knex(TABLES.auditChains).orderBy('entity_ref');
      expect(
        heads.map(h => [h.entity_ref, Number(h.chain_seq), Number(h.seq)]),
      ).toEqual([
        [OTHER_FLOW, 1, 2],
        [FLOW, 2, 3],
      ]);

      const store = await DatabasePromotionStore.create({
        keyring: testKeyring(),
        database: { getClient: async () => knex },
        skipMigrations: true,
      });
      expect(await store.verifyChain()).toMatchObject({
        intact: true,
        eventsChecked: 3,
        flowsChecked: 2,
      });

      // The store continues each flow chain after its legacy events, keyed.
      const { events } = await store.createSignOff(
        {
          entityRef: FLOW,
          environmentId: 'test',
          version: '1.0.1',
          comment: 'ok',
        },
        { actor: 'user:default/carol' },
      );
      expect(events[0]).toMatchObject({
        seq: 4,
        previousHash: legacyRows[2].hash,
      });
      expect(
        (await knex(TABLES.auditEvents).where({ seq: 4 }).first()).chain_seq,
      ).toEqual(expect.anything());
      expect(await store.verifyChain()).toMatchObject({
        intact: true,
        eventsChecked: 4,
      });

      // A legacy event is still checked with the old algorithm.
      await knex(TABLES.auditEvents)
        .where({ seq: 2 })
        .update({ actor: 'user:default/mallory' });
      expect(await store.verifyChain()).toMatchObject({
        intact: false,
        breaks: [{ kind: 'event-altered', seq: 2, entityRef: OTHER_FLOW }],
      });
      await knex(TABLES.auditEvents)
        .where({ seq: 2 })
        .update({ actor: legacyRows[1].actor });

      // Down: one global chain again, every event kept with its seq, the head
      // at the last event.
      await knex.migrate.down({ directory: MIGRATIONS_DIR, name: KEYED });
      expect(await knex.schema.hasTable(TABLES.auditChains)).toBe(false);
      expect(await knex.schema.hasTable(TABLES.auditCheckpoints)).toBe(false);
      const down = await knex(TABLES.auditEvents).orderBy('seq');
      expect(down.map(r => [Number(r.seq), r.id])).toEqual(
        migrated.map(r => [Number(r.seq), r.id]).concat([[4, events[0].id]]),
      );
      const legacyHead = await knex(TABLES.auditChainHead).first();
      expect(Number(legacyHead.seq)).toBe(4);
      expect(legacyHead.hash).toBe(events[0].hash);

      // Up again: the data is still there.
      await knex.migrate.up({ directory: MIGRATIONS_DIR, name: KEYED });
      expect(
        (await knex(TABLES.auditEvents).orderBy('seq')).map(r => r.id),
      ).toEqual(down.map(r => r.id));
    });
  },
);
