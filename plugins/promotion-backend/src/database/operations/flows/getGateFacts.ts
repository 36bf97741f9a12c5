import { FlowFacts } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import {
  mapChecklistCompletionRow,
  mapDeploymentRow,
  mapRollbackRow,
  mapSignOffRow,
  mapStandingApprovalRow,
  timestampToIso,
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
import { GateFactsQuery } from '../../PromotionStore';
import { withDecisions } from '../requests/getRequests';
import { oldestFirst, runIndependentQueries } from '../queryHelpers';
import {
  dateOf,
  deploymentsIn,
  distinctOldestFirst,
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

  const [
    versionRows,
    [standingRow],
    rollbackRows,
    previousCompletions,
    signOffs,
    approvals,
    requests,
  ] = await runIndependentQueries(db, [
    () =>
      db<DbDeploymentRow>(TABLES.deployments)
        .where({ entity_ref: entityRef, version })
        .whereIn('environment_id', environmentIds),
    () => standingDeploymentIn(db, entityRef, target),
    () =>
      unionOf<DbRollbackRow>(db, [
        latestRollback(db, entityRef).where('environment_id', target),
        latestRollback(db, entityRef),
      ]),
    () =>
      previous === undefined
        ? Promise.resolve([] as DbChecklistCompletionRow[])
        : db<DbChecklistCompletionRow>(TABLES.checklistCompletions)
            .where({
              entity_ref: entityRef,
              environment_id: previous,
              undone_key: '',
            })
            .whereIn('version', [version, '']),
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
        standingApprovalsIn(db, entityRef, target)
          .whereNotNull('revoked_at')
          // Of a tie, the one read first (`reduce` keeps the earlier one).
          .orderBy([
            { column: 'revoked_at', order: 'desc' },
            { column: 'granted_at', order: 'asc' },
            { column: 'id', order: 'asc' },
          ])
          .limit(1),
      ]),
    async () =>
      withDecisions(
        db,
        await db<DbRequestRow>(TABLES.requests)
          .where({ entity_ref: entityRef, environment_id: target })
          .andWhere(q => q.where('status', 'pending').orWhere({ version }))
          .orderBy(oldestFirst('created_at')),
      ),
  ]);

  const rollbacks = distinctOldestFirst(rollbackRows, r => r.recorded_at);
  const rollback = latestOf(rollbacks.filter(r => r.environment_id === target));

  // The standing version's and the rollback's versions in E, with the
  // standing version's post-deployment completions there.
  const versionsInTarget = [
    standingRow?.version,
    rollback?.from_version,
    rollback?.to_version,
  ].filter((v): v is string => !!v && v !== version);
  const [targetRows, standingCompletions] = await runIndependentQueries(db, [
    () =>
      versionsInTarget.length === 0
        ? Promise.resolve([] as DbDeploymentRow[])
        : deploymentsIn(db, entityRef, target).whereIn(
            'version',
            distinct(versionsInTarget),
          ),
    () =>
      standingRow === undefined
        ? Promise.resolve([] as DbChecklistCompletionRow[])
        : db<DbChecklistCompletionRow>(TABLES.checklistCompletions).where({
            entity_ref: entityRef,
            environment_id: target,
            kind: 'post-deployment',
            version: standingRow.version,
            undone_key: '',
          }),
  ]);

  const deployments = [...versionRows, ...targetRows];
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
  if (standingRow) {
    deployments.push(standingRow);
  }

  return {
    deployments: distinctOldestFirst(deployments, d => d.reported_at).map(
      mapDeploymentRow,
    ),
    checklistCompletions: distinctOldestFirst(
      [...previousCompletions, ...standingCompletions],
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

/**
 * The deployments in E beyond those already read that decide what E's
 * latest rollback lets back (`rollbackDeployableVersions`), given every
 * deployment there of its reverted version and of its target (`known`):
 * the newest deployment of another version standing before the reverted
 * one (the target when the rollback names none), and the first deployment
 * after the rollback of a version other than the target, once regardless of
 * earlier versions, once of a version that never stood there before the
 * reverted one, with every deployment there of the former's version.
 */
async function rollbackDeployments(
  db: Knex | Knex.Transaction,
  args: {
    entityRef: string;
    environmentId: string;
    rollback: DbRollbackRow;
    known: DbDeploymentRow[];
  },
): Promise<DbDeploymentRow[]> {
  const { entityRef, environmentId, rollback, known } = args;
  const time = (row: DbDeploymentRow) =>
    Date.parse(timestampToIso(row.reported_at));
  const recordedAt = dateOf(rollback.recorded_at);
  const succeededHere = known.filter(
    d => d.environment_id === environmentId && d.status === 'succeeded',
  );
  const reverted = succeededHere.filter(d => d.rollback_id === rollback.id);
  const revertedAt = reverted.length
    ? new Date(Math.max(...reverted.map(time)))
    : recordedAt;
  const here = () => deploymentsIn(db, entityRef, environmentId);
  // What stood before the reverted version: a deployment of another
  // version, not rolled back, before it (columns of `table`).
  const stoodBefore = (
    query: Knex.QueryBuilder,
    table: string = TABLES.deployments,
  ) =>
    query
      .where(`${table}.status`, 'succeeded')
      .whereNot(`${table}.version`, rollback.from_version)
      .whereNull(`${table}.rolled_back_at`)
      .where(`${table}.reported_at`, '<', revertedAt);

  const found: DbDeploymentRow[] = [];
  let target: string | undefined;
  if (rollback.to_version) {
    const toVersion = rollback.to_version;
    target =
      toVersion !== rollback.from_version &&
      succeededHere.some(
        d => d.version === toVersion && time(d) < recordedAt.getTime(),
      )
        ? toVersion
        : undefined;
  } else {
    // `earlier[0]`: the newest; of a tie, the one read first.
    const [newest] = await stoodBefore(here())
      .orderBy([
        { column: 'reported_at', order: 'desc' },
        { column: 'id', order: 'asc' },
      ])
      .limit(1);
    if (newest) {
      found.push(newest);
      target = newest.version;
    }
  }

  // A deployment after the rollback, not one it reverted, of a version
  // other than the target: it ends the rollback unless its version is one
  // of the earlier versions the policy lets back too.
  const after = (query: Knex.QueryBuilder) => {
    query
      .where('status', 'succeeded')
      .where('reported_at', '>', recordedAt)
      .andWhere(q =>
        q.whereNull('rollback_id').orWhereNot('rollback_id', rollback.id),
      );
    if (target !== undefined) {
      query.whereNot('version', target);
    }
    return query;
  };
  const first = (query: Knex.QueryBuilder) =>
    query.orderBy(oldestFirst('reported_at')).limit(1);
  const ending = await unionOf<DbDeploymentRow>(db, [
    // Every deployment here of the version of the first such deployment…
    here().where('version', first(after(here().select('version')))),
    // …and the first one of a version that never stood here before the reverted one.
    first(
      after(here().select(`${TABLES.deployments}.*`)).whereNotExists(
        stoodBefore(
          db(`${TABLES.deployments} as earlier`)
            .select('earlier.id')
            .where({
              'earlier.entity_ref': entityRef,
              'earlier.environment_id': environmentId,
            })
            .whereRaw('?? = ??', [
              'earlier.version',
              `${TABLES.deployments}.version`,
            ]),
          'earlier',
        ),
      ),
    ),
  ]);
  return [...found, ...ending];
}

function latestRollback(db: Knex | Knex.Transaction, entityRef: string) {
  // Of a tie, the one read last (`latestRollback` keeps the later one).
  return db<DbRollbackRow>(TABLES.rollbacks)
    .where('entity_ref', entityRef)
    .orderBy([
      { column: 'recorded_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(1);
}

function standingApprovalsIn(
  db: Knex | Knex.Transaction,
  entityRef: string,
  environmentId: string,
) {
  return db<DbStandingApprovalRow>(TABLES.standingApprovals).where({
    entity_ref: entityRef,
    environment_id: environmentId,
  });
}

/** The last of rows read oldest first. */
function latestOf<T>(rows: T[]): T | undefined {
  return rows[rows.length - 1];
}

function distinct(values: string[]): string[] {
  return [...new Set(values)];
}
