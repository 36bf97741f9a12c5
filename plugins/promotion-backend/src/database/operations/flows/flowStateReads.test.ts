import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { readdirSync } from 'node:fs';
import { AuditKeyring } from '../../../audit/auditKeyring';
import { testKeyring } from '../../../audit/__testUtils__/testKeyring';
import { countReads } from '../../__testUtils__/queryCounts';
import {
  ENVIRONMENTS,
  History,
  randomFrom,
  randomStep,
} from '../../__testUtils__/randomHistory';
import {
  as,
  FLOW,
  PIPELINE,
  setUpTestStore,
} from '../../__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../__testUtils__/testDatabases';
import { DatabasePromotionStore } from '../../DatabasePromotionStore';
import { MIGRATIONS_DIR } from '../../migrationsDir';
import { FlowStateFactsQuery } from '../../PromotionStore';
import { DbFlowStateReadsRow, TABLES } from '../../tables';
import { copyMacText } from './flowStateReads';

/*
 * The flow state's copy (flowStateReads.ts): read in place of the flow
 * state's statement while the flow's chain head has not moved, never once
 * it has, nor when it was read for another ladder, nor when it was changed
 * in the database.
 */

const databases = createTestDatabases();

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

const stateQuery = (
  entityRef: string,
  rollbackLimit = 3,
  environmentIds = ENVIRONMENTS,
): FlowStateFactsQuery => ({ entityRef, environmentIds, rollbackLimit });

describe.each(databases.eachSupportedId())(
  'the flow state copy on %s',
  (databaseId: TestDatabaseId) => {
    let store: DatabasePromotionStore;
    let knex: Knex;
    setUpTestStore(databases, databaseId, 'each', made => {
      store = made.store;
      knex = made.knex;
    });

    const copyOf = async (entityRef: string) =>
      (await knex(TABLES.flowStateReads)
        .where('entity_ref', entityRef)
        .first()) as DbFlowStateReadsRow | undefined;
    /** 1.0.0 of FLOW deployed into an environment. */
    const deploy = (environmentId: string) =>
      store.recordDeployment(
        {
          entityRef: FLOW,
          environmentId,
          version: '1.0.0',
          status: 'succeeded',
          evaluateGate: () => [],
        },
        as(PIPELINE),
      );
    /** FLOW's copy replaced: these rows under this key, signed with `keyring`. */
    const keepCopy = async (
      copy: DbFlowStateReadsRow,
      rows: unknown,
      keyring: AuditKeyring,
      readsKey = copy.reads_key,
    ) => {
      const text = JSON.stringify(rows);
      const { keyId, mac } = keyring.sign(
        copyMacText(FLOW, readsKey, copy.head_link, text),
      );
      await knex(TABLES.flowStateReads)
        .where('entity_ref', FLOW)
        .update({ reads_key: readsKey, rows: text, key_id: keyId, mac });
    };
    /** The flow state as the tables give it: without any copy. */
    const fromTables = async (query: FlowStateFactsQuery) => {
      await knex(TABLES.flowStateReads).delete();
      return store.getFlowStateFacts(query);
    };

    it('random histories: after every step the flow state, from its copy or not, is the one the tables give', async () => {
      const repeats: Array<{ queries: number; hasHead: boolean }> = [];
      let fromCopy = 0;
      const theStore = store;
      const readOnce = (query: FlowStateFactsQuery) =>
        countReads(knex, () => theStore.getFlowStateFacts(query));
      for (const seed of [2, 5]) {
        const random = randomFrom(seed);
        const history: History = {
          entityRef: `component:default/copied-${seed}`,
          versions: ['1.0.0'],
          minutes: 0,
        };
        const query = stateQuery(history.entityRef);
        for (let step = 1; step <= 120; step++) {
          await randomStep(theStore, random, history);
          // The copy the step before left, or the one this step's head has.
          const before = await copyOf(history.entityRef);
          const head = await knex(TABLES.auditChains)
            .where('entity_ref', history.entityRef)
            .first();
          const read = await theStore.getFlowStateFacts(query);
          if (before && head && before.head_link === head.link) {
            fromCopy++;
          }
          expect(read).toEqual(await fromTables(query));
          // Read again: from the copy the read above left, in one query.
          const again = await readOnce(query);
          expect(again.result).toEqual(read);
          repeats.push({ queries: again.queries, hasHead: Boolean(head) });
        }
      }
      // Steps that changed nothing (refused) left the copy in use.
      expect(fromCopy).toBeGreaterThan(5);
      const withHead = repeats.filter(r => r.hasHead);
      expect(withHead.length).toBeGreaterThan(200);
      expect(withHead.map(r => r.queries)).toEqual(withHead.map(() => 1));
    });

    it('is read while the head has not moved, and never after a change of the flow', async () => {
      await deploy('dev');
      const query = stateQuery(FLOW);
      const first = await store.getFlowStateFacts(query);
      expect(first.facts.deployments).toHaveLength(1);
      const copy = await copyOf(FLOW);
      expect(copy).toBeDefined();
      expect(JSON.parse(copy!.rows).deployments).toHaveLength(1);

      const hit = await countReads(knex, () => store.getFlowStateFacts(query));
      expect(hit.result).toEqual(first);
      expect(hit.queries).toBe(1);
      expect(hit.rows).toBe(1);

      await store.completeChecklistItem(
        {
          entityRef: FLOW,
          environmentId: 'dev',
          version: '1.0.0',
          kind: 'post-deployment',
          itemId: 'smoke-tests',
          evidenceLink: 'https://ci.example.com/smoke',
        },
        as(PIPELINE, 1),
      );
      const after = await countReads(knex, () =>
        store.getFlowStateFacts(query),
      );
      expect(after.queries).toBeGreaterThan(1);
      expect(after.result.facts.checklistCompletions).toHaveLength(1);
      expect((await copyOf(FLOW))!.head_link).not.toBe(copy!.head_link);
    });

    it('is not read for another ladder or another number of rollbacks', async () => {
      await deploy('test');
      expect(
        (await store.getFlowStateFacts(stateQuery(FLOW))).facts.deployments,
      ).toHaveLength(1);
      // A ladder without test: its deployment is not the ladder's.
      const shorter = await store.getFlowStateFacts(
        stateQuery(FLOW, 3, ['dev', 'production']),
      );
      expect(shorter.facts.deployments).toEqual([]);
      const other = await countReads(knex, () =>
        store.getFlowStateFacts(stateQuery(FLOW, 10)),
      );
      expect(other.queries).toBeGreaterThan(1);
      expect(other.result.facts.deployments).toHaveLength(1);
    });

    it('a copy changed in the database, or kept with a key no longer held, is not read', async () => {
      await deploy('dev');
      const query = stateQuery(FLOW);
      const truth = await store.getFlowStateFacts(query);
      const copy = (await copyOf(FLOW))!;
      const rows = JSON.parse(copy.rows);
      rows.deployments[0].version = '6.6.6';
      await knex(TABLES.flowStateReads)
        .where('entity_ref', FLOW)
        .update({ rows: JSON.stringify(rows) });
      expect(await store.getFlowStateFacts(query)).toEqual(truth);
      // …and the tables' rows were kept again.
      expect((await copyOf(FLOW))!.rows).toBe(copy.rows);

      // The same copy, signed with a key this store does not hold.
      const stranger = new AuditKeyring([
        { id: 'stranger', secret: Buffer.from('x'.repeat(40)) },
      ]);
      await keepCopy(copy, rows, stranger);
      expect(await store.getFlowStateFacts(query)).toEqual(truth);
    });

    it('is not read in another schema or by another statement: its key names the newest migration and the statement', async () => {
      await deploy('dev');
      const query = stateQuery(FLOW);
      const truth = await store.getFlowStateFacts(query);
      const copy = (await copyOf(FLOW))!;
      const [schema, statement, params] = JSON.parse(copy.reads_key);
      expect(schema).toBe(
        readdirSync(MIGRATIONS_DIR)
          .filter(name => name.endsWith('.js'))
          .sort()
          .pop(),
      );
      expect(statement).toMatch(/^promotion_[0-9a-f]{40}$/);
      expect(params).toEqual({
        environmentIds: ENVIRONMENTS,
        rollbackLimit: 3,
      });

      // A copy of the same rows, altered, signed with the store's key, kept
      // under an older schema or another statement: not read.
      const rows = JSON.parse(copy.rows);
      rows.deployments[0].version = '6.6.6';
      for (const readsKey of [
        [`${schema}-older`, statement, params],
        [schema, `${statement}0`, params],
      ]) {
        await keepCopy(copy, rows, testKeyring(), JSON.stringify(readsKey));
        expect(await store.getFlowStateFacts(query)).toEqual(truth);
      }
      // The same, under its own key: read (the alteration shows).
      await keepCopy(copy, rows, testKeyring());
      expect(
        (await store.getFlowStateFacts(query)).facts.deployments[0].version,
      ).toBe('6.6.6');
    });

    it('a flow without events has no copy', async () => {
      const state = await store.getFlowStateFacts(stateQuery(FLOW));
      expect(state.facts.deployments).toEqual([]);
      expect(await copyOf(FLOW)).toBeUndefined();
    });
  },
);
