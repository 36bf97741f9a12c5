import { TestDatabaseId } from '@backstage/backend-test-utils';
import { ConflictError } from '@backstage/errors';
import { Knex } from 'knex';
import { testKeyring } from '../../../audit/__testUtils__/testKeyring';
import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../__testUtils__/testDatabases';
import { DatabasePromotionStore } from '../../DatabasePromotionStore';
import { TABLES } from '../../tables';

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

const databases = createTestDatabases();

const FLOW = 'component:default/payments-sftp';
const PIPELINE = 'service:external:ci';
const ALICE = 'user:default/alice';
const RACERS = 10;

const T0 = new Date('2026-11-21T10:00:00.123Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

describe.each(databases.eachSupportedId())(
  'recordRollback on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let store: DatabasePromotionStore;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      store = await DatabasePromotionStore.create({
        database: { getClient: async () => knex, migrations: { skip: false } },
        keyring: testKeyring(),
      });
      for (const [version, minutes] of [
        ['0.9.0', 0],
        ['1.0.0', 1],
      ] as const) {
        await store.recordDeployment(
          {
            entityRef: FLOW,
            environmentId: 'production',
            version,
            status: 'succeeded',
            evaluateGate: () => [],
          },
          { actor: PIPELINE, now: at(minutes) },
        );
      }
    }, DATABASE_HOOK_TIMEOUT_MS);

    afterEach(async () => {
      await knex.destroy();
    }, DATABASE_HOOK_TIMEOUT_MS);

    it(`lets one of ${RACERS} parallel rollbacks of a version win; the others get a ConflictError`, async () => {
      const results = await Promise.allSettled(
        Array.from({ length: RACERS }, (_, i) =>
          store.recordRollback(
            {
              entityRef: FLOW,
              environmentId: 'production',
              fromVersion: '1.0.0',
              toVersion: '0.9.0',
              reason: `Uploads fail (report ${i})`,
            },
            { actor: ALICE, now: at(2) },
          ),
        ),
      );

      const won = results.filter(r => r.status === 'fulfilled');
      const lost = results.filter(
        (r): r is PromiseRejectedResult => r.status === 'rejected',
      );
      expect(won).toHaveLength(1);
      expect(lost).toHaveLength(RACERS - 1);
      for (const loser of lost) {
        expect(loser.reason).toBeInstanceOf(ConflictError);
        expect(loser.reason.message).toBe(
          `Version 1.0.0 of ${FLOW} no longer stands on production: it has already been rolled back`,
        );
      }

      expect(await knex(TABLES.rollbacks)).toHaveLength(1);
      const events = await knex(TABLES.auditEvents).where({
        type: 'rollback.recorded',
      });
      expect(events).toHaveLength(1);
      const [rollback] = await store.listRollbacks({ entityRef: FLOW });
      expect(JSON.parse(events[0].payload)).toMatchObject({
        rollbackId: rollback.id,
        reason: rollback.reason,
      });
      const deployments = (await store.getFlowFacts(FLOW)).deployments;
      expect(deployments.map(d => [d.version, d.rollbackId ?? null])).toEqual([
        ['0.9.0', null],
        ['1.0.0', rollback.id],
      ]);
    });

    it('refuses to roll back a version that was never deployed there', async () => {
      await expect(
        store.recordRollback(
          {
            entityRef: FLOW,
            environmentId: 'test',
            fromVersion: '1.0.0',
            reason: 'Wrong environment',
          },
          { actor: ALICE, now: at(2) },
        ),
      ).rejects.toThrow(
        new ConflictError(
          `Version 1.0.0 of ${FLOW} is not deployed to test, so there is nothing to roll back`,
        ),
      );
      expect(await knex(TABLES.rollbacks)).toHaveLength(0);
    });
  },
);
