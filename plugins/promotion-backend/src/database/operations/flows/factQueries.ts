import { PromotionRequest } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { mapRequestRow, timestampToIso } from '../../mappers';
import {
  DbDecisionRow,
  DbDeploymentRow,
  DbRequestRow,
  DbRollbackRow,
  DbStandingApprovalRow,
  DbTimestamp,
  TABLES,
} from '../../tables';
import { oldestFirst } from '../queryHelpers';

/*
 * The building blocks of the bounded fact reads (getGateFacts,
 * getFlowStateFacts): each reads a few rows of one flow through an index,
 * however long the flow's history is.
 */

/**
 * One query returning the rows of several queries on the same table, each
 * of which may have its own ORDER BY … LIMIT: `select * from (…) as part0
 * union all select * from (…) as part1 …`, a form PostgreSQL, MySQL and
 * SQLite all accept (SQLite refuses a LIMIT on a bare member of a compound
 * select). A row may come back more than once; see {@link distinctOldestFirst}.
 */
export function unionOf<Row extends {}>(
  db: Knex | Knex.Transaction,
  parts: Knex.QueryBuilder[],
): Knex.QueryBuilder<Row, Row[]> {
  const [first, ...rest] = parts.map((part, index) =>
    db.select('*').from(part.as(`part${index}`)),
  );
  return (rest.length > 0 ? first.unionAll(rest) : first) as Knex.QueryBuilder<
    Row,
    Row[]
  >;
}

/**
 * A table's rows of a flow (`where`), in some environments, of the versions
 * a subquery lists (`select … as version`, a few rows). On PostgreSQL each
 * pair of an environment and a listed version is read through the index
 * that leads with entity_ref, environment_id and version, all three given
 * (`cross join lateral (… offset 0)`, which the planner cannot flatten into
 * a join), whatever plan a prepared statement is given: `version in (…)`,
 * or an environment among several, may be planned as a scan of all the
 * flow's rows, filtered. Elsewhere `environment_id in (…) and version in
 * (…)`.
 */
export function rowsOfVersions<Row extends {}>(
  db: Knex | Knex.Transaction,
  table: string,
  where: (query: Knex.QueryBuilder) => void,
  environmentIds: readonly string[],
  versions: Knex.QueryBuilder,
): Knex.QueryBuilder<Row, Row[]> {
  if (db.client.dialect !== 'postgresql') {
    return db(table)
      .where(where)
      .whereIn('environment_id', environmentIds)
      .whereIn('version', versions) as unknown as Knex.QueryBuilder<Row, Row[]>;
  }
  const rows = db(table)
    .where(where)
    .where('environment_id', db.ref('ladder.environment_id'))
    .where('version', db.ref('listed.version'));
  return db
    .select('found.*')
    .from(db.distinct('version').from(versions.as('listing')).as('listed'))
    .joinRaw(
      `cross join unnest(array[${environmentIds
        .map(() => '?')
        .join(', ')}]::text[]) as ladder(environment_id)`,
      [...environmentIds],
    )
    .joinRaw('cross join lateral (? offset 0) as found', [
      rows as unknown as Knex.Raw,
    ]) as unknown as Knex.QueryBuilder<Row, Row[]>;
}

/**
 * The rows without repeats, in the order the full history is read in
 * (`oldestFirst`): by the timestamp column, ties broken by id. Ids are
 * compared as the databases compare them for the ids the store writes
 * (lower-case UUIDs), so that a rule that picks the first or the last of a
 * tie picks the same row from these rows as from the whole history.
 */
export function distinctOldestFirst<Row extends { id: string }>(
  rows: Row[],
  timestamp: (row: Row) => DbTimestamp,
): Row[] {
  const byId = new Map<string, Row>();
  for (const row of rows) {
    byId.set(row.id, row);
  }
  // Each row's time read once, not at every comparison of the sort.
  const timed = [...byId.values()].map(row => ({
    row,
    time: timeOf(timestamp(row)),
  }));
  timed.sort((a, b) => {
    const difference = a.time - b.time;
    if (difference !== 0) {
      return difference;
    }
    if (a.row.id === b.row.id) {
      return 0;
    }
    return a.row.id < b.row.id ? -1 : 1;
  });
  return timed.map(({ row }) => row);
}

/** A timestamp column's value in milliseconds since the epoch. */
function timeOf(value: DbTimestamp): number {
  return value instanceof Date
    ? value.getTime()
    : Date.parse(timestampToIso(value));
}

/** A timestamp column's value as a Date, to compare it in a query. */
export function dateOf(value: DbTimestamp): Date {
  return new Date(timestampToIso(value));
}

/** The deployments of one flow into one environment. */
export function deploymentsIn(
  db: Knex | Knex.Transaction,
  entityRef: string,
  environmentId: string,
): Knex.QueryBuilder<DbDeploymentRow, DbDeploymentRow[]> {
  return db<DbDeploymentRow>(TABLES.deployments).where({
    entity_ref: entityRef,
    environment_id: environmentId,
  });
}

/**
 * The deployment standing in an environment (`currentVersionIn`): the
 * newest successful one, by `reported_at`, not rolled back; of a tie, the
 * one read last (the greatest id). One row, through the index on
 * (entity_ref, environment_id, reported_at).
 */
export function standingDeploymentIn(
  db: Knex | Knex.Transaction,
  entityRef: string,
  environmentId: string,
  options: { exceptVersion?: string } = {},
): Knex.QueryBuilder<DbDeploymentRow, DbDeploymentRow[]> {
  const query = deploymentsIn(db, entityRef, environmentId)
    .where('status', 'succeeded')
    .whereNull('rolled_back_at');
  if (options.exceptVersion !== undefined) {
    query.whereNot('version', options.exceptVersion);
  }
  return query
    .orderBy([
      { column: 'reported_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(1);
}

/** The columns of a decision, read beside its request's. */
export const DECISION_COLUMNS: Array<keyof DbDecisionRow> = [
  'id',
  'request_id',
  'request_revision',
  'dossier_hash',
  'decision',
  'decided_by',
  'decided_at',
  'comment',
  'voided_at',
];

/**
 * The requests `where` selects (given the request table's alias, `r`), each
 * with its decisions, oldest first: one query, so one snapshot, that joins
 * each request to its decisions (a row per decision; one for a request with
 * none).
 */
export async function requestsWithDecisions(
  db: Knex | Knex.Transaction,
  where: (query: Knex.QueryBuilder) => void,
): Promise<PromotionRequest[]> {
  return requestsOfRows(await requestsWithDecisionsQuery(db, where));
}

/**
 * The query of {@link requestsWithDecisions}: a row per decision (one for a
 * request with none), its columns `decision_…`, in the order
 * {@link requestsOfRows} reads them.
 */
export function requestsWithDecisionsQuery(
  db: Knex | Knex.Transaction,
  where: (query: Knex.QueryBuilder) => void,
): Knex.QueryBuilder {
  const query = db(`${TABLES.requests} as r`)
    .leftJoin(`${TABLES.decisions} as d`, 'd.request_id', 'r.id')
    .select(
      'r.*',
      ...DECISION_COLUMNS.map(column => `d.${column} as decision_${column}`),
    )
    .orderBy([
      { column: 'r.created_at', order: 'asc' },
      { column: 'r.id', order: 'asc' },
      { column: 'd.decided_at', order: 'asc' },
      { column: 'd.id', order: 'asc' },
    ]);
  where(query);
  return query;
}

/** The order of {@link requestsWithDecisionsQuery}'s rows, by its columns' names. */
export const REQUEST_ROWS_ORDER = [
  { column: 'created_at', order: 'asc' },
  { column: 'id', order: 'asc' },
  { column: 'decision_decided_at', order: 'asc' },
  { column: 'decision_id', order: 'asc' },
] as const;

/** The rows of a request-and-decisions join in its order, when a union lost it: by request, then decision, oldest first. */
export function sortRequestRows(
  rows: Array<Record<string, unknown>>,
): Array<Record<string, unknown>> {
  const momentOf = (value: unknown) =>
    value === null || value === undefined
      ? -Infinity
      : timeOf(value as DbTimestamp);
  const byId = (a: unknown, b: unknown) => {
    if (a === b) {
      return 0;
    }
    return String(a) < String(b) ? -1 : 1;
  };
  return [...rows].sort(
    (a, b) =>
      momentOf(a.created_at) - momentOf(b.created_at) ||
      byId(a.id, b.id) ||
      momentOf(a.decision_decided_at) - momentOf(b.decision_decided_at) ||
      byId(a.decision_id ?? '', b.decision_id ?? ''),
  );
}

/** The requests, each with its decisions, of the rows of {@link requestsWithDecisionsQuery}, in their order. */
export function requestsOfRows(
  rows: Array<Record<string, unknown>>,
): PromotionRequest[] {
  const requests = new Map<
    string,
    { request: DbRequestRow; decisions: DbDecisionRow[] }
  >();
  for (const row of rows) {
    const request = Object.fromEntries(
      Object.entries(row).filter(([column]) => !column.startsWith('decision_')),
    ) as unknown as DbRequestRow;
    const entry = requests.get(request.id) ?? { request, decisions: [] };
    requests.set(request.id, entry);
    if (row.decision_id !== null && row.decision_id !== undefined) {
      entry.decisions.push(
        Object.fromEntries(
          DECISION_COLUMNS.map(column => [column, row[`decision_${column}`]]),
        ) as unknown as DbDecisionRow,
      );
    }
  }
  return [...requests.values()].map(({ request, decisions }) =>
    mapRequestRow(request, decisions),
  );
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
export async function rollbackDeployments(
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

export function latestRollback(db: Knex | Knex.Transaction, entityRef: string) {
  // Of a tie, the one read last (`latestRollback` keeps the later one).
  return db<DbRollbackRow>(TABLES.rollbacks)
    .where('entity_ref', entityRef)
    .orderBy([
      { column: 'recorded_at', order: 'desc' },
      { column: 'id', order: 'desc' },
    ])
    .limit(1);
}

export function standingApprovalsIn(
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
export function latestOf<T>(rows: T[]): T | undefined {
  return rows[rows.length - 1];
}

/**
 * The environment's standing approval revoked last (the gate's "revoked on …
 * by …"); of a tie, the one read first (`reduce` keeps the earlier one).
 */
export function lastRevokedApprovalIn(
  db: Knex | Knex.Transaction,
  entityRef: string,
  environmentId: string,
) {
  return standingApprovalsIn(db, entityRef, environmentId)
    .whereNotNull('revoked_at')
    .orderBy([
      { column: 'revoked_at', order: 'desc' },
      { column: 'granted_at', order: 'asc' },
      { column: 'id', order: 'asc' },
    ])
    .limit(1);
}
