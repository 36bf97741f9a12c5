import { Knex } from 'knex';

/** Keeps `IN (...)` lists well below every database's parameter limit. */
export const IN_CHUNK_SIZE = 500;

/**
 * The order every list of rows is read and locked in: by a timestamp column,
 * oldest first, ties broken by id so that the order is total.
 */
export function oldestFirst(
  column: string,
): { column: string; order: 'asc' }[] {
  return [
    { column, order: 'asc' },
    { column: 'id', order: 'asc' },
  ];
}

/** Whether a database error is a unique constraint violation, on every supported database. */
export function isUniqueViolation(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return (
    code === '23505' || // PostgreSQL unique_violation
    code === 'ER_DUP_ENTRY' || // MySQL / MariaDB
    code === 'SQLITE_CONSTRAINT_UNIQUE' ||
    code === 'SQLITE_CONSTRAINT_PRIMARYKEY'
  );
}

/** Splits a list into lists of at most `size` items, for `IN (...)` queries. */
export function chunks<T>(items: T[], size: number): T[][] {
  const result: T[][] = [];
  for (let i = 0; i < items.length; i += size) {
    result.push(items.slice(i, i + size));
  }
  return result;
}

/**
 * Runs independent queries: in parallel on the pool, one after the other on
 * a transaction (its single connection must not run two queries at once).
 */
export async function runIndependentQueries<T extends readonly unknown[]>(
  db: Knex | Knex.Transaction,
  queries: { [K in keyof T]: () => PromiseLike<T[K]> },
): Promise<T> {
  if (!db.isTransaction) {
    return (await Promise.all(queries.map(query => query()))) as unknown as T;
  }
  const results: unknown[] = [];
  for (const query of queries) {
    results.push(await query());
  }
  return results as unknown as T;
}
