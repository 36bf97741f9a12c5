import {
  ChecklistCompletion,
  ChecklistItemDefinition,
  Deployment,
  EnvironmentDefinition,
  FlowFacts,
  Rollback,
} from './types';

/*
 * What a rollback changes for the gate (PRODUCT.md, "A rollback records the
 * revert …"): the revert itself is never blocked, so the rollback target (and
 * where the policy says so, the versions that ran before the reverted one)
 * goes back with no approval; and the flow re-enters the process from the
 * top, so flow-scoped checklist completions recorded before the flow's latest
 * rollback no longer count unless the item survives rollbacks. Pure
 * functions over the facts of one flow.
 */

/** The versions a rollback lets back into its environment with no approval. */
export interface RollbackDeployable {
  /** The environment's latest rollback, still in force. */
  rollback: Rollback;
  /** The rollback target: `toVersion`, or else the version that stood before the reverted one. */
  target?: string;
  /** Every version that may go back, the target first. */
  versions: string[];
}

/**
 * The versions that may go back into an environment with no approval and no
 * other gate condition: the rollback target of the environment's latest
 * rollback and, with `rollback.earlierVersionsDeployable`, every version that
 * ran there successfully before the reverted one and is not itself rolled
 * back. Only a version that ran there before the rollback qualifies.
 *
 * Undefined when the environment has no rollback in force: none was
 * recorded, or a newer successful deployment of a version it does not cover
 * ended it (the next version came in; a later rollback replaces it).
 */
export function rollbackDeployableVersions(
  facts: FlowFacts,
  environment: Pick<EnvironmentDefinition, 'id' | 'rollback'>,
): RollbackDeployable | undefined {
  const rollback = latestRollback(facts.rollbacks ?? [], environment.id);
  if (!rollback) {
    return undefined;
  }
  const recordedAt = time(rollback.recordedAt);
  const here = facts.deployments.filter(
    d => d.environmentId === environment.id && d.status === 'succeeded',
  );
  const reverted = here.filter(d => d.rollbackId === rollback.id);
  const revertedAt = reverted.length
    ? Math.max(...reverted.map(d => time(d.reportedAt)))
    : recordedAt;

  // The versions that ran before the reverted one and still count, newest first.
  const earlier = distinct(
    here
      .filter(
        d =>
          d.version !== rollback.fromVersion &&
          !d.rolledBackAt &&
          time(d.reportedAt) < revertedAt,
      )
      .sort((a, b) => time(b.reportedAt) - time(a.reportedAt))
      .map(d => d.version),
  );
  const target = rollback.toVersion
    ? ranBefore(here, rollback, recordedAt)
    : earlier[0];
  const versions = distinct([
    ...(target !== undefined ? [target] : []),
    ...(environment.rollback.earlierVersionsDeployable ? earlier : []),
  ]);

  const ended = here.some(
    d =>
      d.rollbackId !== rollback.id &&
      time(d.reportedAt) > recordedAt &&
      !versions.includes(d.version),
  );
  if (ended || versions.length === 0) {
    return undefined;
  }
  return { rollback, ...(target !== undefined && { target }), versions };
}

/** The flow's latest rollback, in any environment. */
export function latestRollbackOfFlow(
  facts: Pick<FlowFacts, 'rollbacks'>,
): Rollback | undefined {
  return latestRollback(facts.rollbacks ?? []);
}

/**
 * Whether a rollback undid a checklist completion: a flow-scoped validation
 * item whose `resetOnRollback` holds, completed before the flow's latest
 * rollback (in any environment). Version-scoped items belong to their
 * version and are never reset. Only the flow's rollbacks are read, so the
 * flow state (`FlowState.rollbacks`) answers it as well as the facts.
 */
export function isResetByRollback(
  completion: Pick<ChecklistCompletion, 'kind' | 'version' | 'completedAt'>,
  item: Pick<ChecklistItemDefinition, 'scope' | 'resetOnRollback'>,
  facts: Pick<FlowFacts, 'rollbacks'>,
): boolean {
  if (
    completion.kind !== 'validation' ||
    item.scope !== 'flow' ||
    !item.resetOnRollback
  ) {
    return false;
  }
  const rollback = latestRollbackOfFlow(facts);
  return (
    rollback !== undefined &&
    time(completion.completedAt) < time(rollback.recordedAt)
  );
}

// ---------------------------------------------------------------------------
// Helpers
// ---------------------------------------------------------------------------

/** The explicit target, when it ran in the environment before the rollback and is not the reverted version. */
function ranBefore(
  here: Deployment[],
  rollback: Rollback,
  recordedAt: number,
): string | undefined {
  const target = rollback.toVersion;
  return target !== rollback.fromVersion &&
    here.some(d => d.version === target && time(d.reportedAt) < recordedAt)
    ? target
    : undefined;
}

function latestRollback(
  rollbacks: Rollback[],
  environmentId?: string,
): Rollback | undefined {
  return rollbacks
    .filter(
      r => environmentId === undefined || r.environmentId === environmentId,
    )
    .reduce<Rollback | undefined>(
      (latest, r) =>
        !latest || time(r.recordedAt) >= time(latest.recordedAt) ? r : latest,
      undefined,
    );
}

function distinct(versions: string[]): string[] {
  return [...new Set(versions)];
}

function time(timestamp: string): number {
  return Date.parse(timestamp);
}
