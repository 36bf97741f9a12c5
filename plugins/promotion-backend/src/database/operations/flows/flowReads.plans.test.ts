import { Knex } from 'knex';
import { setUpTestStore } from '../../__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../__testUtils__/testDatabases';
import { DatabasePromotionStore } from '../../DatabasePromotionStore';
import { TABLES } from '../../tables';
import {
  PlanNode,
  planNodes,
  recordStatements,
} from '../../__testUtils__/plans';

/*
 * The gate's and the flow state's statements are prepared statements on
 * PostgreSQL, and a prepared statement is soon run on a generic plan: one
 * plan for every flow, made without knowing which. On a flow with 2,000
 * versions deployed, signed off, checked and requested (and 8,000 more
 * into dev), beside flows that share its versions, the generic plan of
 * each statement reads the rows it answers through the indexes: no node of
 * it reads a growing table's rows and throws most away (a scan of the
 * flow's whole history filtered), none reads far more blocks of a table or
 * an index than its rows need (the flow's index entries filtered inside
 * the index), and none scans a growing table.
 */

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS * 2);

const databases = createTestDatabases(['POSTGRES_15']);

const FLOW = 'component:default/long-lived';
const VERSIONS = 2_000;
const LADDER = ['dev', 'test', 'production'];
const GROWING = [
  TABLES.deployments,
  TABLES.checklistCompletions,
  TABLES.signOffs,
  TABLES.requests,
  TABLES.decisions,
];
/** Rows a node may read and throw away: a few versions' worth, not a history. */
const MOST_DISCARDED = 50;

/**
 * Whether a node read more of a table or an index than the rows it found
 * need: a descent of the index per loop, and a block or two per row. A scan
 * of an index's entries for the whole flow, filtered inside the index (no
 * rows "removed"), reads dozens of blocks for a few rows.
 */
const readTooMuch = (node: PlanNode) =>
  node.blocks > 8 * node.loops + 2 * node.rows + 10;

describe.each(databases.eachSupportedId())(
  'the generic plans of the gate and the flow state on %s',
  id => {
    let knex: Knex;
    let store: DatabasePromotionStore;
    setUpTestStore(databases, id, 'all', made => {
      ({ knex, store } = made);
    });

    it('read a long-lived flow through the indexes', async () => {
      // The flow: 2,000 versions into dev, test and production, each signed
      // off in dev and test, with 5 test checklist items and an approved
      // request into production; a rollback in production. Beside it 3,000
      // flows of 5 versions each, and other flows' requests.
      await knex.raw(
        `insert into ${TABLES.deployments} (id, entity_ref, environment_id, version, status, reported_by, reported_at, violation, unmet_conditions)
       select gen_random_uuid(), ?, e.id, '1.' || v || '.0', 'succeeded', 'service:external:ci', now() - interval '30 days' + v * interval '1 minute' + e.n * interval '10 seconds', false, '[]'
       from generate_series(1, ?) v, unnest(array['dev', 'test', 'production'], array[0, 1, 2]) e(id, n)`,
        [FLOW, VERSIONS],
      );
      // Then 8,000 more versions into dev alone, as a service that builds
      // on every commit.
      await knex.raw(
        `insert into ${TABLES.deployments} (id, entity_ref, environment_id, version, status, reported_by, reported_at, violation, unmet_conditions)
       select gen_random_uuid(), ?, 'dev', '2.' || v || '.0', 'succeeded', 'service:external:ci', now() - interval '10 days' + v * interval '1 minute', false, '[]'
       from generate_series(1, 8000) v`,
        [FLOW],
      );
      // Other flows share their versions (1.1.0 to 1.5.0), as services do:
      // a version says little about which rows are a flow's.
      await knex.raw(
        `insert into ${TABLES.deployments} (id, entity_ref, environment_id, version, status, reported_by, reported_at, violation, unmet_conditions)
       select gen_random_uuid(), 'component:default/f' || f, e, '1.' || v || '.0', 'succeeded', 'service:external:ci', now() - interval '1 day' + v * interval '1 minute', false, '[]'
       from generate_series(1, 3000) f, generate_series(1, 5) v, unnest(array['dev', 'test', 'production']) e`,
      );
      await knex.raw(
        `insert into ${TABLES.checklistCompletions} (id, entity_ref, environment_id, kind, item_id, version, completed_by, completed_at, undone_key)
       select gen_random_uuid(), 'component:default/f' || f, 'test', 'validation', 'item-' || i, '1.' || v || '.0', 'user:default/alice', now(), ''
       from generate_series(1, 3000) f, generate_series(1, 5) v, generate_series(1, 3) i`,
      );
      await knex.raw(
        `insert into ${TABLES.signOffs} (id, entity_ref, environment_id, version, signed_off_by, signed_off_at, comment)
       select gen_random_uuid(), 'component:default/f' || f, e, '1.' || v || '.0', 'user:default/alice', now(), 'ok'
       from generate_series(1, 3000) f, generate_series(1, 5) v, unnest(array['dev', 'test']) e`,
      );
      await knex.raw(
        `insert into ${TABLES.signOffs} (id, entity_ref, environment_id, version, signed_off_by, signed_off_at, comment)
       select gen_random_uuid(), ?, e, '1.' || v || '.0', 'user:default/alice', now() - interval '30 days' + v * interval '1 minute', 'ok'
       from generate_series(1, ?) v, unnest(array['dev', 'test']) e`,
        [FLOW, VERSIONS],
      );
      await knex.raw(
        `insert into ${TABLES.checklistCompletions} (id, entity_ref, environment_id, kind, item_id, version, completed_by, completed_at, undone_key)
       select gen_random_uuid(), ?, 'test', 'validation', 'item-' || i, '1.' || v || '.0', 'user:default/alice', now() - interval '30 days' + v * interval '1 minute', ''
       from generate_series(1, ?) v, generate_series(1, 5) i`,
        [FLOW, VERSIONS],
      );
      await knex.raw(
        `insert into ${TABLES.requests} (id, entity_ref, environment_id, version, status, dossier, dossier_hash, revision, requested_by, created_at, updated_at, expires_at, pending_key)
       select gen_random_uuid(), ?, 'production', '1.' || v || '.0', 'approved', '{}', 'hash', 1, 'user:default/alice', now() - interval '30 days' + v * interval '1 minute', now(), now() + interval '7 days', gen_random_uuid()::text
       from generate_series(1, ?) v`,
        [FLOW, VERSIONS],
      );
      // Other flows' requests (3 each for 10,000 flows), so that the table
      // is as large as a portal's.
      await knex.raw(
        `insert into ${TABLES.requests} (id, entity_ref, environment_id, version, status, dossier, dossier_hash, revision, requested_by, created_at, updated_at, expires_at, pending_key)
       select gen_random_uuid(), 'component:default/g' || f, 'production', '1.' || v || '.0', 'approved', '{}', 'hash', 1, 'user:default/alice', now() - interval '1 day', now(), now() + interval '7 days', gen_random_uuid()::text
       from generate_series(1, 10000) f, generate_series(1, 3) v`,
      );
      // Each request's approval.
      await knex.raw(
        `insert into ${TABLES.decisions} (id, request_id, request_revision, dossier_hash, decision, decided_by, decided_at, comment)
       select gen_random_uuid(), r.id, 1, 'hash', 'approve', 'user:default/dana', r.created_at + interval '1 hour', 'ok'
       from ${TABLES.requests} r`,
      );
      await knex.raw(
        `insert into ${TABLES.rollbacks} (id, entity_ref, environment_id, from_version, to_version, reason, recorded_by, recorded_at)
       values (gen_random_uuid(), ?, 'production', ?, ?, 'bad', 'user:default/alice', now())`,
        [FLOW, `1.${VERSIONS}.0`, `1.${VERSIONS - 1}.0`],
      );
      for (const table of [...GROWING, TABLES.rollbacks]) {
        await knex.raw(`analyze ${table}`);
      }

      const { sent } = await recordStatements(knex, async () => {
        const gate = await store.getGateFacts({
          entityRef: FLOW,
          version: `1.${VERSIONS}.0`,
          environmentIds: LADDER,
          breakGlasses: true,
        });
        // What the gate read: V in each environment, and no history.
        expect(gate.deployments.length).toBeGreaterThanOrEqual(3);
        expect(gate.deployments.length).toBeLessThan(10);
        expect(gate.signOffs).toHaveLength(1);
        expect(gate.checklistCompletions).toHaveLength(5);
        const { facts } = await store.getFlowStateFacts({
          entityRef: FLOW,
          environmentIds: LADDER,
          rollbackLimit: 10,
        });
        expect(facts.deployments.length).toBeLessThan(20);
        expect(facts.signOffs.length).toBeLessThan(10);
        expect(facts.requests.length).toBeLessThan(5);
      });
      // The flow state's first statement reads the flow's chain head and
      // its copy (flowStateReads.ts), by their primary keys: no history.
      const copyReads = sent.filter(({ sql }) =>
        sql.includes(TABLES.flowStateReads),
      );
      expect(copyReads).toHaveLength(1);
      const historyReads = sent.filter(read => !copyReads.includes(read));
      expect(historyReads.length).toBeGreaterThanOrEqual(2);

      // Each statement prepared on one connection and run on its generic
      // plan, as the pool's connections soon run it.
      const literal = (value: unknown) =>
        knex.raw('?', [value as Knex.Value]).toQuery();
      const findings: Array<{ statement: string; wasteful: PlanNode[] }> = [];
      await knex.transaction(async trx => {
        await trx.raw('set local plan_cache_mode = force_generic_plan');
        for (const [index, { sql, values }] of historyReads.entries()) {
          await trx.raw(`prepare plan_test_${index} as ${sql}`);
          const explained = await trx.raw(
            `explain (analyze, buffers, format json) execute plan_test_${index}${
              values.length > 0 ? `(${values.map(literal).join(', ')})` : ''
            }`,
          );
          const nodes = planNodes(explained.rows[0]['QUERY PLAN']).filter(
            node => (GROWING as string[]).includes(node.relation ?? ''),
          );
          expect(nodes.length).toBeGreaterThan(0);
          const wasteful = nodes.filter(
            node =>
              node.node === 'Seq Scan' ||
              node.discarded > MOST_DISCARDED ||
              readTooMuch(node),
          );
          findings.push({ statement: sql.slice(0, 60), wasteful });
        }
      });
      expect(findings).toEqual(
        findings.map(({ statement }) => ({ statement, wasteful: [] })),
      );
    });
  },
);
