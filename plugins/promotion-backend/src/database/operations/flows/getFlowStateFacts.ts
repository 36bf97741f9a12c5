import {
  currentVersionIn,
  FlowFacts,
} from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import {
  mapChecklistCompletionRow,
  mapDeploymentRow,
  mapRollbackRow,
  mapSignOffRow,
  mapStandingApprovalRow,
} from '../../mappers';
import { FlowStateFacts, FlowStateFactsQuery } from '../../PromotionStore';
import {
  DbChecklistCompletionRow,
  DbDeploymentRow,
  DbRollbackRow,
  DbSignOffRow,
  DbStandingApprovalRow,
  TABLES,
} from '../../tables';
import { runIndependentQueries } from '../queryHelpers';
import {
  distinctOldestFirst,
  lastRevokedApprovalIn,
  latestOf,
  latestRollback,
  requestsWithDecisions,
  rollbackDeployments,
  standingApprovalsIn,
  standingDeploymentIn,
  unionOf,
} from './factQueries';

const NO_FACTS: FlowFacts = {
  deployments: [],
  checklistCompletions: [],
  signOffs: [],
  standingApprovals: [],
  requests: [],
  rollbacks: [],
};

/**
 * The facts the flow state shows, with those of the gate for its next step:
 * where each environment stands and what is next (`currentVersionIn`,
 * `nextStepFor` and `evaluateGate` for the next step answer the same on
 * them as on the flow's whole history), read through indexes in a constant
 * number of queries, whatever the history:
 *
 * 1. every deployment into the ladder of the versions standing in its
 *    environments (each standing one among them) and of the versions of
 *    each environment's latest rollback: where each version stands, and
 *    whether it reached the environment above; the next step follows;
 * 2. the active checklist completions of the standing versions and of the
 *    flow, their sign-offs; per environment, its active standing approvals
 *    and the one granted last; the flow's pending requests with their
 *    decisions; the flow's most recent rollbacks (`rollbackLimit`); and
 *    what else the gate for the next step looks at (see `getGateFacts`):
 *    the requests for its version into its environment, the standing
 *    approval revoked last there, its latest rollback;
 * 3. when that environment has a rollback, the deployments that decide what
 *    it lets back.
 *
 * Oldest first, as `getFlowFacts` reads them.
 */
export async function getFlowStateFacts(
  db: Knex | Knex.Transaction,
  query: FlowStateFactsQuery,
): Promise<FlowStateFacts> {
  const { entityRef, environmentIds, rollbackLimit } = query;
  if (environmentIds.length === 0) {
    return { facts: NO_FACTS };
  }

  const rollbackIn = (environmentId: string) =>
    latestRollback(db, entityRef).where('environment_id', environmentId);
  const deploymentRows = await db<DbDeploymentRow>(TABLES.deployments)
    .where('entity_ref', entityRef)
    .whereIn('environment_id', environmentIds)
    .andWhere(q => {
      // The versions standing in the ladder's environments (scalar
      // subqueries, one row each), in every environment…
      for (const id of environmentIds) {
        q.orWhere(
          'version',
          standingDeploymentIn(db, entityRef, id)
            .clearSelect()
            .select('version'),
        );
      }
      // …and, in each environment, the versions of its latest rollback.
      for (const id of environmentIds) {
        q.orWhere(here =>
          here
            .where('environment_id', id)
            .andWhere(versions =>
              versions
                .where(
                  'version',
                  rollbackIn(id).clearSelect().select('from_version'),
                )
                .orWhere(
                  'version',
                  rollbackIn(id).clearSelect().select('to_version'),
                ),
            ),
        );
      }
    });
  const deployments = distinctOldestFirst(deploymentRows, d => d.reported_at);

  const read = deployments.map(mapDeploymentRow);
  const standingVersions = [
    ...new Set(
      environmentIds.flatMap(id => {
        const standing = currentVersionIn(
          { ...NO_FACTS, deployments: read },
          id,
        );
        return standing ? [standing.version] : [];
      }),
    ),
  ];
  const next = query.nextStep?.(read);
  const [completions, signOffs, approvals, requests, rollbacks] =
    await runIndependentQueries(db, [
      () =>
        db<DbChecklistCompletionRow>(TABLES.checklistCompletions)
          .where({ entity_ref: entityRef, undone_key: '' })
          .whereIn('environment_id', environmentIds)
          .whereIn('version', ['', ...standingVersions]),
      () =>
        standingVersions.length === 0
          ? Promise.resolve([] as DbSignOffRow[])
          : db<DbSignOffRow>(TABLES.signOffs)
              .where('entity_ref', entityRef)
              .whereIn('environment_id', environmentIds)
              .whereIn('version', standingVersions),
      () =>
        unionOf<DbStandingApprovalRow>(db, [
          ...environmentIds.flatMap(id => [
            standingApprovalsIn(db, entityRef, id).whereNull('revoked_at'),
            standingApprovalsIn(db, entityRef, id)
              .whereNotNull('revoked_at')
              .orderBy([
                { column: 'granted_at', order: 'desc' },
                { column: 'id', order: 'desc' },
              ])
              .limit(1),
          ]),
          ...(next
            ? [lastRevokedApprovalIn(db, entityRef, next.environmentId)]
            : []),
        ]),
      () =>
        requestsWithDecisions(db, q =>
          q.where('r.entity_ref', entityRef).andWhere(r => {
            r.where('r.status', 'pending');
            if (next) {
              r.orWhere({
                'r.environment_id': next.environmentId,
                'r.version': next.version,
              });
            }
          }),
        ),
      () =>
        unionOf<DbRollbackRow>(db, [
          // The flow's latest, `rollbackLimit` of them.
          latestRollback(db, entityRef).limit(rollbackLimit),
          ...(next ? [rollbackIn(next.environmentId)] : []),
        ]),
    ]);

  const rollbackRows = distinctOldestFirst(rollbacks, r => r.recorded_at);
  const rollback =
    next &&
    latestOf(rollbackRows.filter(r => r.environment_id === next.environmentId));
  if (next && rollback) {
    deployments.push(
      ...(await rollbackDeployments(db, {
        entityRef,
        environmentId: next.environmentId,
        rollback,
        known: deployments,
      })),
    );
  }

  const facts: FlowFacts = {
    deployments: distinctOldestFirst(deployments, d => d.reported_at).map(
      mapDeploymentRow,
    ),
    checklistCompletions: distinctOldestFirst(
      completions,
      c => c.completed_at,
    ).map(mapChecklistCompletionRow),
    signOffs: distinctOldestFirst(signOffs, s => s.signed_off_at).map(
      mapSignOffRow,
    ),
    standingApprovals: distinctOldestFirst(approvals, a => a.granted_at).map(
      mapStandingApprovalRow,
    ),
    requests,
    rollbacks: rollbackRows.map(mapRollbackRow),
  };
  return { facts, ...(next && { nextStep: next }) };
}
