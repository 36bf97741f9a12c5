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
  DbRollbackRow,
  DbSignOffRow,
  DbStandingApprovalRow,
  TABLES,
} from '../../tables';
import { GateFactsQuery } from '../../PromotionStore';
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

/**
 * The facts the gate for version V into environment E looks at, and no
 * more: `evaluateGate` answers the same on them as on the flow's whole
 * history (`getFlowFacts`), for every policy, while the rows read are
 * bounded by what the gate asks about, not by the flow's history. Read
 * through indexes, in a constant number of queries:
 *
 * - the deployments of V into every environment up to E;
 * - the deployment standing in E, and every deployment there of its
 *   version (the predecessor rule, and the rollback rule below), with the
 *   active post-deployment completions of that version in E;
 * - the active completions of the environment before E for V and for the
 *   flow (version-scoped and flow-scoped validation items, post-deployment
 *   items), and its sign-offs of V;
 * - E's standing approvals that are active, and the one revoked last;
 * - the requests into E that are pending or for V, with their decisions;
 * - E's latest rollback and the flow's latest rollback (the rollback target,
 *   the reset of flow-scoped items);
 * - for E's latest rollback: the deployments there of its reverted version
 *   and of its target, the newest version that stood before the reverted
 *   one, and the first deployment after it that ended it (of a version it
 *   does not let back, whether or not earlier versions may go back).
 *
 * Oldest first, as `getFlowFacts` reads them. On a transaction (a deployment
 * evaluating its gate) the reads run one after the other.
 */
export async function getGateFacts(
  db: Knex | Knex.Transaction,
  query: GateFactsQuery,
): Promise<FlowFacts> {
  const { entityRef, version, environmentIds } = query;
  const target = environmentIds[environmentIds.length - 1];
  if (target === undefined) {
    return {
      deployments: [],
      checklistCompletions: [],
      signOffs: [],
      standingApprovals: [],
      requests: [],
      rollbacks: [],
    };
  }
  const previous =
    environmentIds.length > 1
      ? environmentIds[environmentIds.length - 2]
      : undefined;

  // What stands in E, and E's latest rollback: their versions, read in the
  // same queries as the rest (scalar subqueries, one row each).
  const standingVersion = () =>
    standingDeploymentIn(db, entityRef, target).clearSelect().select('version');
  const rollbackInTarget = () =>
    latestRollback(db, entityRef).where('environment_id', target);

  const [
    deploymentRows,
    rollbackRows,
    completions,
    signOffs,
    approvals,
    requests,
  ] = await runIndependentQueries(db, [
    () =>
      db<DbDeploymentRow>(TABLES.deployments)
        .where('entity_ref', entityRef)
        .andWhere(q =>
          q
            // V up the ladder…
            .where(v =>
              v
                .where('version', version)
                .whereIn('environment_id', environmentIds),
            )
            // …and, in E, the standing version and the rollback's versions.
            .orWhere(e =>
              e
                .where('environment_id', target)
                .andWhere(versions =>
                  versions
                    .where('version', standingVersion())
                    .orWhere(
                      'version',
                      rollbackInTarget().clearSelect().select('from_version'),
                    )
                    .orWhere(
                      'version',
                      rollbackInTarget().clearSelect().select('to_version'),
                    ),
                ),
            ),
        ),
    () =>
      unionOf<DbRollbackRow>(db, [
        rollbackInTarget(),
        latestRollback(db, entityRef),
      ]),
    () =>
      db<DbChecklistCompletionRow>(TABLES.checklistCompletions)
        .where({ entity_ref: entityRef, undone_key: '' })
        .andWhere(q => {
          if (previous !== undefined) {
            // The previous environment's, for V and for the flow…
            q.where(p =>
              p
                .where('environment_id', previous)
                .whereIn('version', [version, '']),
            );
          }
          // …and the standing version's post-deployment items in E.
          q.orWhere(e =>
            e
              .where('environment_id', target)
              .where('kind', 'post-deployment')
              .where('version', standingVersion()),
          );
        }),
    () =>
      previous === undefined
        ? Promise.resolve([] as DbSignOffRow[])
        : db<DbSignOffRow>(TABLES.signOffs).where({
            entity_ref: entityRef,
            environment_id: previous,
            version,
          }),
    () =>
      unionOf<DbStandingApprovalRow>(db, [
        standingApprovalsIn(db, entityRef, target).whereNull('revoked_at'),
        lastRevokedApprovalIn(db, entityRef, target),
      ]),
    () =>
      requestsWithDecisions(db, q =>
        q
          .where({ 'r.entity_ref': entityRef, 'r.environment_id': target })
          .andWhere(r =>
            r.where('r.status', 'pending').orWhere('r.version', version),
          ),
      ),
  ]);

  const rollbacks = distinctOldestFirst(rollbackRows, r => r.recorded_at);
  const rollback = latestOf(rollbacks.filter(r => r.environment_id === target));
  const deployments = [...deploymentRows];
  if (rollback) {
    deployments.push(
      ...(await rollbackDeployments(db, {
        entityRef,
        environmentId: target,
        rollback,
        known: deployments,
      })),
    );
  }

  return {
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
    rollbacks: rollbacks.map(mapRollbackRow),
  };
}
