import {
  ApprovalRule,
  BreakGlass,
  ChecklistCompletion,
  Deployment,
  EnvironmentDefinition,
  FlowFacts,
  GateCondition,
  GateResult,
  PostDeploymentItemDefinition,
  PromotionPolicy,
  PromotionRequest,
  StandingApproval,
} from './types';
import { parseEntityRef } from '@backstage/catalog-model';
import { countingApprovers } from './approvals';
import { activeFreeze, frozenCondition } from './freeze';
import { isResetByRollback, rollbackDeployableVersions } from './gateRollback';
import {
  dependencyChecksFor,
  dependencyConditionsOf,
} from './gateDependencies';

/*
 * The gate (PRODUCT.md, "The rules (the gate)"): pure functions over the
 * recorded facts of one flow. No I/O, no clock unless `now` is left out.
 */

/** Arguments of `evaluateGate`. */
export interface EvaluateGateArgs {
  /** The flow. Facts recorded for other flows are ignored. */
  entityRef: string;
  policy: PromotionPolicy;
  facts: FlowFacts;
  /** E: the environment the version would enter. */
  environmentId: string;
  /** V: the version that would enter it. */
  version: string;
  /** Pending requests that expired before `now` no longer count. Defaults to the current time. */
  now?: Date;
  /**
   * The name a person reads for someone the gate's sentences mention (who
   * revoked a standing approval, who requested a pending promotion), given
   * their entity ref or `service:<subject>`. Defaults to {@link refName}
   * (`user:default/alice` → `alice`); callers that know display names pass
   * them here, read beforehand for the refs of {@link refsNamedByGate}, so
   * that the gate stays a pure function of its arguments.
   */
  displayName?: (ref: string) => string;
}

/** Where a flow's newest version could go next. */
export interface NextStep {
  environmentId: string;
  version: string;
}

/**
 * Evaluates the gate for version V of a flow into environment E. The gate is
 * open when no condition is unmet. Conditions come in ladder order, and for
 * each environment: (1) deployment of V, (2) validation checklist,
 * (3) sign-off, (4) post-deployment checklist; then E's own: the
 * post-deployment checklist of the version standing in E, where it blocks
 * the next version; E's dependencies, where E requires them and the facts
 * carry them (see `dependencyChecksFor`); E's approval rule comes last.
 *
 * A freeze window in force in E (see `activeFreeze`) adds the condition
 * `frozen` last, and the window as `freeze`.
 *
 * The revert of a rollback is never blocked, not even by a freeze: the
 * rollback target of E's latest rollback (see `rollbackDeployableVersions`)
 * is open with `approvedBy: 'rollback-target'` and no condition, since it
 * already climbed.
 * Flow-scoped validation items completed before the flow's latest rollback
 * count only where they survive rollbacks (`resetOnRollback: false`).
 */
export function evaluateGate(args: EvaluateGateArgs): GateResult {
  const { entityRef, policy, environmentId, version } = args;
  const now = args.now ?? new Date();
  const nameOf = args.displayName ?? refName;
  const facts = factsOfFlow(args.facts, entityRef);
  const result = (
    unmetConditions: GateCondition[],
    approvedBy?: GateResult['approvedBy'],
    dependencies?: GateResult['dependencies'],
  ): GateResult => ({
    entityRef,
    environmentId,
    version,
    open: unmetConditions.length === 0,
    unmetConditions,
    ...(approvedBy && { approvedBy }),
    ...(dependencies && { dependencies }),
  });

  const index = policy.environments.findIndex(e => e.id === environmentId);
  if (index < 0) {
    return result([
      {
        code: 'unknown-environment',
        message: `Environment "${environmentId}" is not on the ladder of the ${policyLabel(
          policy,
        )} policy.`,
        environmentId,
      },
    ]);
  }
  const target = policy.environments[index];
  if (rollbackDeployableVersions(facts, target)?.versions.includes(version)) {
    return result([], 'rollback-target');
  }

  const unmet: GateCondition[] = [];
  policy.environments.slice(0, index).forEach((earlier, earlierIndex) => {
    // (1) V deployed successfully, and not rolled back, to every earlier environment.
    const deploymentCondition = deploymentConditionFor(facts, earlier, version);
    if (deploymentCondition) {
      unmet.push(deploymentCondition);
    }
    if (earlierIndex === index - 1) {
      // (2)–(4) only look at the previous environment.
      unmet.push(...previousEnvironmentConditions(facts, earlier, version));
    }
  });

  // E's own post-deployment checklist, for the version standing there.
  const predecessor = predecessorConditionFor(facts, target, version, now);
  if (predecessor) {
    unmet.push(predecessor);
  }

  // E's dependencies, where E requires them: each dependsOn flow has a version there.
  const dependencies = dependencyChecksFor({
    entityRef,
    policy,
    environment: target,
    dependencies: facts.dependencies,
  });
  unmet.push(...dependencyConditionsOf(target, dependencies));

  // (5) E's own approval rule.
  const approval = approvalConditionFor(facts, target, version, now, nameOf);
  if (approval.condition) {
    unmet.push(approval.condition);
  }

  // A freeze window in force closes E, whatever else is met.
  const freeze = activeFreeze(target, now);
  if (freeze) {
    unmet.push(frozenCondition(target, freeze, now));
  }
  // Break-glass: an approved declaration for exactly V into E overrides
  // every unmet condition (a freeze included), once, until it expires.
  const breakGlass =
    unmet.length > 0
      ? usableBreakGlass(facts, target.id, version, now)
      : undefined;
  if (breakGlass) {
    return {
      ...result([], 'break-glass', dependencies),
      ...(freeze && { freeze }),
      overriddenConditions: unmet,
      breakGlassId: breakGlass.id,
    };
  }
  return {
    ...result(unmet, approval.approvedBy, dependencies),
    ...(freeze && { freeze }),
  };
}

/**
 * The approved break-glass declaration that opens the gate for version V of
 * the flow into E: not used by a deployment yet and not expired at `now`.
 */
export function usableBreakGlass(
  facts: Pick<FlowFacts, 'breakGlasses'>,
  environmentId: string,
  version: string,
  now: Date,
): BreakGlass | undefined {
  return (facts.breakGlasses ?? []).find(
    b =>
      b.environmentId === environmentId &&
      b.version === version &&
      b.status === 'approved' &&
      !b.deploymentId &&
      time(b.expiresAt) > now.getTime(),
  );
}

/**
 * The people the gate's sentences may name for a flow, as entity refs (or
 * `service:<subject>`): who revoked its standing approvals and who requested
 * its pending promotions. A caller that words the gate with display names
 * (`EvaluateGateArgs.displayName`) reads the names of these refs first.
 */
export function refsNamedByGate(facts: FlowFacts): string[] {
  const refs = [
    ...facts.standingApprovals.map(a => a.revokedBy),
    ...facts.requests
      .filter(r => r.status === 'pending')
      .map(r => r.requestedBy),
  ].filter((ref): ref is string => typeof ref === 'string' && ref !== '');
  return [...new Set(refs)];
}

/**
 * A person's name without a directory: the entity's name
 * (`user:default/alice` → `alice`), or for a service actor
 * (`service:external:ci`) its subject, said to be a service.
 */
export function refName(ref: string): string {
  const servicePrefix = 'service:';
  if (ref.startsWith(servicePrefix)) {
    return `${ref.slice(servicePrefix.length)} (service)`;
  }
  try {
    return parseEntityRef(ref).name;
  } catch {
    return ref;
  }
}

/**
 * The version standing in an environment: the newest successful deployment,
 * by `reportedAt`, that was not rolled back.
 */
export function currentVersionIn(
  facts: FlowFacts,
  environmentId: string,
): Deployment | undefined {
  let current: Deployment | undefined;
  for (const deployment of facts.deployments) {
    if (
      deployment.environmentId === environmentId &&
      isStanding(deployment) &&
      (!current || time(deployment.reportedAt) >= time(current.reportedAt))
    ) {
      current = deployment;
    }
  }
  return current;
}

/**
 * What's next for a flow: walking up the ladder, the first environment whose
 * current version has not reached the environment above it; the step is to
 * take that version one rung up. Nothing is next when every version has
 * climbed as far as the ladder goes, or when nothing was deployed yet.
 *
 * "Reached" means deployed there successfully and not rolled back, at any
 * time: a version that went up and was since replaced there by a newer one is
 * not offered again. Nor is an older version offered where a newer deployment
 * already stands, so the UI never suggests a downgrade.
 *
 * Examples (Dev / Test / Production): 1.5 / 1.4 / 1.4 → 1.5 into Test;
 * 1.5 / 1.5 / 1.4 → 1.5 into Production; 1.5 / 1.5 / 1.5 → nothing.
 */
export function nextStepFor(
  policy: PromotionPolicy,
  facts: FlowFacts,
): NextStep | undefined {
  const { environments } = policy;
  for (let i = 0; i < environments.length - 1; i++) {
    const here = currentVersionIn(facts, environments[i].id);
    if (!here) {
      continue;
    }
    const above = environments[i + 1];
    const reachedAbove = facts.deployments.some(
      d =>
        d.environmentId === above.id &&
        d.version === here.version &&
        isStanding(d),
    );
    const newerAbove = currentVersionIn(facts, above.id);
    if (
      !reachedAbove &&
      (!newerAbove || time(newerAbove.reportedAt) <= time(here.reportedAt))
    ) {
      return { environmentId: above.id, version: here.version };
    }
  }
  return undefined;
}

/** When a post-deployment item may be completed: the deployment time plus its minimum wait. */
export function postDeploymentItemAvailableAt(
  deployment: Pick<Deployment, 'reportedAt'>,
  item: Pick<PostDeploymentItemDefinition, 'minimumWaitSeconds'>,
): Date {
  return new Date(
    Date.parse(deployment.reportedAt) + item.minimumWaitSeconds * 1000,
  );
}

// ---------------------------------------------------------------------------
// The conditions
// ---------------------------------------------------------------------------

function deploymentConditionFor(
  facts: FlowFacts,
  environment: EnvironmentDefinition,
  version: string,
): GateCondition | undefined {
  const successful = facts.deployments.filter(
    d =>
      d.environmentId === environment.id &&
      d.version === version &&
      d.status === 'succeeded',
  );
  if (successful.some(isStanding)) {
    return undefined;
  }
  if (successful.length === 0) {
    return {
      code: 'previous-deployment-missing',
      message: `Version ${version} has not been deployed successfully to ${environment.title}.`,
      environmentId: environment.id,
    };
  }
  const lastRollback = successful
    .map(d => d.rolledBackAt as string)
    .reduce((a, b) => (time(b) > time(a) ? b : a));
  return {
    code: 'version-rolled-back',
    message: `Version ${version} was rolled back from ${
      environment.title
    } on ${formatTime(
      lastRollback,
    )}: it must be deployed there successfully again.`,
    environmentId: environment.id,
  };
}

function previousEnvironmentConditions(
  facts: FlowFacts,
  previous: EnvironmentDefinition,
  version: string,
): GateCondition[] {
  const conditions: GateCondition[] = [];

  // (2) The validation checklist, for V and for the flow.
  const missingItems = previous.checklist.filter(
    item =>
      !facts.checklistCompletions.some(
        c =>
          completes(
            c,
            previous.id,
            'validation',
            item.id,
            item.scope,
            version,
          ) && !isResetByRollback(c, item, facts),
      ),
  );
  if (missingItems.length > 0) {
    conditions.push({
      code: 'checklist-incomplete',
      message: `${
        previous.title
      } checklist is incomplete for version ${version}: ${titles(
        missingItems,
      )}.`,
      environmentId: previous.id,
      itemIds: missingItems.map(item => item.id),
    });
  }

  // (3) The sign-off, where the policy requires one.
  if (
    previous.signOff.required &&
    !facts.signOffs.some(
      s => s.environmentId === previous.id && s.version === version,
    )
  ) {
    conditions.push({
      code: 'sign-off-missing',
      message: `The owner has not signed off ${previous.title} for version ${version}.`,
      environmentId: previous.id,
    });
  }

  // (4) The post-deployment checklist, for V.
  const missingPostDeployment = previous.postDeployment.filter(
    item =>
      !facts.checklistCompletions.some(c =>
        completes(
          c,
          previous.id,
          'post-deployment',
          item.id,
          'version',
          version,
        ),
      ),
  );
  if (missingPostDeployment.length > 0) {
    conditions.push({
      code: 'post-deployment-incomplete',
      message: `${
        previous.title
      } post-deployment checklist is incomplete for version ${version}: ${titles(
        missingPostDeployment,
      )}.`,
      environmentId: previous.id,
      itemIds: missingPostDeployment.map(item => item.id),
    });
  }
  return conditions;
}

/**
 * Where E's post-deployment checklist blocks the next version: the version W
 * standing in E must have completed it before another version enters. W
 * itself may be deployed again.
 */
function predecessorConditionFor(
  facts: FlowFacts,
  target: EnvironmentDefinition,
  version: string,
  now: Date,
): GateCondition | undefined {
  if (!target.postDeploymentRules.blocksNextVersion) {
    return undefined;
  }
  const standing = currentVersionIn(facts, target.id);
  if (!standing || standing.version === version) {
    return undefined;
  }
  const missing = target.postDeployment.filter(
    item =>
      !facts.checklistCompletions.some(c =>
        completes(
          c,
          target.id,
          'post-deployment',
          item.id,
          'version',
          standing.version,
        ),
      ),
  );
  if (missing.length === 0) {
    return undefined;
  }
  const described = missing.map(item => {
    const availableAt = postDeploymentItemAvailableAt(standing, item);
    if (availableAt.getTime() <= now.getTime()) {
      return item.title;
    }
    // Rounded up to the minute, so that the time shown is never too early.
    const minute = 60_000;
    const shown = new Date(Math.ceil(availableAt.getTime() / minute) * minute);
    return `${item.title} (possible from ${formatTime(shown.toISOString())})`;
  });
  return {
    code: 'predecessor-post-deployment-incomplete',
    message: `${target.title} post-deployment checklist of version ${
      standing.version
    }, which stands there now, is incomplete: ${described.join(', ')}.`,
    environmentId: target.id,
    itemIds: missing.map(item => item.id),
  };
}

function approvalConditionFor(
  facts: FlowFacts,
  target: EnvironmentDefinition,
  version: string,
  now: Date,
  nameOf: (ref: string) => string,
): { condition?: GateCondition; approvedBy?: GateResult['approvedBy'] } {
  const rule = target.approval;
  if (rule.mode === 'none') {
    return { approvedBy: 'none' };
  }
  const requests = facts.requests.filter(r => r.environmentId === target.id);

  if (rule.mode === 'once') {
    const standing = facts.standingApprovals.filter(
      a => a.environmentId === target.id,
    );
    if (standing.some(a => !a.revokedAt)) {
      return { approvedBy: 'standing-approval' };
    }
    // A standing approval covers the flow, not one version: a pending request
    // for another version would grant it too, so it counts as well.
    const pending =
      newestPending(requests, now, version) ?? newestPending(requests, now);
    if (pending) {
      return { condition: pendingCondition(target, pending, rule, nameOf) };
    }
    const lastRevoked = standing.reduce<StandingApproval | undefined>(
      (last, a) =>
        !last || time(a.revokedAt!) > time(last.revokedAt!) ? a : last,
      undefined,
    );
    if (lastRevoked) {
      return {
        condition: {
          code: 'approval-revoked',
          message: `The standing approval for ${
            target.title
          } was revoked on ${formatTime(lastRevoked.revokedAt!)}${
            lastRevoked.revokedBy ? ` by ${nameOf(lastRevoked.revokedBy)}` : ''
          }${
            lastRevoked.revokeReason ? ` (${lastRevoked.revokeReason})` : ''
          }: request promotion again and wait for an approver.`,
          environmentId: target.id,
        },
      };
    }
    return {
      condition: {
        code: 'approval-required',
        message: `${target.title} needs a one-time approval: request promotion and wait for an approver.`,
        environmentId: target.id,
      },
    };
  }

  // mode 'every': an approved request for exactly V.
  const forVersion = requests.filter(r => r.version === version);
  if (forVersion.some(r => r.status === 'approved')) {
    return { approvedBy: 'request' };
  }
  const pending = newestPending(forVersion, now);
  if (pending) {
    return { condition: pendingCondition(target, pending, rule, nameOf) };
  }
  const rejected = forVersion.some(r => r.status === 'rejected');
  return {
    condition: {
      code: 'approval-required',
      message: `${target.title} needs an approval for version ${version}: ${
        rejected
          ? 'the last request was rejected; request promotion again'
          : 'request promotion'
      } and wait for an approver.`,
      environmentId: target.id,
    },
  };
}

/**
 * A pending request, named as people know it: by its requester and date,
 * its version and environment. Its id travels in `requestId`, for machines.
 */
function pendingCondition(
  target: EnvironmentDefinition,
  request: PromotionRequest,
  rule: ApprovalRule,
  nameOf: (ref: string) => string,
): GateCondition {
  const given = countingApprovers(request, rule).length;
  return {
    code: 'approval-pending',
    message: `Waiting for approval: ${given} of ${rule.minApprovers} approval${
      rule.minApprovers === 1 ? '' : 's'
    } on the request by ${nameOf(request.requestedBy)} of ${formatTime(
      request.createdAt,
    )} for version ${request.version} into ${target.title}.`,
    environmentId: target.id,
    requestId: request.id,
  };
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

function factsOfFlow(facts: FlowFacts, entityRef: string): FlowFacts {
  const ref = entityRef.toLocaleLowerCase('en-US');
  const ofFlow = <T extends { entityRef: string }>(items: T[]) =>
    items.filter(item => item.entityRef.toLocaleLowerCase('en-US') === ref);
  return {
    deployments: ofFlow(facts.deployments),
    checklistCompletions: ofFlow(facts.checklistCompletions),
    signOffs: ofFlow(facts.signOffs),
    standingApprovals: ofFlow(facts.standingApprovals),
    requests: ofFlow(facts.requests),
    rollbacks: ofFlow(facts.rollbacks ?? []),
    breakGlasses: ofFlow(facts.breakGlasses ?? []),
    ...(facts.dependencies && { dependencies: facts.dependencies }),
  };
}

function isStanding(deployment: Deployment): boolean {
  return deployment.status === 'succeeded' && !deployment.rolledBackAt;
}

function completes(
  completion: ChecklistCompletion,
  environmentId: string,
  kind: ChecklistCompletion['kind'],
  itemId: string,
  scope: 'version' | 'flow',
  version: string,
): boolean {
  return (
    completion.environmentId === environmentId &&
    completion.kind === kind &&
    completion.itemId === itemId &&
    // Flow-scoped completions carry no version (null when read from a database).
    (scope === 'flow'
      ? completion.version === undefined || completion.version === null
      : completion.version === version)
  );
}

function newestPending(
  requests: PromotionRequest[],
  now: Date,
  version?: string,
): PromotionRequest | undefined {
  return requests
    .filter(
      r =>
        r.status === 'pending' &&
        (version === undefined || r.version === version) &&
        !(time(r.expiresAt) <= now.getTime()),
    )
    .reduce<PromotionRequest | undefined>(
      (newest, r) =>
        !newest || time(r.createdAt) >= time(newest.createdAt) ? r : newest,
      undefined,
    );
}

function titles(items: Array<{ title: string }>): string {
  return items.map(item => item.title).join(', ');
}

function policyLabel(policy: PromotionPolicy): string {
  return policy.title ? `${policy.title} (${policy.name})` : `"${policy.name}"`;
}

function time(timestamp: string): number {
  return Date.parse(timestamp);
}

/** `2025-03-01 10:00 UTC` */
function formatTime(timestamp: string): string {
  const date = new Date(timestamp);
  if (Number.isNaN(date.getTime())) {
    return timestamp;
  }
  return `${date.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}
