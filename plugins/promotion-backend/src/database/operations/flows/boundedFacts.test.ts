import { TestDatabaseId } from '@backstage/backend-test-utils';
import { isError } from '@backstage/errors';
import {
  ChecklistKind,
  currentVersionIn,
  evaluateGate,
  FlowFacts,
  GateResult,
  nextStepFor,
  PromotionPolicy,
  readPromotionConfig,
} from '@promotion/plugin-promotion-common';
import { environmentStatesOf } from '../../../service/flows/FlowView';
import {
  ALICE,
  at,
  BOB,
  CAROL,
  dossier,
  PIPELINE,
  setUpTestStore,
} from '../../__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../__testUtils__/testDatabases';
import { DatabasePromotionStore } from '../../DatabasePromotionStore';
import { AuditContext } from '../../PromotionStore';

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

const ENVIRONMENTS = ['dev', 'test', 'production'];
const APPROVERS = ['user:default/alice', 'user:default/bob'];

/** Two policies on the same ladder that differ in every rule the facts feed. */
const { policies } = readPromotionConfig({
  policies: {
    strict: {
      environments: [
        {
          id: 'dev',
          checklist: [
            { id: 'unit-tests', title: 'Unit tests' },
            { id: 'smoke', title: 'Smoke test', scope: 'flow' },
          ],
          postDeployment: {
            checklist: [{ id: 'dev-watch', title: 'Dev watch' }],
            blocksNextVersion: false,
          },
        },
        {
          id: 'test',
          checklist: [
            { id: 'e2e', title: 'End-to-end tests' },
            { id: 'config', title: 'Config mirrors production', scope: 'flow' },
            {
              id: 'contract',
              title: 'Contract signed',
              scope: 'flow',
              resetOnRollback: false,
            },
          ],
          signOff: { required: true },
          approval: { mode: 'once', approvers: APPROVERS },
          postDeployment: {
            checklist: [
              { id: 'test-watch', title: 'Test watch', minimumWait: 'PT10M' },
            ],
          },
          rollback: { earlierVersionsDeployable: true },
        },
        {
          id: 'production',
          approval: { mode: 'every', approvers: APPROVERS },
          postDeployment: {
            checklist: [
              { id: 'log-watch', title: 'Log watch', minimumWait: 'PT15M' },
            ],
          },
        },
      ],
    },
    lenient: {
      environments: [
        { id: 'dev', checklist: [{ id: 'unit-tests', title: 'Unit tests' }] },
        {
          id: 'test',
          checklist: [
            { id: 'config', title: 'Config mirrors production', scope: 'flow' },
          ],
          approval: { mode: 'every', approvers: APPROVERS, minApprovers: 2 },
          postDeployment: {
            checklist: [{ id: 'test-watch', title: 'Test watch' }],
            blocksNextVersion: false,
          },
        },
        {
          id: 'production',
          signOff: { required: false },
          approval: { mode: 'once', approvers: APPROVERS },
          postDeployment: {
            checklist: [{ id: 'log-watch', title: 'Log watch' }],
          },
          rollback: { earlierVersionsDeployable: true },
        },
      ],
    },
  },
});
const POLICIES: PromotionPolicy[] = Object.values(policies);

const ITEMS: Array<{
  environmentId: string;
  kind: ChecklistKind;
  itemId: string;
  scope: 'version' | 'flow';
}> = [
  {
    environmentId: 'dev',
    kind: 'validation',
    itemId: 'unit-tests',
    scope: 'version',
  },
  { environmentId: 'dev', kind: 'validation', itemId: 'smoke', scope: 'flow' },
  {
    environmentId: 'dev',
    kind: 'post-deployment',
    itemId: 'dev-watch',
    scope: 'version',
  },
  {
    environmentId: 'test',
    kind: 'validation',
    itemId: 'e2e',
    scope: 'version',
  },
  {
    environmentId: 'test',
    kind: 'validation',
    itemId: 'config',
    scope: 'flow',
  },
  {
    environmentId: 'test',
    kind: 'validation',
    itemId: 'contract',
    scope: 'flow',
  },
  {
    environmentId: 'test',
    kind: 'post-deployment',
    itemId: 'test-watch',
    scope: 'version',
  },
  {
    environmentId: 'production',
    kind: 'post-deployment',
    itemId: 'log-watch',
    scope: 'version',
  },
];

/** A small seeded generator (mulberry32), so that a failing history can be replayed. */
function randomFrom(seed: number) {
  let state = seed >>> 0;
  const next = () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return {
    chance: (p: number) => next() < p,
    pick: <T>(items: T[]): T => items[Math.floor(next() * items.length)],
    integer: (below: number) => Math.floor(next() * below),
  };
}

/** Histories that, together, take every turn of the rules. */
const SEEDS = [1, 6, 9];

const ladderUpTo = (environmentId: string) =>
  ENVIRONMENTS.slice(0, ENVIRONMENTS.indexOf(environmentId) + 1);

/** What the random history has done so far, besides the store's own facts. */
interface History {
  /** The flow the history is recorded on. */
  entityRef: string;
  versions: string[];
  minutes: number;
  /** Gate answers the deployments' transactions gave that differ from the whole history's. */
  mismatches: string[];
}

/** The store refuses many random steps (409, 404, 400): they are part of the history. */
async function tolerated(step: () => Promise<unknown>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (
      !isError(error) ||
      !['ConflictError', 'NotFoundError', 'InputError'].includes(error.name)
    ) {
      throw error;
    }
  }
}

function gateOf(
  entityRef: string,
  policy: PromotionPolicy,
  facts: FlowFacts,
  environmentId: string,
  version: string,
  now: Date,
): GateResult {
  return evaluateGate({
    entityRef,
    policy,
    facts,
    environmentId,
    version,
    now,
  });
}

/** One random step of the history, through the store. */
async function randomStep(
  store: DatabasePromotionStore,
  random: ReturnType<typeof randomFrom>,
  history: History,
): Promise<void> {
  history.minutes += random.pick([0, 1, 1, 2, 3, 7, 20]);
  const ctx = (actor: string): AuditContext => ({
    actor,
    now: at(history.minutes),
  });
  const someVersion = () =>
    random.chance(0.7)
      ? random.pick(history.versions.slice(-4))
      : random.pick(history.versions);
  const environmentId = random.pick(ENVIRONMENTS);
  const roll = random.integer(100);

  if (roll < 38) {
    // A deployment: mostly a recent version, sometimes a new one.
    if (random.chance(0.25)) {
      history.versions.push(`1.${history.versions.length}.0`);
    }
    const version = random.chance(0.5)
      ? history.versions[history.versions.length - 1]
      : someVersion();
    const full = await store.getFlowFacts(history.entityRef);
    const now = at(history.minutes);
    await store.recordDeployment(
      {
        entityRef: history.entityRef,
        environmentId,
        version,
        status: random.chance(0.85) ? 'succeeded' : 'failed',
        ladder: ladderUpTo(environmentId),
        evaluateGate: facts => {
          for (const policy of POLICIES) {
            const bounded = gateOf(
              history.entityRef,
              policy,
              facts,
              environmentId,
              version,
              now,
            );
            const whole = gateOf(
              history.entityRef,
              policy,
              full,
              environmentId,
              version,
              now,
            );
            if (JSON.stringify(bounded) !== JSON.stringify(whole)) {
              history.mismatches.push(
                `deployment of ${version} into ${environmentId} (${
                  policy.name
                }): ${JSON.stringify(bounded)} instead of ${JSON.stringify(
                  whole,
                )}`,
              );
            }
          }
          return [];
        },
      },
      ctx(PIPELINE),
    );
  } else if (roll < 46) {
    // A rollback of a version standing there, to a target or not.
    const full = await store.getFlowFacts(history.entityRef);
    const standing = full.deployments.filter(
      d =>
        d.environmentId === environmentId &&
        d.status === 'succeeded' &&
        !d.rolledBackAt,
    );
    if (standing.length === 0) {
      return;
    }
    const fromVersion = random.chance(0.8)
      ? currentVersionIn(full, environmentId)!.version
      : random.pick(standing).version;
    const toVersion = random.pick([
      undefined,
      standing.find(d => d.version !== fromVersion)?.version,
      someVersion(),
    ]);
    await tolerated(() =>
      store.recordRollback(
        {
          entityRef: history.entityRef,
          environmentId,
          fromVersion,
          toVersion,
          reason: 'Random history',
        },
        ctx(random.pick([ALICE, BOB])),
      ),
    );
  } else if (roll < 58) {
    // A request, which may expire before the history ends.
    await tolerated(() =>
      store.createRequest(
        {
          entityRef: history.entityRef,
          environmentId,
          version: someVersion(),
          dossier,
          expiresAt: at(history.minutes + 1 + random.integer(120)),
          supersedeOlderRequests: random.chance(0.5),
        },
        ctx(random.pick([ALICE, CAROL])),
      ),
    );
  } else if (roll < 68) {
    // A decision on a pending request.
    const pending = (
      await store.getFlowFacts(history.entityRef)
    ).requests.filter(r => r.status === 'pending');
    if (pending.length === 0) {
      return;
    }
    const request = random.pick(pending);
    await tolerated(() =>
      store.decide(
        {
          requestId: request.id,
          decision: random.chance(0.75) ? 'approve' : 'reject',
          comment: 'Random decision',
          minApprovers: random.pick([1, 1, 2]),
          grantsStandingApproval: random.chance(0.5),
        },
        ctx(random.pick([ALICE, BOB, CAROL])),
      ),
    );
  } else if (roll < 71) {
    const pending = (
      await store.getFlowFacts(history.entityRef)
    ).requests.filter(r => r.status === 'pending');
    if (pending.length > 0) {
      const request = random.pick(pending);
      await tolerated(() =>
        store.withdrawRequest(request.id, ctx(request.requestedBy)),
      );
    }
  } else if (roll < 74) {
    await store.expireRequests(ctx('service:promotion'));
  } else if (roll < 86) {
    // A checklist item, for a version or the flow.
    const item = random.pick(ITEMS);
    await tolerated(() =>
      store.completeChecklistItem(
        {
          entityRef: history.entityRef,
          environmentId: item.environmentId,
          kind: item.kind,
          itemId: item.itemId,
          version: item.scope === 'flow' ? undefined : someVersion(),
        },
        ctx(random.pick([ALICE, BOB])),
      ),
    );
  } else if (roll < 90) {
    const active = (await store.getFlowFacts(history.entityRef))
      .checklistCompletions;
    if (active.length > 0) {
      const completion = random.pick(active);
      await store.undoChecklistItem(
        {
          entityRef: history.entityRef,
          environmentId: completion.environmentId,
          kind: completion.kind,
          itemId: completion.itemId,
          version: completion.version ?? undefined,
          reason: 'Random undo',
        },
        ctx(ALICE),
      );
    }
  } else if (roll < 96) {
    await store.createSignOff(
      {
        entityRef: history.entityRef,
        environmentId,
        version: someVersion(),
        comment: 'Random sign-off',
      },
      ctx(random.pick([ALICE, BOB])),
    );
  } else {
    await store.revokeStandingApproval(
      {
        entityRef: history.entityRef,
        environmentId,
        reason: 'Random revocation',
      },
      ctx(BOB),
    );
  }
}

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
