import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import {
  ENVIRONMENTS,
  History,
  ladderUpTo,
  randomFrom,
  randomStep,
} from '../../__testUtils__/randomHistory';
import { setUpTestStore } from '../../__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../__testUtils__/testDatabases';
import { DatabasePromotionStore } from '../../DatabasePromotionStore';
import { GateFactsQuery, StandingDeploymentQuery } from '../../PromotionStore';
import { gateBatchSize } from './getManyGateFacts';
import { countReads } from '../../__testUtils__/queryCounts';

/*
 * The batched reads of the inbox (getManyGateFacts, getStandingDeployments)
 * give, for each read, exactly what the single read gives (getGateFacts,
 * getStandingDeployment): on random histories of two flows, every version
 * into every environment, more reads than one batch holds, in a number of
 * queries set by the batches, not by the reads (nor by how many of them
 * follow a rollback).
 */

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS * 3);

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())(
  'batched gate facts on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let store: DatabasePromotionStore;
    setUpTestStore(databases, databaseId, 'all', made => {
      ({ knex, store } = made);
    });

    it('each gate of a batch, and what stands in each environment, read as alone', async () => {
      const histories: History[] = [];
      for (const seed of [1, 6]) {
        const random = randomFrom(seed);
        const history: History = {
          entityRef: `component:default/batched-${seed}`,
          versions: ['1.0.0'],
          minutes: 0,
        };
        for (let step = 1; step <= 160; step++) {
          await randomStep(store, random, history);
        }
        histories.push(history);
      }

      const queries: GateFactsQuery[] = histories.flatMap(history =>
        ENVIRONMENTS.flatMap(environmentId =>
          [...history.versions, '9.9.9'].map(version => ({
            entityRef: history.entityRef,
            version,
            environmentIds: ladderUpTo(environmentId),
          })),
        ),
      );
      // An empty ladder, and a flow with no history, among them.
      queries.push(
        {
          entityRef: histories[0].entityRef,
          version: '1.0.0',
          environmentIds: [],
        },
        {
          entityRef: 'component:default/no-history',
          version: '1.0.0',
          environmentIds: ENVIRONMENTS,
        },
      );
      // More than a batch: the same reads again.
      const BATCH_SIZE = gateBatchSize(knex);
      while (queries.length <= BATCH_SIZE) {
        queries.push(...queries.slice(0, BATCH_SIZE));
      }

      const { result: batched, queries: batchedQueries } = await countReads(
        knex,
        () => store.getManyGateFacts(queries),
      );
      const alone = [];
      for (const query of queries) {
        alone.push(await store.getGateFacts(query));
      }
      expect(batched).toEqual(alone);
      // What the batches compare: rollbacks, pending requests, decisions.
      expect(alone.some(facts => (facts.rollbacks ?? []).length > 0)).toBe(
        true,
      );
      expect(
        alone.some(facts => facts.requests.some(r => r.decisions.length > 1)),
      ).toBe(true);
      // Six queries a batch, and two for what the rollbacks of the batch's
      // environments let back, however many gates had one.
      const batches = Math.ceil(queries.length / BATCH_SIZE);
      const withRollback = alone.filter((facts, index) => {
        const target = queries[index].environmentIds.at(-1);
        return (facts.rollbacks ?? []).some(r => r.environmentId === target);
      }).length;
      expect(withRollback).toBeGreaterThan(2 * batches * 2);
      expect(batchedQueries).toBeLessThanOrEqual(batches * 8);

      const standing: StandingDeploymentQuery[] = histories.flatMap(history =>
        ENVIRONMENTS.flatMap(environmentId => [
          { entityRef: history.entityRef, environmentId },
          {
            entityRef: history.entityRef,
            environmentId,
            exceptVersion: history.versions[history.versions.length - 1],
          },
        ]),
      );
      standing.push({
        entityRef: 'component:default/no-history',
        environmentId: 'dev',
      });
      const { result: batchedStanding, queries: standingQueries } =
        await countReads(knex, () => store.getStandingDeployments(standing));
      const standingAlone = [];
      for (const query of standing) {
        standingAlone.push(await store.getStandingDeployment(query));
      }
      expect(batchedStanding).toEqual(standingAlone);
      expect(standingAlone.filter(Boolean).length).toBeGreaterThan(6);
      expect(standingQueries).toBe(1);
    });
  },
);
