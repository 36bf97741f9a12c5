import { FlowFacts } from '@promotion/plugin-promotion-common';
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
  rowsOfVersions,
} from './factQueries';
import { readFlowStateWithCopy } from './flowStateReads';
import { togetherStatement } from './readTogether';

const NO_FACTS: FlowFacts = {
  deployments: [],
  checklistCompletions: [],
  signOffs: [],
  standingApprovals: [],
  requests: [],
  rollbacks: [],
};

/**
 * The first round of the flow state's reads (see {@link getFlowStateFacts}),
 * built and compiled once per length of the ladder on PostgreSQL.
 */
const readFlowState = togetherStatement(
  (
    db: Knex | Knex.Transaction,
    {
      entityRef,
      environmentIds,
      rollbackLimit,
    }: {
      entityRef: string;
      environmentIds: readonly string[];
      rollbackLimit: number;
    },
  ) => {
    const rollbackIn = (environmentId: string) =>
      latestRollback(db, entityRef).where('environment_id', environmentId);
    // The version standing in an environment: a scalar subquery, one row.
    const standingIn = (environmentId: string) =>
      standingDeploymentIn(db, entityRef, environmentId)
        .clearSelect()
        .select('version');
    // Where the next step may go: into each environment above the first, the
    // version standing in the one below (`nextStepFor`).
    const steps = environmentIds.slice(1).map((environmentId, index) => ({
      environmentId,
      below: environmentIds[index],
    }));
    // Every read in one statement on PostgreSQL (`readTogether`): the next
    // step's are a superset, its possible steps' (one per environment above
    // the first), so that no read waits for the next step to be known.
    // The versions standing in the ladder's environments, read once.
    const standingVersions = () =>
      unionOf(
        db,
        environmentIds.map(id => standingIn(id)),
      );
    // Rows of some versions in some environments of the flow, read through
    // the table's (entity_ref, environment_id, version) index, whatever plan
    // the prepared statement is given.
    const ofVersions = <Row extends {}>(
      table: string,
      ids: readonly string[],
      versions: Knex.QueryBuilder,
    ) =>
      rowsOfVersions<Row>(
        db,
        table,
        q => q.where('entity_ref', entityRef),
        ids,
        versions,
      );
    return {
      deployments: {
        query: unionOf<DbDeploymentRow>(db, [
          // The versions standing in the ladder's environments, in every
          // environment…
          ofVersions<DbDeploymentRow>(
            TABLES.deployments,
            environmentIds,
            standingVersions(),
          ),
          // …and, in each environment, the versions of its latest rollback.
          ...environmentIds.map(id =>
            ofVersions<DbDeploymentRow>(
              TABLES.deployments,
              [id],
              unionOf(
                db,
                ['from_version', 'to_version'].map(column =>
                  rollbackIn(id).clearSelect().select({ version: column }),
                ),
              ),
            ),
          ),
        ]),
      },
      completions: {
        // The active completions of the flow and of the standing versions.
        query: rowsOfVersions<DbChecklistCompletionRow>(
          db,
          TABLES.checklistCompletions,
          q => q.where({ entity_ref: entityRef, undone_key: '' }),
          environmentIds,
          unionOf(db, [
            db.select({ version: db.raw('?', ['']) }),
            standingVersions(),
          ]),
        ),
      },
      signOffs: {
        // The sign-offs of the standing versions.
        query: ofVersions<DbSignOffRow>(
          TABLES.signOffs,
          environmentIds,
          standingVersions(),
        ),
      },
      approvals: {
        // Per environment: its active standing approvals, the one granted
        // last, and the one revoked last (the gate's "revoked on … by …").
        query: unionOf<DbStandingApprovalRow>(
          db,
          environmentIds.flatMap(id => [
            standingApprovalsIn(db, entityRef, id).whereNull('revoked_at'),
            standingApprovalsIn(db, entityRef, id)
              .whereNotNull('revoked_at')
              .orderBy([
                { column: 'granted_at', order: 'desc' },
                { column: 'id', order: 'desc' },
              ])
              .limit(1),
            lastRevokedApprovalIn(db, entityRef, id),
          ]),
        ),
      },
      requests: {
        // The flow's pending requests, and those of each possible step.
        query: requestsWithDecisionsQuery(db, q =>
          q.whereIn(
            'r.id',
            unionOf(db, [
              db(TABLES.requests)
                .select('id')
                .where({ entity_ref: entityRef, status: 'pending' }),
              ...steps.map(step =>
                db(TABLES.requests)
                  .select('id')
                  .where({
                    entity_ref: entityRef,
                    environment_id: step.environmentId,
                  })
                  .where('version', standingIn(step.below)),
              ),
            ]),
          ),
        ),
        orderBy: REQUEST_ROWS_ORDER,
      },
      rollbacks: {
        query: unionOf<DbRollbackRow>(db, [
          // The flow's latest, `rollbackLimit` of them, and each
          // environment's latest.
          latestRollback(db, entityRef).limit(rollbackLimit),
          ...environmentIds.map(rollbackIn),
        ]),
      },
      breakGlasses: {
        // The break-glass declarations still in play, in every environment.
        query: breakGlassesQuery(db, { entityRef, inPlay: true }),
        orderBy: BREAK_GLASS_ORDER,
      },
    };
  },
);

/**
 * The facts the flow state shows, with those of the gate for its next step:
 * where each environment stands and what is next (`currentVersionIn`,
 * `nextStepFor` and `evaluateGate` for the next step answer the same on
 * them as on the flow's whole history), read through indexes in a constant
 * number of queries, whatever the history:
 *
 * 1. in one round: every deployment into the ladder of the versions
 *    standing in its environments (each standing one among them) and of the
 *    versions of each environment's latest rollback, where each version
 *    stands and whether it reached the environment above (the next step
 *    follows); the active checklist completions of the standing versions
 *    and of the flow, their sign-offs; per environment, its active standing
 *    approvals, the one granted last and the one revoked last; the flow's
 *    pending requests with their decisions; the flow's most recent
 *    rollbacks (`rollbackLimit`) and each environment's latest; the flow's
 *    break-glass declarations still in play (`breakGlasses`); and what else
 *    the gate for the next step looks at (see `getGateFacts`), read for
 *    every step it may be (the version standing below each environment
 *    above the first): the requests for that version into that
 *    environment;
 * 2. when the next step's environment has a rollback, the deployments that
 *    decide what it lets back.
 *
 * Oldest first, as `getFlowFacts` reads them. On PostgreSQL the first round
 * is one prepared statement (`readTogether`): the flow state costs one
 * statement (two after a rollback of its next step's environment). The
 * first round's rows are kept as the flow's copy (`readFlowStateWithCopy`),
 * which answers in its place until the flow's chain head moves on: an
 * unchanged flow's state costs one read of two rows by their keys.
 */
export async function getFlowStateFacts(
  db: Knex | Knex.Transaction,
  query: FlowStateFactsQuery,
): Promise<FlowStateFacts> {
  const { entityRef, environmentIds, rollbackLimit } = query;
  if (environmentIds.length === 0) {
    return { facts: NO_FACTS };
  }

  const statement = readFlowState.prepare(db, {
    entityRef,
    environmentIds,
    rollbackLimit,
  });
  const rows = await readFlowStateWithCopy(
    db,
    entityRef,
    {
      statement: statement.fingerprint,
      params: { environmentIds, rollbackLimit },
    },
    statement.read,
  );
  const deploymentRows = rows.deployments as unknown as DbDeploymentRow[];
  const completions = rows.completions as unknown as DbChecklistCompletionRow[];
  const signOffs = rows.signOffs as unknown as DbSignOffRow[];
  const approvals = rows.approvals as unknown as DbStandingApprovalRow[];
  const rollbacks = rows.rollbacks as unknown as DbRollbackRow[];
  const breakGlasses = rows.breakGlasses as unknown as DbBreakGlassRow[];
  const requestRows = rows.requests;
  const deployments = distinctOldestFirst(deploymentRows, d => d.reported_at);
  const next = query.nextStep?.(deployments.map(mapDeploymentRow));
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
    signOffs: distinctOldestFirst(signOffs, s => s.signed_off_at).map(
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
