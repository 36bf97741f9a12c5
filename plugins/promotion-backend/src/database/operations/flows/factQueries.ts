import { Knex } from 'knex';
import { timestampToIso } from '../../mappers';
import { DbDeploymentRow, DbTimestamp, TABLES } from '../../tables';

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
  const timeOf = (row: Row) => Date.parse(timestampToIso(timestamp(row)));
  return [...byId.values()].sort((a, b) => {
    const difference = timeOf(a) - timeOf(b);
    if (difference !== 0) {
      return difference;
    }
    if (a.id === b.id) {
      return 0;
    }
    return a.id < b.id ? -1 : 1;
  });
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
