import { FlowFacts } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import {
  mapChecklistCompletionRow,
  mapDeploymentRow,
  mapRollbackRow,
  mapSignOffRow,
  mapStandingApprovalRow,
} from '../../mappers';
import {
  DbChecklistCompletionRow,
  DbDeploymentRow,
  DbRequestRow,
  DbRollbackRow,
  DbSignOffRow,
  DbStandingApprovalRow,
  TABLES,
} from '../../tables';
import { FlowStateFactsQuery } from '../../PromotionStore';
import { withDecisions } from '../requests/getRequests';
import { oldestFirst, runIndependentQueries } from '../queryHelpers';
import {
  distinctOldestFirst,
  standingDeploymentIn,
  unionOf,
} from './factQueries';

/**
 * The facts the flow state shows, and no more: where each environment
 * stands and what is next (`currentVersionIn` and `nextStepFor` answer the
 * same on them as on the flow's whole history), read through indexes in a
 * constant number of queries, whatever the flow's history:
 *
 * - the deployment standing in each environment, and every deployment of
 *   those versions into the ladder's environments;
 * - the active checklist completions of those versions and of the flow, and
 *   the sign-offs of those versions;
 * - per environment, its active standing approvals and the one granted last;
 * - the flow's pending requests, with their decisions;
 * - the flow's most recent rollbacks (`rollbackLimit`).
 *
 * The gate for the next step is read on its own (`getGateFacts`). Oldest
 * first, as `getFlowFacts` reads them.
 */
export async function getFlowStateFacts(
  db: Knex | Knex.Transaction,
  query: FlowStateFactsQuery,
): Promise<FlowFacts> {
  const { entityRef, environmentIds, rollbackLimit } = query;
  if (environmentIds.length === 0) {
    return {
      deployments: [],
      checklistCompletions: [],
      signOffs: [],
      standingApprovals: [],
      requests: [],
      rollbacks: [],
    };
  }
  const [standingRows, approvals, requests, rollbacks] =
    await runIndependentQueries(db, [
      () =>
        unionOf<DbDeploymentRow>(
          db,
          environmentIds.map(id => standingDeploymentIn(db, entityRef, id)),
        ),
      () =>
        unionOf<DbStandingApprovalRow>(
          db,
          environmentIds.flatMap(id => {
            const here = () =>
              db<DbStandingApprovalRow>(TABLES.standingApprovals).where({
                entity_ref: entityRef,
                environment_id: id,
              });
            return [
              here().whereNull('revoked_at'),
              here()
                .whereNotNull('revoked_at')
                .orderBy([
                  { column: 'granted_at', order: 'desc' },
                  { column: 'id', order: 'desc' },
                ])
                .limit(1),
            ];
          }),
        ),
      async () =>
        withDecisions(
          db,
          await db<DbRequestRow>(TABLES.requests)
            .where({ entity_ref: entityRef, status: 'pending' })
            .orderBy(oldestFirst('created_at')),
        ),
      () =>
        db<DbRollbackRow>(TABLES.rollbacks)
          .where('entity_ref', entityRef)
          .orderBy([
            { column: 'recorded_at', order: 'desc' },
            { column: 'id', order: 'desc' },
          ])
          .limit(rollbackLimit),
    ]);

  const currentVersions = [...new Set(standingRows.map(d => d.version))];
  const [versionRows, completions, signOffs] = await runIndependentQueries(db, [
    () =>
      currentVersions.length === 0
        ? Promise.resolve([] as DbDeploymentRow[])
        : db<DbDeploymentRow>(TABLES.deployments)
            .where('entity_ref', entityRef)
            .whereIn('environment_id', environmentIds)
            .whereIn('version', currentVersions),
    () =>
      db<DbChecklistCompletionRow>(TABLES.checklistCompletions)
        .where({ entity_ref: entityRef, undone_key: '' })
        .whereIn('environment_id', environmentIds)
        .whereIn('version', ['', ...currentVersions]),
    () =>
      currentVersions.length === 0
        ? Promise.resolve([] as DbSignOffRow[])
        : db<DbSignOffRow>(TABLES.signOffs)
            .where('entity_ref', entityRef)
            .whereIn('environment_id', environmentIds)
            .whereIn('version', currentVersions),
  ]);

  return {
    deployments: distinctOldestFirst(
      [...standingRows, ...versionRows],
      d => d.reported_at,
    ).map(mapDeploymentRow),
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
    rollbacks: distinctOldestFirst(rollbacks, r => r.recorded_at).map(
      mapRollbackRow,
    ),
  };
}
