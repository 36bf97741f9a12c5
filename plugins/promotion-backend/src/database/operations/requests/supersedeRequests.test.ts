import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { waitUntilBlockedOnLocks } from '../../__testUtils__/lockWaits';
import {
  ALICE,
  as,
  at,
  dossier,
  FLOW,
  PIPELINE,
  setUpTestStore,
} from '../../__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../__testUtils__/testDatabases';
import { DatabasePromotionStore } from '../../DatabasePromotionStore';
import { TABLES } from '../../tables';
import { lockFlowChain } from '../audit/chainHead';

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

/*
 * A successful deployment closes the pending request for its version into
 * its environment as superseded, in its own transaction, and locks that
 * request before the flow's chain, as every change of a request does.
 */

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())(
  'Requests superseded by a deployment on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let store: DatabasePromotionStore;

    setUpTestStore(databases, databaseId, 'each', made => {
      ({ knex, store } = made);
    });

    const request = async (
      environmentId: string,
      version: string,
      expiresAt = at(600),
    ) =>
      (
        await store.createRequest(
          { entityRef: FLOW, environmentId, version, dossier, expiresAt },
          as(ALICE, 0),
        )
      ).value;
    const deploy = (
      version: string,
      minutes: number,
      status: 'succeeded' | 'failed' = 'succeeded',
    ) =>
      store.recordDeployment(
        {
          entityRef: FLOW,
          environmentId: 'production',
          version,
          status,
          evaluateGate: () => [],
        },
        as(PIPELINE, minutes),
      );

    it('closes only the pending, unexpired request for the version into the environment', async () => {
      const mine = await request('production', '1.0.0');
      const elsewhere = await request('test', '1.0.0');
      const otherVersion = await request('production', '1.1.0');
      const expired = await request('production', '2.0.0', at(5));

      expect((await deploy('1.0.0', 1, 'failed')).superseded).toEqual([]);
      const recorded = await deploy('1.0.0', 2);
      expect(recorded.superseded).toEqual([
        {
          ...mine,
          status: 'superseded',
          updatedAt: at(2).toISOString(),
          decidedAt: at(2).toISOString(),
          closedReason: `Version 1.0.0 reached production on ${at(
            2,
          ).toISOString()} without this request's approval`,
        },
      ]);
      expect(recorded.events.map(e => e.type)).toEqual([
        'deployment.recorded',
        'request.superseded',
      ]);
      expect(recorded.events[1]).toMatchObject({
        actor: PIPELINE,
        version: '1.0.0',
        payload: {
          requestId: mine.id,
          deploymentId: recorded.value.id,
          reason: recorded.superseded[0].closedReason,
        },
      });
      // Expired by the time of the deployment: the expiry's to close.
      expect((await deploy('2.0.0', 6)).superseded).toEqual([]);

      for (const untouched of [elsewhere, otherVersion, expired]) {
        expect(await store.getRequest(untouched.id)).toEqual(untouched);
      }
      expect(await store.verifyChain()).toMatchObject({
        intact: true,
        breaks: [],
      });
    });

    // Only PostgreSQL and MySQL have row locks: SQLite runs one writer at a time.
    const describeWithRowLocks = databaseId.startsWith('SQLITE')
      ? () => {}
      : describe;

    describeWithRowLocks('races settled by row locks', () => {
      it('waits for a decision that holds the request and then the chain, without a deadlock', async () => {
        const pending = await request('production', '1.0.0');
        // A decision locks the request's row first, then the flow's chain.
        const decision = await knex.transaction();
        await decision(TABLES.requests)
          .where({ id: pending.id })
          .update({ updated_at: at(1) });
        const deployment = deploy('1.0.0', 2);
        await waitUntilBlockedOnLocks(knex, {
          count: 1,
          operation: deployment,
          holder: decision,
        });
        // The deployment waits for the request, not holding the chain.
        await lockFlowChain(decision, FLOW);
        await decision(TABLES.requests)
          .where({ id: pending.id })
          .update({
            status: 'approved',
            pending_key: pending.id,
            decided_at: at(1),
          });
        await decision.commit();

        const recorded = await deployment;
        expect(recorded.superseded).toEqual([]);
        expect(recorded.events.map(e => e.type)).toEqual([
          'deployment.recorded',
        ]);
        expect((await store.getRequest(pending.id))?.status).toBe('approved');
      });
    });
  },
);
