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

/*
 * What a rollback leaves for the gate: the flow's facts carry its rollbacks
 * (the rollback target and the reset of flow-scoped items are decided from
 * them), and a flow-scoped item completed before a rollback can be
 * completed again.
 */

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

const databases = createTestDatabases();

const FLOW = 'component:default/payments-sftp';
const OTHER_FLOW = 'component:default/billing';
const PIPELINE = 'service:external:ci';
const ALICE = 'user:default/alice';

/** A fixed clock with milliseconds, to check they survive the round trip. */
const T0 = new Date('2026-11-21T10:00:00.123Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);

describe.each(databases.eachSupportedId())(
  'rollback facts on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let store: DatabasePromotionStore;

    const deploy = (entityRef: string, version: string, minutes: number) =>
      store.recordDeployment(
        {
          entityRef,
          environmentId: 'production',
          version,
          status: 'succeeded',
          evaluateGate: () => [],
        },
        { actor: PIPELINE, now: at(minutes) },
      );
    const rollBack = (entityRef: string, minutes: number) =>
      store.recordRollback(
        {
          entityRef,
          environmentId: 'production',
          fromVersion: '1.1.0',
          toVersion: '1.0.0',
          reason: 'Uploads fail',
        },
        { actor: ALICE, now: at(minutes) },
      );
    const completeFlowItem = (minutes: number) =>
      store.completeChecklistItem(
        {
          entityRef: FLOW,
          environmentId: 'test',
          kind: 'validation',
          itemId: 'config-mirrors-production',
          note: `Checked at minute ${minutes}`,
        },
        { actor: ALICE, now: at(minutes) },
      );

    beforeEach(async () => {
      knex = await databases.init(databaseId);
      store = await DatabasePromotionStore.create({
        database: { getClient: async () => knex, migrations: { skip: false } },
        keyring: testKeyring(),
      });
      for (const entityRef of [FLOW, OTHER_FLOW]) {
        await deploy(entityRef, '1.0.0', 0);
        await deploy(entityRef, '1.1.0', 1);
      }
    }, DATABASE_HOOK_TIMEOUT_MS);

    afterEach(async () => {
      await knex.destroy();
    }, DATABASE_HOOK_TIMEOUT_MS);

    it("lists the flow's rollbacks, oldest first, and only the flow's", async () => {
      expect((await store.getFlowFacts(FLOW)).rollbacks).toEqual([]);
      const first = (await rollBack(FLOW, 2)).value.rollback;
      await rollBack(OTHER_FLOW, 3);
      await deploy(FLOW, '1.1.0', 4);
      const second = (await rollBack(FLOW, 5)).value.rollback;

      const facts = await store.getFlowFacts(FLOW);
      expect(facts.rollbacks).toEqual([first, second]);
      expect(facts.rollbacks![0]).toEqual({
        id: first.id,
        entityRef: FLOW,
        environmentId: 'production',
        fromVersion: '1.1.0',
        toVersion: '1.0.0',
        reason: 'Uploads fail',
        recordedBy: ALICE,
        recordedAt: at(2).toISOString(),
      });
      // The deployments it reverted name it, so the gate can tell them apart.
      expect(
        facts.deployments.map(d => [d.version, d.rollbackId ?? null]),
      ).toEqual([
        ['1.0.0', null],
        ['1.1.0', first.id],
        ['1.1.0', second.id],
      ]);
    });

    it('lets a flow-scoped item completed before a rollback be completed again, undoing the old completion', async () => {
      const before = (await completeFlowItem(1)).value;
      await expect(completeFlowItem(2)).rejects.toThrow(ConflictError);

      await rollBack(FLOW, 3);
      const again = await completeFlowItem(4);
      expect(again.events.map(e => [e.type, e.summary])).toEqual([
        [
          'checklist.undone',
          "Undid validation item 'config-mirrors-production' on test for the flow: completed again after the rollback of 1.1.0 on production",
        ],
        [
          'checklist.completed',
          "Completed validation item 'config-mirrors-production' on test for the flow",
        ],
      ]);
      expect(again.events[0].payload).toMatchObject({
        completionId: before.id,
      });

      const active = (await store.getFlowFacts(FLOW)).checklistCompletions;
      expect(active).toEqual([again.value]);
      expect(again.value.completedAt).toBe(at(4).toISOString());
      const history = await knex(TABLES.checklistCompletions)
        .where({ id: before.id })
        .first();
      expect(history.undone_by).toBe(ALICE);

      // Once completed after the rollback, it is completed.
      await expect(completeFlowItem(5)).rejects.toThrow(ConflictError);
      expect(await store.verifyChain()).toMatchObject({ intact: true });
    });

    it('keeps refusing a second completion of a version-scoped item after a rollback', async () => {
      const complete = (minutes: number) =>
        store.completeChecklistItem(
          {
            entityRef: FLOW,
            environmentId: 'test',
            kind: 'validation',
            itemId: 'smoke-tests',
            version: '1.0.0',
          },
          { actor: ALICE, now: at(minutes) },
        );
      await complete(1);
      await rollBack(FLOW, 2);
      await expect(complete(3)).rejects.toThrow(
        "Checklist item 'smoke-tests' is already completed on test for 1.0.0",
      );
    });

    it("does not count another flow's rollback", async () => {
      await completeFlowItem(1);
      await rollBack(OTHER_FLOW, 2);
      await expect(completeFlowItem(3)).rejects.toThrow(
        "Checklist item 'config-mirrors-production' is already completed on test for the flow",
      );
    });
  },
);
