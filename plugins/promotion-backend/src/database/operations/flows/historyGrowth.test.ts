import { TestDatabaseId } from '@backstage/backend-test-utils';
import {
  FlowFacts,
  nextStepFor,
  readPromotionConfig,
} from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  ALICE,
  at,
  BOB,
  dossier,
  PIPELINE,
  setUpTestStore,
} from '../../__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../__testUtils__/testDatabases';
import { DatabasePromotionStore } from '../../DatabasePromotionStore';
import { DbDeploymentRow, TABLES } from '../../tables';
import { countReads } from '../../__testUtils__/queryCounts';

/*
 * Reads bounded by what they answer, not by history: a flow with 2,000
 * deployments of other versions behind it reads the same facts, in the same
 * number of queries, as one with 10, for the gate into each environment,
 * the flow state, and a deployment (which evaluates its gate in its
 * transaction).
 */

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS * 2);

const databases = createTestDatabases();

const ENVIRONMENTS = ['dev', 'test', 'production'];
const { standard: policy } = readPromotionConfig({
  policies: { standard: { environments: ENVIRONMENTS.map(id => ({ id })) } },
}).policies;

/** How many rows of each kind the facts hold. */
function sizeOf(facts: FlowFacts) {
  return {
    deployments: facts.deployments.length,
    checklistCompletions: facts.checklistCompletions.length,
    signOffs: facts.signOffs.length,
    standingApprovals: facts.standingApprovals.length,
    requests: facts.requests.length,
    rollbacks: facts.rollbacks?.length ?? 0,
  };
}

const total = (size: ReturnType<typeof sizeOf>) =>
  Object.values(size).reduce((a, b) => a + b, 0);

describe.each(databases.eachSupportedId())(
  'reads as history grows on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let store: DatabasePromotionStore;
    setUpTestStore(databases, databaseId, 'each', made => {
      ({ knex, store } = made);
    });

    /**
     * A flow with `others` deployments of other versions (some failed, some
     * rolled back) before the same recent history: 1.0.0 and 1.1.0 went up
     * the ladder, 1.1.0 was rolled back in Production to 1.0.0, 1.2.0 stands
     * in Dev and Test with its checklist and sign-off, and waits for
     * approval into Production; Dev had a rollback before all of it.
     */
    async function flowWithHistory(entityRef: string, others: number) {
      const ctx = (actor: string, minutes: number) => ({
        actor,
        now: at(minutes),
      });
      await store.recordDeployment(
        {
          entityRef,
          environmentId: 'dev',
          version: '0.9.0',
          status: 'succeeded',
          evaluateGate: () => [],
        },
        ctx(PIPELINE, -10_000),
      );
      await store.recordRollback(
        {
          entityRef,
          environmentId: 'dev',
          fromVersion: '0.9.0',
          reason: 'Broken build',
        },
        ctx(ALICE, -9_999),
      );
      const rows: DbDeploymentRow[] = Array.from(
        { length: others },
        (_, i) => ({
          id: randomUUID(),
          entity_ref: entityRef,
          environment_id: ENVIRONMENTS[i % ENVIRONMENTS.length],
          version: `0.0.${i}`,
          status: i % 7 === 3 ? 'failed' : 'succeeded',
          link: null,
          idempotency_key: null,
          reported_by: PIPELINE,
          reported_at: at(-5_000 + i),
          violation: false,
          unmet_conditions: '[]',
          rolled_back_at: i % 10 === 5 ? at(-5_000 + i) : null,
          rollback_id: null,
        }),
      );
      await knex.batchInsert(TABLES.deployments, rows, 200);

      let minutes = 0;
      const deploy = (environmentId: string, version: string) =>
        store.recordDeployment(
          {
            entityRef,
            environmentId,
            version,
            status: 'succeeded',
            evaluateGate: () => [],
          },
          ctx(PIPELINE, ++minutes),
        );
      for (const version of ['1.0.0', '1.1.0']) {
        for (const environmentId of ENVIRONMENTS) {
          await deploy(environmentId, version);
        }
      }
      await store.recordRollback(
        {
          entityRef,
          environmentId: 'production',
          fromVersion: '1.1.0',
          toVersion: '1.0.0',
          reason: 'Uploads fail',
        },
        ctx(ALICE, ++minutes),
      );
      await deploy('dev', '1.2.0');
      await deploy('test', '1.2.0');
      await store.completeChecklistItem(
        {
          entityRef,
          environmentId: 'test',
          kind: 'validation',
          itemId: 'e2e',
          version: '1.2.0',
        },
        ctx(ALICE, ++minutes),
      );
      await store.completeChecklistItem(
        {
          entityRef,
          environmentId: 'test',
          kind: 'validation',
          itemId: 'config',
        },
        ctx(ALICE, ++minutes),
      );
      await store.createSignOff(
        {
          entityRef,
          environmentId: 'test',
          version: '1.2.0',
          comment: 'Looks good',
        },
        ctx(BOB, ++minutes),
      );
      await store.createRequest(
        {
          entityRef,
          environmentId: 'production',
          version: '1.2.0',
          dossier,
          expiresAt: at(10_000),
        },
        ctx(ALICE, ++minutes),
      );
    }

    it('the gate, the flow state and a deployment read as much with 2,000 deployments of other versions as with 10', async () => {
      const small = 'component:default/ten-deployments';
      const large = 'component:default/two-thousand-deployments';
      await flowWithHistory(small, 10);
      await flowWithHistory(large, 2_000);
      expect((await store.getFlowFacts(large)).deployments.length).toBe(2_009);

      const reads = async (entityRef: string) => {
        const gates = [];
        const gateFacts = (environmentIds: string[]) => () =>
          store.getGateFacts({ entityRef, version: '1.2.0', environmentIds });
        for (const [index, environmentId] of ENVIRONMENTS.entries()) {
          const { result, queries } = await countReads(
            knex,
            gateFacts(ENVIRONMENTS.slice(0, index + 1)),
          );
          gates.push({ environmentId, size: sizeOf(result), queries });
        }
        const state = await countReads(knex, () =>
          store.getFlowStateFacts({
            entityRef,
            environmentIds: ENVIRONMENTS,
            rollbackLimit: 10,
            nextStep: deployments =>
              nextStepFor(policy, {
                deployments,
                checklistCompletions: [],
                signOffs: [],
                standingApprovals: [],
                requests: [],
              }),
          }),
        );
        const deployment = await countReads(knex, () =>
          store.recordDeployment(
            {
              entityRef,
              environmentId: 'production',
              version: '1.2.0',
              status: 'succeeded',
              ladder: ENVIRONMENTS,
              evaluateGate: () => [],
            },
            { actor: PIPELINE, now: at(100) },
          ),
        );
        return {
          gates,
          state: {
            nextStep: state.result.nextStep,
            size: sizeOf(state.result.facts),
            queries: state.queries,
          },
          deployment: { queries: deployment.queries },
        };
      };

      const withTen = await reads(small);
      const withTwoThousand = await reads(large);
      expect(withTwoThousand).toEqual(withTen);

      // And few: what the answers are about, not the history.
      for (const gate of withTwoThousand.gates) {
        expect(total(gate.size)).toBeLessThanOrEqual(12);
        expect(gate.queries).toBeLessThanOrEqual(8);
      }
      expect(withTwoThousand.state.nextStep).toEqual({
        environmentId: 'production',
        version: '1.2.0',
      });
      expect(total(withTwoThousand.state.size)).toBeLessThanOrEqual(20);
      // (Read from the tables, as after every change of the flow: 2 of
      // them read the flow's chain head and its copy, and keep the copy.)
      expect(withTwoThousand.state.queries).toBeLessThanOrEqual(10);
    });
  },
);
