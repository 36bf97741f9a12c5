import { isError } from '@backstage/errors';
import {
  ChecklistKind,
  currentVersionIn,
  evaluateGate,
  FlowFacts,
  GateResult,
  PromotionPolicy,
  readPromotionConfig,
} from '@promotion/plugin-promotion-common';
import { DatabasePromotionStore } from '../DatabasePromotionStore';
import { AuditContext } from '../PromotionStore';
import { ALICE, at, BOB, CAROL, dossier, PIPELINE } from './storeFixture';

/*
 * Random histories of one flow recorded through the store, to compare a
 * bounded read with the whole history (`getFlowFacts`): many versions,
 * failed deployments, rollbacks with and without a target, requests
 * approved, rejected, withdrawn, superseded and expired, standing approvals
 * granted and revoked, checklist items completed, undone and completed
 * again after a rollback, sign-offs; and two policies on the same ladder
 * that differ in every rule the facts feed.
 */

export const ENVIRONMENTS = ['dev', 'test', 'production'];
const APPROVERS = ['user:default/alice', 'user:default/bob'];

/** Two policies on the same ladder that differ in every rule the facts feed. */
export const { policies } = readPromotionConfig({
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
export const POLICIES: PromotionPolicy[] = Object.values(policies);

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
export function randomFrom(seed: number) {
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

/** The ladder up to and including an environment. */
export const ladderUpTo = (environmentId: string) =>
  ENVIRONMENTS.slice(0, ENVIRONMENTS.indexOf(environmentId) + 1);

/** What the random history has done so far, besides the store's own facts. */
export interface History {
  /** The flow the history is recorded on. */
  entityRef: string;
  versions: string[];
  minutes: number;
  /**
   * When given, each deployment's gate, as its transaction evaluates it on
   * its bounded facts, is compared under every policy with the gate on the
   * whole history read just before; each difference is added here.
   */
  mismatches?: string[];
}

/** The gate for a version into an environment, on some facts, without names. */
export function gateOf(
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

/** The differences between a deployment's gate on its facts and on the whole history. */
function gateMismatches(
  history: History,
  full: FlowFacts,
  facts: FlowFacts,
  step: { environmentId: string; version: string; now: Date },
): string[] {
  const { environmentId, version, now } = step;
  return POLICIES.flatMap(policy => {
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
    return JSON.stringify(bounded) === JSON.stringify(whole)
      ? []
      : [
          `deployment of ${version} into ${environmentId} (${
            policy.name
          }): ${JSON.stringify(bounded)} instead of ${JSON.stringify(whole)}`,
        ];
  });
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

/** One random step of the history, through the store. */
export async function randomStep(
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
    const full = history.mismatches
      ? await store.getFlowFacts(history.entityRef)
      : undefined;
    const now = at(history.minutes);
    await store.recordDeployment(
      {
        entityRef: history.entityRef,
        environmentId,
        version,
        status: random.chance(0.85) ? 'succeeded' : 'failed',
        ladder: ladderUpTo(environmentId),
        evaluateGate: facts => {
          if (full) {
            history.mismatches?.push(
              ...gateMismatches(history, full, facts, {
                environmentId,
                version,
                now,
              }),
            );
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
