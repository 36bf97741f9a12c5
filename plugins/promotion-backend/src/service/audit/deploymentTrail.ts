import {
  AuditEvent,
  ChecklistCompletion,
  Deployment,
  DeploymentTrail,
  DeploymentTrailApproval,
  DeploymentTrailPostDeployment,
  DeploymentTrailSignOff,
  DeploymentTrailValidation,
  EnvironmentDefinition,
  FlowFacts,
  PromotionPolicy,
  PromotionRequest,
  Rollback,
  rollbackDeployableVersions,
  SignOff,
  StandingApproval,
  TrailChecklistEntry,
  TrailSignOffEntry,
  countingDecisions,
  postDeploymentItemAvailableAt,
} from '@promotion/plugin-promotion-common';
import {
  completionFromEvent,
  EventIndex,
  indexEvents,
  isFlowScoped,
  refOf,
} from './trailEvents';

/*
 * The deployment trail (PRODUCT.md, "Audit and verification"): for one
 * recorded deployment, who requested it, who approved it, who validated and
 * who signed off the previous environment's results, and its post-deployment
 * checklist, each with the audit events that record it. Pure functions over
 * the flow's facts, its policy and its audit events.
 *
 * "Before the deployment" means recorded before it: by the audit trail's
 * order (seq) when both events are known, else by timestamp. Facts recorded
 * later are never presented as having preceded it.
 */

/** Arguments of `buildDeploymentTrail`. */
export interface DeploymentTrailArgs {
  entityRef: string;
  /** The flow's policy as configured now. */
  policy: PromotionPolicy;
  facts: FlowFacts;
  deployment: Deployment;
  /**
   * The flow's audit events the trail may cite (see `trailEventFilter`), from
   * the first one up to `trailEventsUntil`. They give each fact its event,
   * and the validation completions that were in force at the deployment's
   * time but were undone since (the facts hold only the active ones).
   */
  events: AuditEvent[];
}

/** The trail of one deployment. */
export function buildDeploymentTrail(
  args: DeploymentTrailArgs,
): DeploymentTrail {
  const { entityRef, policy, facts, deployment } = args;
  const events = indexEvents(args.events);
  const deploymentEvent = events.first('deployment.recorded', deployment.id);
  const before = beforeDeployment(deployment, events);

  const index = policy.environments.findIndex(
    e => e.id === deployment.environmentId,
  );
  const environment = index >= 0 ? policy.environments[index] : undefined;
  const previous = index > 0 ? policy.environments[index - 1] : undefined;
  const context: TrailContext = { facts, deployment, events, before };

  return {
    entityRef,
    environmentTitle: environment?.title ?? deployment.environmentId,
    deployment,
    ...(deploymentEvent && { deploymentEvent: refOf(deploymentEvent) }),
    approval: approvalOf(context, environment),
    ...(previous && {
      validation: validationOf(context, previous),
      signOff: signOffOf(context, previous),
    }),
    ...(environment &&
      deployment.status === 'succeeded' &&
      environment.postDeployment.length > 0 && {
        postDeployment: postDeploymentOf(context, environment),
      }),
  };
}

// ---------------------------------------------------------------------------
// The sections
// ---------------------------------------------------------------------------

/** Whether a fact, recorded at `time` by `event`, was recorded before the deployment. */
type Before = (time: string, event?: AuditEvent) => boolean;

/**
 * "Before the deployment": by the audit trail's order (seq) when both
 * events are known, else by timestamp.
 */
function beforeDeployment(deployment: Deployment, events: EventIndex): Before {
  const deploymentEvent = events.first('deployment.recorded', deployment.id);
  const reportedAt = Date.parse(deployment.reportedAt);
  return (time, event) =>
    event && deploymentEvent
      ? event.seq < deploymentEvent.seq
      : Date.parse(time) <= reportedAt;
}

/**
 * The rollbacks of the deployment's environment recorded before it, and of
 * them the latest (the one `rollbackDeployableVersions` looks at): what the
 * trail's rollback target is decided on.
 */
export function rollbacksBefore(
  facts: Pick<FlowFacts, 'rollbacks'>,
  deployment: Deployment,
  events: AuditEvent[],
): { rollbacks: Rollback[]; latest?: Rollback } {
  const index = indexEvents(events);
  const before = beforeDeployment(deployment, index);
  return rollbacksBeforeIn(facts, deployment, index, before);
}

function rollbacksBeforeIn(
  facts: Pick<FlowFacts, 'rollbacks'>,
  deployment: Deployment,
  events: EventIndex,
  before: Before,
): { rollbacks: Rollback[]; latest?: Rollback } {
  const rollbacks = (facts.rollbacks ?? []).filter(
    r =>
      r.environmentId === deployment.environmentId &&
      before(r.recordedAt, events.first('rollback.recorded', r.id)),
  );
  // Of a tie, the later one read (as `rollbackDeployableVersions`).
  const latest = rollbacks.reduce<Rollback | undefined>(
    (found, r) =>
      !found || Date.parse(r.recordedAt) >= Date.parse(found.recordedAt)
        ? r
        : found,
    undefined,
  );
  return { rollbacks, ...(latest && { latest }) };
}

interface TrailContext {
  facts: FlowFacts;
  deployment: Deployment;
  events: EventIndex;
  before: Before;
}

function approvalOf(
  context: TrailContext,
  environment: EnvironmentDefinition | undefined,
): DeploymentTrailApproval {
  const { facts, deployment, events, before } = context;
  const mode = environment?.approval.mode;
  const reportedAt = Date.parse(deployment.reportedAt);

  let standingApproval: StandingApproval | undefined;
  let request: PromotionRequest | undefined;
  if (mode === 'once' || mode === undefined) {
    standingApproval = facts.standingApprovals
      .filter(
        s =>
          s.environmentId === deployment.environmentId &&
          before(
            s.grantedAt,
            events.first('standing-approval.granted', s.id),
          ) &&
          !(s.revokedAt && Date.parse(s.revokedAt) <= reportedAt),
      )
      .sort((a, b) => b.grantedAt.localeCompare(a.grantedAt))[0];
    request = standingApproval?.requestId
      ? facts.requests.find(r => r.id === standingApproval!.requestId)
      : undefined;
  }
  if (mode === 'every' || (mode === undefined && !standingApproval)) {
    request = facts.requests
      .filter(
        r =>
          r.environmentId === deployment.environmentId &&
          r.version === deployment.version &&
          r.status === 'approved' &&
          before(
            r.decidedAt ?? r.updatedAt,
            events.first('request.approved', r.id),
          ),
      )
      .sort((a, b) =>
        (b.decidedAt ?? b.updatedAt).localeCompare(a.decidedAt ?? a.updatedAt),
      )[0];
  }

  // As the gate answers: the revert of a rollback needs no approval.
  const rollback =
    mode === 'none' ? undefined : rollbackTargetOf(context, environment);
  let basis: DeploymentTrailApproval['basis'] = 'missing';
  const breakGlassId = deployment.breakGlassId;
  if (breakGlassId) {
    // The gate was open only by the break-glass declaration.
    basis = 'break-glass';
    standingApproval = undefined;
    request = undefined;
  } else if (mode === 'none') {
    basis = 'none';
    request = undefined;
  } else if (rollback) {
    basis = 'rollback-target';
    standingApproval = undefined;
    request = undefined;
  } else if (standingApproval) {
    basis = 'standing-approval';
  } else if (request) {
    basis = 'request';
  }

  const allowSelfApproval = environment?.approval.allowSelfApproval ?? false;
  const approvals = request
    ? countingDecisions(request)
        .filter(
          d =>
            d.decision === 'approve' &&
            (allowSelfApproval || d.decidedBy !== request!.requestedBy),
        )
        .map(decision => ({
          decision,
          event: events.first('decision.recorded', decision.id),
        }))
        .filter(({ decision, event }) => before(decision.decidedAt, event))
        .sort((a, b) =>
          a.decision.decidedAt.localeCompare(b.decision.decidedAt),
        )
        .map(({ decision, event }) => ({
          decision,
          ...(event && { auditEvent: refOf(event) }),
        }))
    : [];

  const auditEvents = [
    ...(request
      ? [
          ...events.all('request.created', request.id),
          ...events.all('request.edited', request.id),
          ...events.all('request.approved', request.id),
        ]
      : []),
    ...(standingApproval
      ? events.all('standing-approval.granted', standingApproval.id)
      : []),
    ...(rollback ? events.all('rollback.recorded', rollback.id) : []),
    ...(breakGlassId
      ? [
          ...events.all('break-glass.declared', breakGlassId),
          ...events.all('break-glass.approved', breakGlassId),
          ...events.all('break-glass.used', breakGlassId),
        ]
      : []),
  ]
    .sort((a, b) => a.seq - b.seq)
    .map(refOf);

  return {
    ...(mode && { mode }),
    basis,
    ...(rollback && { rollback }),
    ...(standingApproval && { standingApproval }),
    ...(request && { request }),
    approvals,
    auditEvents,
  };
}

/**
 * The rollback whose target the deployed version was when it was reported
 * (see `rollbackDeployableVersions`): the environment's latest rollback
 * recorded before the deployment, still in force then, letting the version
 * back with no approval. Only what was recorded before the deployment
 * counts: later deployments, and rollbacks of earlier ones recorded since,
 * are left out.
 */
function rollbackTargetOf(
  context: TrailContext,
  environment: EnvironmentDefinition | undefined,
): Rollback | undefined {
  const { facts, deployment, events, before } = context;
  const { rollbacks } = rollbacksBeforeIn(facts, deployment, events, before);
  if (rollbacks.length === 0) {
    return undefined;
  }
  const known = new Set(rollbacks.map(r => r.id));
  const reportedAt = Date.parse(deployment.reportedAt);
  const deployments = facts.deployments
    .filter(
      d =>
        d.id !== deployment.id &&
        d.environmentId === deployment.environmentId &&
        Date.parse(d.reportedAt) <= reportedAt,
    )
    // A rollback recorded after the deployment had not happened yet.
    .map(d =>
      d.rollbackId && !known.has(d.rollbackId)
        ? { ...d, rolledBackAt: undefined, rollbackId: undefined }
        : d,
    );
  const deployable = rollbackDeployableVersions(
    { ...facts, deployments, rollbacks },
    {
      id: deployment.environmentId,
      // An environment no longer on the ladder: only the rollback target.
      rollback: environment?.rollback ?? { earlierVersionsDeployable: false },
    },
  );
  return deployable?.versions.includes(deployment.version)
    ? deployable.rollback
    : undefined;
}

function validationOf(
  context: TrailContext,
  previous: EnvironmentDefinition,
): DeploymentTrailValidation {
  const { facts, deployment, events, before } = context;
  const { version } = deployment;
  const relevant = (c: ChecklistCompletion) =>
    c.environmentId === previous.id &&
    c.kind === 'validation' &&
    (isFlowScoped(c) || c.version === version);

  // The active completions, as the facts hold them.
  const active = facts.checklistCompletions.filter(relevant);
  const recorded: Recorded<ChecklistCompletion>[] = active.map(c => ({
    fact: c,
    event: events.first('checklist.completed', c.id),
  }));
  // Completions undone since: only their audit events are left. They count
  // when they were recorded, and not undone, before the deployment.
  const activeIds = new Set(active.map(c => c.id));
  const undoneAt = new Map<string, string>();
  for (const event of events.ofType('checklist.completed')) {
    const completion = completionFromEvent(event);
    if (
      !completion ||
      activeIds.has(completion.id) ||
      !relevant(completion) ||
      !before(completion.completedAt, event)
    ) {
      continue;
    }
    const undone = events.first('checklist.undone', completion.id);
    if (undone && before(undone.occurredAt, undone)) {
      continue;
    }
    if (undone) {
      undoneAt.set(completion.id, undone.occurredAt);
    }
    recorded.push({ fact: completion, event });
  }

  const present = ({
    fact,
    event,
  }: Recorded<ChecklistCompletion>): TrailChecklistEntry => ({
    completion: fact,
    itemTitle:
      previous.checklist.find(item => item.id === fact.itemId)?.title ??
      fact.itemId,
    ...(event && { auditEvent: refOf(event) }),
    ...(undoneAt.has(fact.id) && { undoneAt: undoneAt.get(fact.id) }),
  });
  const [preceding, later] = split(recorded, c => c.completedAt, before);
  const completions = preceding.map(present);

  return {
    environmentId: previous.id,
    environmentTitle: previous.title,
    completions,
    missing: previous.checklist
      .filter(
        item =>
          !completions.some(
            e =>
              e.completion.itemId === item.id &&
              (item.scope === 'flow'
                ? isFlowScoped(e.completion)
                : e.completion.version === version),
          ),
      )
      .map(item => ({ id: item.id, title: item.title })),
    later: later.map(present),
  };
}

function signOffOf(
  context: TrailContext,
  previous: EnvironmentDefinition,
): DeploymentTrailSignOff {
  const { facts, deployment, events, before } = context;
  const recorded = facts.signOffs
    .filter(
      s => s.environmentId === previous.id && s.version === deployment.version,
    )
    .map(signOff => ({
      fact: signOff,
      event: events.first('sign-off.given', signOff.id),
    }));
  const present = ({ fact, event }: Recorded<SignOff>): TrailSignOffEntry => ({
    signOff: fact,
    ...(event && { auditEvent: refOf(event) }),
  });
  const [preceding, later] = split(recorded, s => s.signedOffAt, before);
  return {
    environmentId: previous.id,
    environmentTitle: previous.title,
    required: previous.signOff.required,
    signOffs: preceding.map(present),
    later: later.map(present),
  };
}

function postDeploymentOf(
  context: TrailContext,
  environment: EnvironmentDefinition,
): DeploymentTrailPostDeployment {
  const { facts, deployment, events } = context;
  const from = Date.parse(deployment.reportedAt);
  // The next successful deployment of the same version there takes over.
  const until = facts.deployments
    .filter(
      d =>
        d.id !== deployment.id &&
        d.environmentId === deployment.environmentId &&
        d.version === deployment.version &&
        d.status === 'succeeded' &&
        Date.parse(d.reportedAt) > from,
    )
    .map(d => Date.parse(d.reportedAt))
    .reduce((a, b) => Math.min(a, b), Infinity);
  const completions = facts.checklistCompletions
    .filter(
      c =>
        c.environmentId === deployment.environmentId &&
        c.kind === 'post-deployment' &&
        c.version === deployment.version &&
        Date.parse(c.completedAt) >= from &&
        Date.parse(c.completedAt) < until,
    )
    .sort((a, b) => a.completedAt.localeCompare(b.completedAt))
    .map((completion): TrailChecklistEntry => {
      const event = events.first('checklist.completed', completion.id);
      return {
        completion,
        itemTitle:
          environment.postDeployment.find(i => i.id === completion.itemId)
            ?.title ?? completion.itemId,
        ...(event && { auditEvent: refOf(event) }),
      };
    });
  return {
    completions,
    open: environment.postDeployment
      .filter(item => !completions.some(e => e.completion.itemId === item.id))
      .map(item => ({
        id: item.id,
        title: item.title,
        availableAt: postDeploymentItemAvailableAt(
          deployment,
          item,
        ).toISOString(),
      })),
  };
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** A fact and the audit event that recorded it, when known. */
interface Recorded<T> {
  fact: T;
  event?: AuditEvent;
}

/**
 * Splits facts into those recorded before the deployment and those recorded
 * after it, each oldest first.
 */
function split<T>(
  recorded: Recorded<T>[],
  timeOf: (fact: T) => string,
  before: Before,
): [Recorded<T>[], Recorded<T>[]] {
  const sorted = [...recorded].sort(
    (a, b) =>
      timeOf(a.fact).localeCompare(timeOf(b.fact)) ||
      (a.event?.seq ?? 0) - (b.event?.seq ?? 0),
  );
  return [
    sorted.filter(r => before(timeOf(r.fact), r.event)),
    sorted.filter(r => !before(timeOf(r.fact), r.event)),
  ];
}
