import { Knex } from 'knex';

/**
 * The queries a call issues on the connection and the rows they return, as
 * knex runs them: what the tests of bounded reads hold constant whatever
 * the history.
 */
export async function countReads<T>(
  knex: Knex,
  call: () => Promise<T>,
): Promise<{ result: T; queries: number; rows: number }> {
  let queries = 0;
  let rows = 0;
  const onQuery = () => {
    queries++;
  };
  // The rows of a query builder's response, or of a raw query's result
  // (PostgreSQL's `{ rows }`, MySQL's `[rows, fields]`).
  const onResponse = (response: unknown) => {
    if (Array.isArray(response)) {
      rows += Array.isArray(response[0]) ? response[0].length : response.length;
    } else if (Array.isArray((response as { rows?: unknown })?.rows)) {
      rows += (response as { rows: unknown[] }).rows.length;
    }
  };
  knex.on('query', onQuery);
  knex.on('query-response', onResponse);
  try {
    return { result: await call(), queries, rows };
  } finally {
    knex.removeListener('query', onQuery);
    knex.removeListener('query-response', onResponse);
  }
}
