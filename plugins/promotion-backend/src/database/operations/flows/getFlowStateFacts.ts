import {
  currentVersionIn,
  FlowFacts,
} from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import {
  mapBreakGlassRow,
  mapChecklistCompletionRow,
  mapDeploymentRow,
  mapRollbackRow,
  mapSignOffRow,
  mapStandingApprovalRow,
} from '../../mappers';
import { FlowStateFacts, FlowStateFactsQuery } from '../../PromotionStore';
import {
  DbBreakGlassRow,
  DbChecklistCompletionRow,
  DbDeploymentRow,
  DbRollbackRow,
  DbSignOffRow,
  DbStandingApprovalRow,
  TABLES,
} from '../../tables';
import {
  BREAK_GLASS_ORDER,
  breakGlassesQuery,
} from '../breakGlass/breakGlassRows';
import {
  distinctOldestFirst,
  lastRevokedApprovalIn,
  latestOf,
  latestRollback,
  REQUEST_ROWS_ORDER,
  requestsOfRows,
  requestsWithDecisionsQuery,
  rollbackDeployments,
  standingApprovalsIn,
  standingDeploymentIn,
  unionOf,
} from './factQueries';
import { readTogether, TogetherRead } from './readTogether';

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
 *    approval revoked last there, its latest rollback; and the flow's
 *    break-glass declarations still in play (`breakGlasses`);
 * 3. when that environment has a rollback, the deployments that decide what
 *    it lets back.
 *
 * Oldest first, as `getFlowFacts` reads them. On PostgreSQL each of the
 * first two rounds is one prepared statement (`readTogether`), so the flow
 * state costs two statements (three after a rollback of its next step).
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
  const [deploymentRows] = (await readTogether(db, [
    {
      query: db<DbDeploymentRow>(TABLES.deployments)
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
        }),
    },
  ])) as unknown as DbDeploymentRow[][];
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
  // The second round in one statement on PostgreSQL (`readTogether`).
  const reads: TogetherRead[] = [
    {
      query: db<DbChecklistCompletionRow>(TABLES.checklistCompletions)
        .where({ entity_ref: entityRef, undone_key: '' })
        .whereIn('environment_id', environmentIds)
        .whereIn('version', ['', ...standingVersions]),
    },
    {
      query: unionOf<DbStandingApprovalRow>(db, [
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
    },
    {
      query: requestsWithDecisionsQuery(db, q =>
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
      orderBy: REQUEST_ROWS_ORDER,
    },
    {
      query: unionOf<DbRollbackRow>(db, [
        // The flow's latest, `rollbackLimit` of them.
        latestRollback(db, entityRef).limit(rollbackLimit),
        ...(next ? [rollbackIn(next.environmentId)] : []),
      ]),
    },
    {
      // The break-glass declarations still in play, in every environment.
      query: breakGlassesQuery(db, { entityRef, inPlay: true }),
      orderBy: BREAK_GLASS_ORDER,
    },
    // The sign-offs of the standing versions, when a version stands.
    ...(standingVersions.length > 0
      ? [
          {
            query: db<DbSignOffRow>(TABLES.signOffs)
              .where('entity_ref', entityRef)
              .whereIn('environment_id', environmentIds)
              .whereIn('version', standingVersions),
          },
        ]
      : []),
  ];
  const [
    completions,
    approvals,
    requestRows,
    rollbacks,
    breakGlasses,
    signOffs,
  ] = (await readTogether(db, reads)) as unknown as [
    DbChecklistCompletionRow[],
    DbStandingApprovalRow[],
    Array<Record<string, unknown>>,
    DbRollbackRow[],
    DbBreakGlassRow[],
    DbSignOffRow[] | undefined,
  ];
  const requests = requestsOfRows(requestRows);

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
    signOffs: distinctOldestFirst(signOffs ?? [], s => s.signed_off_at).map(
      mapSignOffRow,
    ),
    standingApprovals: distinctOldestFirst(approvals, a => a.granted_at).map(
      mapStandingApprovalRow,
    ),
    requests,
    rollbacks: rollbackRows.map(mapRollbackRow),
    breakGlasses: breakGlasses.map(mapBreakGlassRow),
  };
  return { facts, ...(next && { nextStep: next }) };
}
