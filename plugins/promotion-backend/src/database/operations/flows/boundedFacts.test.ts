import { TestDatabaseId } from '@backstage/backend-test-utils';
import { nextStepFor } from '@promotion/plugin-promotion-common';
import { environmentStatesOf } from '../../../service/flows/FlowView';
import {
  ALICE,
  at,
  PIPELINE,
  setUpTestStore,
} from '../../__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../__testUtils__/testDatabases';
import { DatabasePromotionStore } from '../../DatabasePromotionStore';
import {
  ENVIRONMENTS,
  gateOf,
  History,
  ladderUpTo,
  policies,
  POLICIES,
  randomFrom,
  randomStep,
} from '../../__testUtils__/randomHistory';

/*
 * The gate and the flow state on bounded reads (getGateFacts,
 * getFlowStateFacts) answer exactly as on the flow's whole history
 * (getFlowFacts): random histories recorded through the store — many
 * versions, failed deployments, rollbacks with and without a target,
 * requests approved, rejected, withdrawn, superseded and expired, standing
 * approvals granted and revoked, checklist items completed, undone and
 * completed again after a rollback, sign-offs — and for every version and
 * environment, under policies that differ in every rule the store does not
 * know of, the same gate answer. A loader that misses a kind of row fails
 * here.
 */

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS * 3);

const databases = createTestDatabases();

const SEEDS = [1, 6, 9];

/**
 * Compares every gate and the flow state on bounded reads with the whole
 * history; returns the answers compared (their codes, and how the open ones
 * were approved).
 */
async function expectSameAnswers(
  store: DatabasePromotionStore,
  history: History,
): Promise<string[]> {
  const full = await store.getFlowFacts(history.entityRef);
  const moments = [
    at(history.minutes),
    at(history.minutes + 12),
    at(history.minutes + 200),
  ];
  const compared: string[] = [];
  for (const environmentId of ENVIRONMENTS) {
    for (const version of [...history.versions, '9.9.9']) {
      const bounded = await store.getGateFacts({
        entityRef: history.entityRef,
        version,
        environmentIds: ladderUpTo(environmentId),
      });
      for (const policy of POLICIES) {
        for (const now of moments) {
          const whole = gateOf(
            history.entityRef,
            policy,
            full,
            environmentId,
            version,
            now,
          );
          expect({
            policy: policy.name,
            ...gateOf(
              history.entityRef,
              policy,
              bounded,
              environmentId,
              version,
              now,
            ),
          }).toEqual({ policy: policy.name, ...whole });
          compared.push(
            ...whole.unmetConditions.map(c => c.code),
            ...(whole.approvedBy ? [`approved by ${whole.approvedBy}`] : []),
          );
        }
      }
    }
  }

  // The flow state, and the gate for its next step, at every moment.
  const rollbackLimit = 3;
  for (const policy of POLICIES) {
    const { facts: state, nextStep } = await store.getFlowStateFacts({
      entityRef: history.entityRef,
      environmentIds: ENVIRONMENTS,
      rollbackLimit,
      nextStep: deployments => nextStepFor(policy, { ...full, deployments }),
    });
    expect(environmentStatesOf(policy, state)).toEqual(
      environmentStatesOf(policy, full),
    );
    expect(nextStep).toEqual(nextStepFor(policy, full));
    expect(nextStepFor(policy, state)).toEqual(nextStep);
    if (nextStep) {
      for (const now of moments) {
        const whole = gateOf(
          history.entityRef,
          policy,
          full,
          nextStep.environmentId,
          nextStep.version,
          now,
        );
        expect({
          policy: policy.name,
          nextStep,
          ...gateOf(
            history.entityRef,
            policy,
            state,
            nextStep.environmentId,
            nextStep.version,
            now,
          ),
        }).toEqual({ policy: policy.name, nextStep, ...whole });
        compared.push(
          ...whole.unmetConditions.map(c => `next: ${c.code}`),
          ...(whole.approvedBy
            ? [`next: approved by ${whole.approvedBy}`]
            : []),
        );
      }
    }
    expect(state.requests.filter(r => r.status === 'pending')).toEqual(
      full.requests.filter(r => r.status === 'pending'),
    );
    expect((state.rollbacks ?? []).slice(-rollbackLimit)).toEqual(
      (full.rollbacks ?? []).slice(-rollbackLimit),
    );
  }
  return compared;
}

describe.each(databases.eachSupportedId())(
  'bounded facts on %s',
  (databaseId: TestDatabaseId) => {
    let store: DatabasePromotionStore;
    setUpTestStore(databases, databaseId, 'each', made => {
      store = made.store;
    });

    it('random histories: every gate, and the flow state, answer as on the whole history', async () => {
      const compared: string[] = [];
      for (const seed of SEEDS) {
        const random = randomFrom(seed);
        const history: History = {
          entityRef: `component:default/history-${seed}`,
          versions: ['1.0.0'],
          minutes: 0,
          mismatches: [],
        };
        for (let step = 1; step <= 160; step++) {
          await randomStep(store, random, history);
          if (step % 40 === 0) {
            compared.push(...(await expectSameAnswers(store, history)));
          }
        }
        // The gate each deployment's transaction evaluated answered as well.
        expect({ seed, mismatches: history.mismatches }).toEqual({
          seed,
          mismatches: [],
        });

        // The history holds what the loaders must not miss.
        const full = await store.getFlowFacts(history.entityRef);
        expect(full.rollbacks!.length).toBeGreaterThan(1);
        expect(full.deployments.some(d => d.rolledBackAt)).toBe(true);
        expect(full.deployments.some(d => d.status === 'failed')).toBe(true);
        expect(full.standingApprovals.length).toBeGreaterThan(0);
        expect(full.checklistCompletions.length).toBeGreaterThan(0);
        expect(full.signOffs.length).toBeGreaterThan(0);
        expect(
          new Set(full.requests.map(r => r.status)).size,
        ).toBeGreaterThanOrEqual(4);
      }
      // Together the histories take every turn of the rules (and the flow
      // state's next gates were compared too).
      expect(
        compared.filter(turn => turn.startsWith('next: ')).length,
      ).toBeGreaterThan(20);
      expect(
        [
          ...new Set(compared.filter(turn => !turn.startsWith('next: '))),
        ].sort(),
      ).toEqual(
        [
          'approval-pending',
          'approval-required',
          'approval-revoked',
          'approved by none',
          'approved by request',
          'approved by rollback-target',
          'approved by standing-approval',
          'checklist-incomplete',
          'post-deployment-incomplete',
          'predecessor-post-deployment-incomplete',
          'previous-deployment-missing',
          'sign-off-missing',
          'version-rolled-back',
        ].sort(),
      );
      expect(compared.length).toBeGreaterThan(3000);
    });

    it('a rollback that lets earlier versions back: later deployments of them keep it in force, a new version ends it', async () => {
      const history: History = {
        entityRef: 'component:default/earlier-versions',
        versions: ['1.0.0', '1.1.0', '1.2.0', '1.3.0', '2.0.0'],
        minutes: 0,
        mismatches: [],
      };
      const deploy = (version: string) =>
        store.recordDeployment(
          {
            entityRef: history.entityRef,
            environmentId: 'production',
            version,
            status: 'succeeded',
            evaluateGate: () => [],
          },
          { actor: PIPELINE, now: at(++history.minutes) },
        );
      const rollbackTarget = async (version: string) =>
        (
          await store
            .getGateFacts({
              entityRef: history.entityRef,
              version,
              environmentIds: ENVIRONMENTS,
            })
            .then(facts =>
              gateOf(
                history.entityRef,
                policies.lenient,
                facts,
                'production',
                version,
                at(history.minutes),
              ),
            )
        ).approvedBy === 'rollback-target';

      for (const version of ['1.0.0', '1.1.0', '1.2.0', '1.3.0']) {
        await deploy(version);
      }
      await store.recordRollback(
        {
          entityRef: history.entityRef,
          environmentId: 'production',
          fromVersion: '1.3.0',
          toVersion: '1.2.0',
          reason: 'Errors',
        },
        { actor: ALICE, now: at(++history.minutes) },
      );
      // 1.1.0 ran before 1.3.0: it goes back too (where the policy lets
      // earlier versions back), and the target stands again after it.
      await deploy('1.1.0');
      await deploy('1.2.0');
      expect(await rollbackTarget('1.0.0')).toBe(true);
      await expectSameAnswers(store, history);

      // A version that never ran there before ends the rollback, even with
      // the target standing again after it.
      await deploy('2.0.0');
      await deploy('1.2.0');
      expect(await rollbackTarget('1.0.0')).toBe(false);
      await expectSameAnswers(store, history);
    });

    it("the flow state's next gate is the way back to a rollback target that was itself rolled back before, behind more recent rollbacks elsewhere", async () => {
      const history: History = {
        entityRef: 'component:default/back-to-a-rolled-back-target',
        versions: [
          '1.0.0',
          '1.1.0',
          '1.2.0',
          '3.0.0',
          '3.1.0',
          '3.2.0',
          '3.3.0',
        ],
        minutes: 0,
        mismatches: [],
      };
      const deploy = (environmentId: string, version: string) =>
        store.recordDeployment(
          {
            entityRef: history.entityRef,
            environmentId,
            version,
            status: 'succeeded',
            evaluateGate: () => [],
          },
          { actor: PIPELINE, now: at(++history.minutes) },
        );
      const rollBack = (
        environmentId: string,
        fromVersion: string,
        toVersion: string,
      ) =>
        store.recordRollback(
          {
            entityRef: history.entityRef,
            environmentId,
            fromVersion,
            toVersion,
            reason: 'Errors',
          },
          { actor: ALICE, now: at(++history.minutes) },
        );

      for (const version of ['1.0.0', '1.1.0', '1.2.0']) {
        for (const environmentId of ENVIRONMENTS) {
          await deploy(environmentId, version);
        }
        if (version === '1.1.0') {
          await rollBack('production', '1.1.0', '1.0.0');
        }
      }
      // Production goes back to 1.1.0, rolled back there before; Test runs
      // 1.1.0 again, so the next step is 1.1.0 into Production, the
      // rollback target, open with no approval.
      await rollBack('production', '1.2.0', '1.1.0');
      await deploy('test', '1.1.0');
      // More recent rollbacks than the flow state lists, all in Dev.
      for (const version of ['3.0.0', '3.1.0', '3.2.0', '3.3.0']) {
        await deploy('dev', version);
        await rollBack('dev', version, '1.2.0');
      }

      const { facts, nextStep } = await store.getFlowStateFacts({
        entityRef: history.entityRef,
        environmentIds: ENVIRONMENTS,
        rollbackLimit: 3,
        nextStep: deployments =>
          nextStepFor(policies.strict, {
            deployments,
            checklistCompletions: [],
            signOffs: [],
            standingApprovals: [],
            requests: [],
          }),
      });
      expect(nextStep).toEqual({
        environmentId: 'production',
        version: '1.1.0',
      });
      expect(
        gateOf(
          history.entityRef,
          policies.strict,
          facts,
          'production',
          '1.1.0',
          at(history.minutes),
        ),
      ).toMatchObject({ open: true, approvedBy: 'rollback-target' });
      await expectSameAnswers(store, history);

      // 2.0.0 in Production ends that rollback, even once 1.0.0 (which may go
      // back where earlier versions may) replaced it and Test ran 1.1.0 again.
      history.versions.push('2.0.0');
      await deploy('production', '2.0.0');
      await deploy('production', '1.0.0');
      await deploy('test', '1.1.0');
      const after = await store.getFlowStateFacts({
        entityRef: history.entityRef,
        environmentIds: ENVIRONMENTS,
        rollbackLimit: 3,
        nextStep: deployments =>
          nextStepFor(policies.lenient, {
            deployments,
            checklistCompletions: [],
            signOffs: [],
            standingApprovals: [],
            requests: [],
          }),
      });
      expect(after.nextStep).toEqual({
        environmentId: 'production',
        version: '1.1.0',
      });
      expect(
        gateOf(
          history.entityRef,
          policies.lenient,
          after.facts,
          'production',
          '1.1.0',
          at(history.minutes),
        ).approvedBy,
      ).not.toBe('rollback-target');
      await expectSameAnswers(store, history);
    });
  },
);
