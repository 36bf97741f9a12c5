import {
  FlowFacts,
  PromotionRequest,
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
import {
  DbBreakGlassRow,
  DbChecklistCompletionRow,
  DbDeploymentRow,
  DbRollbackRow,
  DbSignOffRow,
  DbStandingApprovalRow,
  TABLES,
} from '../../tables';
import { GateFactsQuery } from '../../PromotionStore';
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
  rowsOfVersions,
  unionOf,
} from './factQueries';
import {
  BREAK_GLASS_ORDER,
  breakGlassesQuery,
} from '../breakGlass/breakGlassRows';
import { togetherStatement } from './readTogether';

/**
 * The first round of the gate's reads (see {@link getGateFacts}) with the
 * break-glass declarations when asked, built and compiled once per length
 * of the ladder on PostgreSQL.
 */
const readGate = togetherStatement(
  (
    db: Knex | Knex.Transaction,
    query: GateFactsQuery & { breakGlasses: boolean },
  ) => {
    const reads = gateFactReads(db, query)!;
    const target = query.environmentIds[query.environmentIds.length - 1];
    return {
      deployments: { query: reads.deployments },
      rollbacks: { query: reads.rollbacks },
      completions: { query: reads.completions },
      approvals: { query: reads.approvals },
      requests: { query: reads.requests, orderBy: REQUEST_ROWS_ORDER },
      signOffs: reads.signOffs && { query: reads.signOffs },
      breakGlasses: query.breakGlasses
        ? {
            query: breakGlassesQuery(db, {
              entityRef: query.entityRef,
              environmentId: target,
              version: query.version,
              inPlay: true,
            }),
            orderBy: BREAK_GLASS_ORDER,
          }
        : undefined,
    };
  },
);

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
 * Oldest first, as `getFlowFacts` reads them. On PostgreSQL the first
 * round is one statement (`readTogether`); elsewhere a query per kind of
 * fact, one after the other on a transaction (a deployment evaluating its
 * gate).
 */
export async function getGateFacts(
  db: Knex | Knex.Transaction,
  query: GateFactsQuery,
): Promise<FlowFacts> {
  if (query.environmentIds.length === 0) {
    return noGateFacts();
  }
  const rows = await readGate(db, {
    entityRef: query.entityRef,
    version: query.version,
    environmentIds: query.environmentIds,
    breakGlasses: query.breakGlasses ?? false,
  });
  const facts = await gateFactsOf(db, query, {
    deployments: rows.deployments as unknown as DbDeploymentRow[],
    rollbacks: rows.rollbacks as unknown as DbRollbackRow[],
    completions: rows.completions as unknown as DbChecklistCompletionRow[],
    signOffs: rows.signOffs as unknown as DbSignOffRow[],
    approvals: rows.approvals as unknown as DbStandingApprovalRow[],
    requests: requestsOfRows(rows.requests),
  });
  return query.breakGlasses
    ? {
        ...facts,
        breakGlasses: (rows.breakGlasses as unknown as DbBreakGlassRow[]).map(
          mapBreakGlassRow,
        ),
      }
    : facts;
}

function noGateFacts(): FlowFacts {
  return {
    deployments: [],
    checklistCompletions: [],
    signOffs: [],
    standingApprovals: [],
    requests: [],
    rollbacks: [],
  };
}

/**
 * The first round of reads of the gate's facts (see {@link getGateFacts}),
 * a query for each kind of fact, independent of one another; undefined for
 * an empty ladder. `requests` gives the rows of `requestsWithDecisionsQuery`.
 * `getManyGateFacts` runs those of many gates in one query per kind.
 */
export interface GateFactReads {
  deployments: Knex.QueryBuilder<DbDeploymentRow, DbDeploymentRow[]>;
  rollbacks: Knex.QueryBuilder<DbRollbackRow, DbRollbackRow[]>;
  completions: Knex.QueryBuilder<
    DbChecklistCompletionRow,
    DbChecklistCompletionRow[]
  >;
  /** None on the ladder's first environment. */
  signOffs?: Knex.QueryBuilder<DbSignOffRow, DbSignOffRow[]>;
  approvals: Knex.QueryBuilder<DbStandingApprovalRow, DbStandingApprovalRow[]>;
  requests: Knex.QueryBuilder;
}

/** What the first round of reads returned, the requests with their decisions. */
export interface GateFactRows {
  deployments: DbDeploymentRow[];
  rollbacks: DbRollbackRow[];
  completions: DbChecklistCompletionRow[];
  signOffs: DbSignOffRow[];
  approvals: DbStandingApprovalRow[];
  requests: PromotionRequest[];
}

export function gateFactReads(
  db: Knex | Knex.Transaction,
  query: GateFactsQuery,
): GateFactReads | undefined {
  const { entityRef, version, environmentIds } = query;
  const target = environmentIds[environmentIds.length - 1];
  if (target === undefined) {
    return undefined;
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
  const deploymentsOf = (environmentId: string, of: string) =>
    db<DbDeploymentRow>(TABLES.deployments).where({
      entity_ref: entityRef,
      environment_id: environmentId,
      version: of,
    });

  return {
    // Each read a union of parts that each go through an index to the rows
    // of one version (or the flow's), never a scan of the flow's rows
    // filtered, whatever plan a prepared statement is given.
    deployments: unionOf<DbDeploymentRow>(db, [
      // V up the ladder, environment by environment (each through the
      // index, whatever the plan)…
      ...environmentIds.map(id => deploymentsOf(id, version)),
      // …and, in E, the standing version and the rollback's versions.
      rowsOfVersions<DbDeploymentRow>(
        db,
        TABLES.deployments,
        q => q.where('entity_ref', entityRef),
        [target],
        unionOf(db, [
          standingVersion(),
          rollbackInTarget().clearSelect().select({ version: 'from_version' }),
          rollbackInTarget().clearSelect().select({ version: 'to_version' }),
        ]),
      ),
    ]),
    rollbacks: unionOf<DbRollbackRow>(db, [
      rollbackInTarget(),
      latestRollback(db, entityRef),
    ]),
    completions: unionOf<DbChecklistCompletionRow>(db, [
      // The previous environment's, for V and for the flow (each through
      // the index, whatever the plan)…
      ...(previous !== undefined
        ? [version, ''].map(of =>
            db(TABLES.checklistCompletions).where({
              entity_ref: entityRef,
              environment_id: previous,
              undone_key: '',
              version: of,
            }),
          )
        : []),
      // …and the standing version's post-deployment items in E.
      db(TABLES.checklistCompletions)
        .where({
          entity_ref: entityRef,
          environment_id: target,
          kind: 'post-deployment',
          undone_key: '',
        })
        .where('version', standingVersion()),
    ]),
    ...(previous !== undefined && {
      signOffs: db<DbSignOffRow>(TABLES.signOffs).where({
        entity_ref: entityRef,
        environment_id: previous,
        version,
      }),
    }),
    approvals: unionOf<DbStandingApprovalRow>(db, [
      standingApprovalsIn(db, entityRef, target).whereNull('revoked_at'),
      lastRevokedApprovalIn(db, entityRef, target),
    ]),
    // The requests into E pending or for V.
    requests: requestsWithDecisionsQuery(db, q =>
      q.whereIn(
        'r.id',
        unionOf(db, [
          db(TABLES.requests).select('id').where({
            entity_ref: entityRef,
            status: 'pending',
            environment_id: target,
          }),
          db(TABLES.requests).select('id').where({
            entity_ref: entityRef,
            environment_id: target,
            version,
          }),
        ]),
      ),
    ),
  };
}

/**
 * The gate's facts from the first round's rows: with E's latest rollback,
 * the deployments that decide what it lets back (one more round), then all
 * oldest first, without repeats.
 */
export async function gateFactsOf(
  db: Knex | Knex.Transaction,
  query: GateFactsQuery,
  rows: GateFactRows,
  /** What E's latest rollback lets back, when read already (`getManyGateFacts`). */
  rollbackRows: typeof rollbackDeployments = rollbackDeployments,
): Promise<FlowFacts> {
  const { entityRef, environmentIds } = query;
  const target = environmentIds[environmentIds.length - 1];
  const rollbacks = distinctOldestFirst(rows.rollbacks, r => r.recorded_at);
  const rollback = latestOf(rollbacks.filter(r => r.environment_id === target));
  const deployments = [...rows.deployments];
  if (rollback) {
    deployments.push(
      ...(await rollbackRows(db, {
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
      rows.completions,
      c => c.completed_at,
    ).map(mapChecklistCompletionRow),
    signOffs: distinctOldestFirst(rows.signOffs, s => s.signed_off_at).map(
      mapSignOffRow,
    ),
    standingApprovals: distinctOldestFirst(
      rows.approvals,
      a => a.granted_at,
    ).map(mapStandingApprovalRow),
    requests: rows.requests,
    rollbacks: rollbacks.map(mapRollbackRow),
  };
}
