import { Knex } from 'knex';
import { setUpTestStore } from '../../__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../__testUtils__/testDatabases';
import { DatabasePromotionStore } from '../../DatabasePromotionStore';
import { GateFactsQuery } from '../../PromotionStore';
import { TABLES } from '../../tables';
import { planNodes, recordStatements } from '../../__testUtils__/plans';

/*
 * The inbox's batched gate reads on PostgreSQL read each gate's rows through
 * the indexes, however many rows every other flow has: with 3,000 flows'
 * history in the tables and 100 gates in a batch, the plan of every
 * statement getManyGateFacts sends holds no sequential scan of the tables
 * that grow with history. (A plain join of the gates to a table is planned
 * as a hash join over a scan of the whole table at this size; the reads
 * join each gate LATERAL.)
 */

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS * 2);

const databases = createTestDatabases(['POSTGRES_15']);

const FLOWS = 3_000;
const GROWING = [
  TABLES.deployments,
  TABLES.checklistCompletions,
  TABLES.signOffs,
  TABLES.requests,
];

/** Every `Seq Scan` of a plan (EXPLAIN's JSON), by the table it reads. */
const sequentialScans = (plan: unknown): string[] =>
  planNodes(plan)
    .filter(node => node.node === 'Seq Scan')
    .map(node => String(node.relation));

describe.each(databases.eachSupportedId())(
  'the plans of the batched gate reads on %s',
  id => {
    let knex: Knex;
    let store: DatabasePromotionStore;
    setUpTestStore(databases, id, 'all', made => {
      ({ knex, store } = made);
    });

    it('read each gate through the indexes, not the whole tables', async () => {
      // 3,000 flows, each with 3 deployments, 10 checklist completions in
      // test, 3 sign-offs and a request into production.
      await knex.raw(
        `insert into ${TABLES.deployments} (id, entity_ref, environment_id, version, status, reported_by, reported_at, violation, unmet_conditions)
       select gen_random_uuid(), 'component:default/f' || f, e, '1.' || f || '.0', 'succeeded', 'service:external:ci', now() - interval '1 day', false, '[]'
       from generate_series(1, ?) f, unnest(array['dev', 'test', 'production']) e`,
        [FLOWS],
      );
      await knex.raw(
        `insert into ${TABLES.checklistCompletions} (id, entity_ref, environment_id, kind, item_id, version, completed_by, completed_at, undone_key)
       select gen_random_uuid(), 'component:default/f' || f, 'test', 'validation', 'item-' || i, '1.' || f || '.0', 'user:default/alice', now(), ''
       from generate_series(1, ?) f, generate_series(1, 10) i`,
        [FLOWS],
      );
      await knex.raw(
        `insert into ${TABLES.signOffs} (id, entity_ref, environment_id, version, signed_off_by, signed_off_at, comment)
       select gen_random_uuid(), 'component:default/f' || f, e, '1.' || f || '.0', 'user:default/alice', now(), 'ok'
       from generate_series(1, ?) f, unnest(array['dev', 'test', 'production']) e`,
        [FLOWS],
      );
      await knex.raw(
        `insert into ${TABLES.requests} (id, entity_ref, environment_id, version, status, dossier, dossier_hash, revision, requested_by, created_at, updated_at, expires_at, pending_key)
       select gen_random_uuid(), 'component:default/f' || f, 'production', '1.' || f || '.0', 'pending', '{}', 'hash', 1, 'user:default/alice', now(), now(), now() + interval '7 days', 'component:default/f' || f || '|production'
       from generate_series(1, ?) f`,
        [FLOWS],
      );
      for (const table of GROWING) {
        await knex.raw(`analyze ${table}`);
      }

      const gates: GateFactsQuery[] = Array.from({ length: 100 }, (_, i) => ({
        entityRef: `component:default/f${i * 29 + 1}`,
        version: `1.${i * 29 + 1}.0`,
        environmentIds: ['dev', 'test', 'production'],
      }));
      const { result: facts, sent } = await recordStatements(knex, () =>
        store.getManyGateFacts(gates),
      );
      // What the reads found: each gate's own rows.
      expect(facts.map(f => f.checklistCompletions.length)).toEqual(
        gates.map(() => 10),
      );
      expect(facts.map(f => f.signOffs.length)).toEqual(gates.map(() => 1));
      expect(facts.map(f => f.requests.length)).toEqual(gates.map(() => 1));

      expect(sent.length).toBeGreaterThanOrEqual(6);
      // Each statement as the driver sent it (its parameters numbered), explained
      // on a connection of the pool.
      const connection = await knex.client.acquireConnection();
      try {
        for (const { sql, values } of sent) {
          const explained = await connection.query(
            `explain (format json) ${sql}`,
            values,
          );
          const scans = sequentialScans(explained.rows[0]['QUERY PLAN']).filter(
            table => (GROWING as string[]).includes(table),
          );
          expect({ sql, scans }).toEqual({ sql, scans: [] });
        }
      } finally {
        await knex.client.releaseConnection(connection);
      }
    });
  },
);
