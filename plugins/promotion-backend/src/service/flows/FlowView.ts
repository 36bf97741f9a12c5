import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  currentOrNextFreeze,
  currentVersionIn,
  dependencyChecksFor,
  DependencyFacts,
  EnvironmentState,
  evaluateGate,
  FlowFacts,
  FlowPermissions,
  FlowState,
  GateResult,
  nextStepFor,
  PromotionPolicy,
  PermissionAnswer,
  promotionApprovePermission,
  promotionChecklistCompletePermission,
  promotionDeploymentRecordPermission,
  promotionRequestPermission,
  promotionRevokePermission,
  promotionRollbackPermission,
  promotionSignOffPermission,
  refsNamedByGate,
} from '@promotion/plugin-promotion-common';
import { deniedReason } from '../../permissions/PromotionAuthorizer';
import { CallContext } from '../callContext';
import { NameOf } from '../displayNames';
import { approverAnswer } from '../requests/approverIdentity';
import { ServiceParts } from '../serviceParts';
import { readDependencyFacts } from './dependencyFacts';
import { environmentOf, Flow, ladderUpTo } from './FlowResolver';

type FlowViewParts = Pick<
  ServiceParts,
  | 'store'
  | 'flows'
  | 'authorizer'
  | 'auth'
  | 'userInfo'
  | 'displayNames'
  | 'now'
>;

/**
 * The flow's most recent rollbacks the flow state lists (the tab shows
 * five; the latest decides which flow-scoped items a rollback reset).
 */
export const FLOW_STATE_ROLLBACKS = 10;

const NO_FACTS: FlowFacts = {
  deployments: [],
  checklistCompletions: [],
  signOffs: [],
  standingApprovals: [],
  requests: [],
  rollbacks: [],
};

/**
 * What each environment of the ladder shows: the version standing there,
 * the checklist completions for it and for the flow, its sign-offs, and the
 * environment's standing approval (the active one granted last, or else the
 * one granted last), and the freeze window in force there at `now` or else
 * the next one. A pure function of the facts: it answers the same on
 * `getFlowStateFacts` as on the flow's whole history.
 */
export function environmentStatesOf(
  policy: PromotionPolicy,
  facts: FlowFacts,
  now: Date = new Date(),
): EnvironmentState[] {
  return policy.environments.map((environment): EnvironmentState => {
    const current = currentVersionIn(facts, environment.id);
    const version = current?.version;
    const here = <T extends { environmentId: string }>(items: T[]) =>
      items.filter(item => item.environmentId === environment.id);
    const standing = here(facts.standingApprovals).sort(
      (a, b) =>
        Number(!a.revokedAt) - Number(!b.revokedAt) ||
        a.grantedAt.localeCompare(b.grantedAt),
    );
    return {
      environment,
      ...(current && {
        currentVersion: version,
        currentDeployment: current,
      }),
      checklist: here(facts.checklistCompletions).filter(
        c =>
          c.kind === 'validation' &&
          (c.version === undefined ||
            c.version === null ||
            c.version === version),
      ),
      postDeployment: here(facts.checklistCompletions).filter(
        c =>
          c.kind === 'post-deployment' &&
          version !== undefined &&
          c.version === version,
      ),
      signOffs: here(facts.signOffs).filter(s => s.version === version),
      ...(standing.length > 0 && {
        standingApproval: standing[standing.length - 1],
      }),
      ...freezeOf(environment, now),
    };
  });
}

/** The freeze window in force in an environment, or else its next one. */
function freezeOf(
  environment: PromotionPolicy['environments'][number],
  now: Date,
): Pick<EnvironmentState, 'freeze'> {
  const freeze = currentOrNextFreeze(environment, now);
  return freeze ? { freeze } : {};
}

/**
 * A flow as the caller may see it: where each version stands on the ladder,
 * whether a gate is open, and what the caller may do on it. Changes nothing.
 */
export class FlowView {
  readonly #parts: FlowViewParts;

  constructor(parts: FlowViewParts) {
    this.#parts = parts;
  }

  async getFlowState(
    ref: CompoundEntityRef,
    ctx: CallContext,
  ): Promise<FlowState> {
    const flow = await this.#parts.flows.readable(ref, ctx);
    const { policy } = flow;
    // What each environment shows, what is next and the gate for it, read
    // bounded by the ladder, whatever the flow's history.
    // The dependencies, where an environment of the ladder requires them.
    const requiring = policy.environments.filter(e => e.dependencies);
    // What each environment shows, what is next and the gate for it, with
    // the break-glass declarations in play, read bounded by the ladder,
    // whatever the flow's history; beside it the dependencies'.
    const [{ facts, nextStep }, dependencies] = await Promise.all([
      this.#parts.store.getFlowStateFacts({
        entityRef: flow.entityRef,
        environmentIds: policy.environments.map(e => e.id),
        rollbackLimit: FLOW_STATE_ROLLBACKS,
        nextStep: deployments =>
          nextStepFor(policy, { ...NO_FACTS, deployments }),
      }),
      this.#dependenciesOf(
        flow,
        requiring.map(e => e.dependencies!.environmentId),
      ),
    ]);
    const now = this.#parts.now();
    const breakGlasses = facts.breakGlasses ?? [];
    return {
      entityRef: flow.entityRef,
      policy,
      ...(dependencies && {
        dependencies: requiring.map(environment => ({
          environmentId: environment.id,
          checks:
            dependencyChecksFor({
              entityRef: flow.entityRef,
              policy,
              environment,
              dependencies,
            }) ?? [],
        })),
      }),
      environments: environmentStatesOf(policy, facts, now),
      ...(nextStep && {
        nextGate: evaluateGate({
          entityRef: flow.entityRef,
          policy,
          facts: {
            ...facts,
            ...(dependencies && { dependencies }),
          },
          environmentId: nextStep.environmentId,
          version: nextStep.version,
          now,
          displayName: await this.#displayNamesIn(facts),
        }),
      }),
      // A request past its deadline is expired, whether or not the expiry
      // task has run yet: no longer pending, as the gate and the inbox see it.
      pendingRequests: facts.requests.filter(
        r => r.status === 'pending' && Date.parse(r.expiresAt) > now.getTime(),
      ),
      rollbacks: (facts.rollbacks ?? []).slice(-FLOW_STATE_ROLLBACKS),
      breakGlasses,
    };
  }

  /** May version V go to environment E? The pipeline asks before deploying. */
  async getGate(
    ref: CompoundEntityRef,
    query: { environment: string; version: string },
    ctx: CallContext,
  ): Promise<GateResult> {
    const flow = await this.#parts.flows.readable(ref, ctx);
    const environment = environmentOf(flow, query.environment, 'query');
    return this.#gate(flow, environment.id, query.version, this.#parts.now());
  }

  /** The gate for a version into an environment of the flow's ladder, on the facts it looks at. */
  async #gate(
    flow: Flow,
    environmentId: string,
    version: string,
    now: Date,
  ): Promise<GateResult> {
    const rule = flow.policy.environments.find(
      e => e.id === environmentId,
    )?.dependencies;
    // The gate's facts with the break-glass declarations in play, in one
    // statement, beside the dependencies' when the environment asks for them.
    const [facts, dependencies] = await Promise.all([
      this.#parts.store.getGateFacts({
        entityRef: flow.entityRef,
        version,
        environmentIds: ladderUpTo(flow, environmentId),
        breakGlasses: true,
      }),
      rule ? this.#dependenciesOf(flow, [rule.environmentId]) : undefined,
    ]);
    return evaluateGate({
      entityRef: flow.entityRef,
      policy: flow.policy,
      facts: {
        ...facts,
        ...(dependencies && { dependencies }),
      },
      environmentId,
      version,
      now,
      displayName: await this.#displayNamesIn(facts),
    });
  }

  /**
   * The flow's dependencies with their versions in these environments;
   * undefined, and nothing read, when no environment is asked.
   */
  async #dependenciesOf(
    flow: Flow,
    environmentIds: string[],
  ): Promise<DependencyFacts[] | undefined> {
    if (environmentIds.length === 0) {
      return undefined;
    }
    const [dependencies] = await readDependencyFacts(this.#parts, [
      {
        entityRef: flow.entityRef,
        entity: flow.entity,
        policy: flow.policy,
        environmentIds: [...new Set(environmentIds)],
      },
    ]);
    return dependencies;
  }

  /** The names of the people the gate may name for these facts, read in one catalog call. */
  #displayNamesIn(facts: FlowFacts): Promise<NameOf> {
    return this.#parts.displayNames.lookup(refsNamedByGate(facts));
  }

  /** What the caller may do on the flow, with the reason in words when not. */
  async getFlowPermissions(
    ref: CompoundEntityRef,
    ctx: CallContext,
  ): Promise<FlowPermissions> {
    const { authorizer } = this.#parts;
    const flow = await this.#parts.flows.readable(ref, ctx);
    const permissions = {
      recordDeployment: promotionDeploymentRecordPermission,
      completeChecklist: promotionChecklistCompletePermission,
      signOff: promotionSignOffPermission,
      request: promotionRequestPermission,
      approve: promotionApprovePermission,
      revoke: promotionRevokePermission,
      rollback: promotionRollbackPermission,
    };
    const decisions = await authorizer.decideFlow(
      permissions,
      flow.entityRef,
      ctx.credentials,
    );
    const answer = (key: keyof typeof permissions): PermissionAnswer =>
      decisions[key]
        ? { allowed: true }
        : { allowed: false, reason: deniedReason(permissions[key]) };

    let approve = answer('approve');
    if (approve.allowed) {
      approve = await approverAnswer(flow, ctx.credentials, this.#parts);
    }
    const readAudit: PermissionAnswer = (await authorizer.mayReadAudit(
      ctx.credentials,
    ))
      ? { allowed: true }
      : {
          allowed: false,
          reason:
            'The permission policy does not allow you to read the audit trail and the verification report (promotion.audit.read)',
        };
    return {
      recordDeployment: answer('recordDeployment'),
      completeChecklist: answer('completeChecklist'),
      signOff: answer('signOff'),
      request: answer('request'),
      approve,
      revoke: answer('revoke'),
      rollback: answer('rollback'),
      readAudit,
    };
  }
}
