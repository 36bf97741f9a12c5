import {
  Deployment,
  DeploymentTrail,
  PromotionPolicy,
} from '@promotion/plugin-promotion-common';
import { PromotionStore } from '../../database/PromotionStore';
import { buildDeploymentTrail, rollbacksBefore } from './deploymentTrail';
import { trailEventFilter, trailEventsUntil } from './trailEvents';

/**
 * The trail of one deployment, on reads bounded by what it shows, not by
 * the flow's history (the same trail as on the whole history):
 *
 * 1. the facts of the deployment's version and environment that the trail
 *    lists (`getTrailFacts`);
 * 2. the audit events it may cite, up to the last of those facts, in one
 *    query (`listTrailEvents`: about the environment and the versions of
 *    those facts, and the previous environment's checklist and sign-offs);
 * 3. when a rollback of the environment was recorded before it, the
 *    deployments that decide whether the deployment was its rollback target
 *    (`getRollbackDeploymentsAsOf`).
 */
export async function readDeploymentTrail(
  store: Pick<
    PromotionStore,
    'getTrailFacts' | 'listTrailEvents' | 'getRollbackDeploymentsAsOf'
  >,
  flow: { entityRef: string; policy: PromotionPolicy },
  deployment: Deployment,
): Promise<DeploymentTrail> {
  const { entityRef, policy } = flow;
  const { environmentId, version } = deployment;
  const index = policy.environments.findIndex(e => e.id === environmentId);
  const previousEnvironmentId =
    index > 0 ? policy.environments[index - 1].id : undefined;

  const facts = await store.getTrailFacts({
    entityRef,
    environmentId,
    version,
    reportedAt: deployment.reportedAt,
    previousEnvironmentId,
  });
  const events = (
    await store.listTrailEvents({
      entityRef,
      environmentId,
      // V first: the previous environment's events are V's.
      versions: [...new Set([version, ...facts.requests.map(r => r.version)])],
      previousEnvironmentId,
      to: trailEventsUntil(policy, facts, deployment),
    })
  ).filter(trailEventFilter(policy, deployment));

  const { rollbacks, latest } = rollbacksBefore(facts, deployment, events);
  if (latest) {
    const deployments = new Map(facts.deployments.map(d => [d.id, d]));
    for (const d of await store.getRollbackDeploymentsAsOf({
      entityRef,
      environmentId,
      rollback: latest,
      until: deployment.reportedAt,
      exceptId: deployment.id,
      knownRollbackIds: rollbacks.map(r => r.id),
    })) {
      deployments.set(d.id, d);
    }
    // Oldest first, as the whole history is read.
    facts.deployments = [...deployments.values()].sort(
      (a, b) =>
        Date.parse(a.reportedAt) - Date.parse(b.reportedAt) ||
        (a.id < b.id ? -1 : Number(a.id > b.id)),
    );
  }

  return buildDeploymentTrail({
    entityRef,
    policy,
    facts,
    deployment,
    events,
  });
}
