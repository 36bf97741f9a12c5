import { Knex } from 'knex';
import { preparedRaw } from '../audit/preparedStatements';
import { runIndependentQueries } from '../queryHelpers';

/** A read of `readTogether`: a query, and the order of its rows if it matters. */
export interface TogetherRead {
  query: Knex.QueryBuilder;
  /** The order of the rows, by the names of the query's columns. */
  orderBy?: ReadonlyArray<{ column: string; order: 'asc' | 'desc' }>;
}

/** The columns, in every table the fact reads read, that hold timestamps. */
const TIMESTAMP_COLUMNS = new Set([
  'reported_at',
  'rolled_back_at',
  'completed_at',
  'undone_at',
  'signed_off_at',
  'created_at',
  'updated_at',
  'expires_at',
  'decided_at',
  'last_reminded_at',
  'granted_at',
  'revoked_at',
  'recorded_at',
  'voided_at',
  'decision_decided_at',
  'decision_voided_at',
  'declared_at',
  'used_at',
  'review_closed_at',
]);

/**
 * A row read back from its JSON as the driver reads the row's columns: the
 * timestamps (ISO 8601 with an offset in PostgreSQL's JSON) as Dates; text,
 * booleans and integers are as the driver gives them.
 */
function asDriverRow(row: Record<string, unknown>): Record<string, unknown> {
  for (const column of Object.keys(row)) {
    const value = row[column];
    if (typeof value === 'string' && TIMESTAMP_COLUMNS.has(column)) {
      const date = new Date(value);
      // (A form Date does not read stays text, which the mappers read.)
      row[column] = Number.isNaN(date.getTime()) ? value : date;
    }
  }
  return row;
}

/**
 * The rows of independent reads, in the order given. On PostgreSQL in one
 * statement, so one round trip and one snapshot: each read's rows as one
 * JSON array, a column of a single row (`select (select json_agg(q) from
 * (read 1) as q), …`), in the read's `orderBy` when it has one, read back
 * as the driver reads them (`asDriverRow`). Elsewhere a query per read
 * (`runIndependentQueries`).
 *
 * On PostgreSQL the statement is a named prepared statement (the driver
 * prepares it once per connection, named after its text; the values are
 * bound): parsing and planning it costs the database more than running it,
 * and the same few texts (one per shape of the reads) come back with every
 * deployment report. Its result is a row of JSON columns whatever the
 * tables' columns are, so a later migration cannot change its result type.
 */
export async function readTogether(
  db: Knex | Knex.Transaction,
  reads: TogetherRead[],
): Promise<Array<Array<Record<string, unknown>>>> {
  if (db.client.dialect !== 'postgresql') {
    return (await runIndependentQueries(
      db,
      reads.map(read => () => read.query),
    )) as Array<Array<Record<string, unknown>>>;
  }
  if (reads.length === 0) {
    return [];
  }
  // The whole text in the statement (identifiers quoted here, values
  // bound), so that its name stands for it.
  const quoted = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
  const columns: string[] = [];
  const bindings: Knex.Value[] = [];
  reads.forEach((read, index) => {
    const { sql, bindings: readBindings } = read.query.toSQL();
    const order = (read.orderBy ?? [])
      .map(({ column, order: direction }) => `q.${quoted(column)} ${direction}`)
      .join(', ');
    columns.push(
      `(select coalesce(json_agg(q${
        order ? ` order by ${order}` : ''
      }), '[]') from (${sql}) as q) as read${index}`,
    );
    bindings.push(...readBindings);
  });
  const text = `select ${columns.join(', ')}`;
  const { rows } = await preparedRaw(db, text, bindings);
  const [row] = rows as Array<Record<string, Array<Record<string, unknown>>>>;
  return reads.map((_read, index) => row[`read${index}`].map(asDriverRow));
}

/**
 * {@link readTogether} with the reads named: the rows of each read by its
 * name, none for a name whose read is left out (undefined). The reads run in
 * the order of their names.
 */
export async function readNamedTogether<Name extends string>(
  db: Knex | Knex.Transaction,
  reads: Record<Name, TogetherRead | undefined>,
): Promise<Record<Name, Array<Record<string, unknown>>>> {
  const names = Object.keys(reads) as Name[];
  const asked = names.filter(name => reads[name] !== undefined);
  const answers = await readTogether(
    db,
    asked.map(name => reads[name]!),
  );
  const rows = {} as Record<Name, Array<Record<string, unknown>>>;
  for (const name of names) {
    rows[name] = [];
  }
  asked.forEach((name, index) => {
    rows[name] = answers[index];
  });
  return rows;
}
