import { Knex } from 'knex';
import { createHash } from 'node:crypto';

/**
 * The name of a PostgreSQL prepared statement of the text: the same text
 * always gets the same name (at most 63 characters).
 */
export function preparedStatementName(text: string): string {
  return `promotion_${createHash('sha1').update(text, 'utf8').digest('hex')}`;
}

/**
 * A statement of the write path run as a named prepared statement on
 * PostgreSQL (`db.raw`, so its answer is the driver's result): the driver
 * prepares it once per connection, and the database neither parses nor
 * plans it again. For the statements every deployment report runs, which
 * cost the database more to parse and plan than to run. `text` must be the
 * whole statement, values bound (`?`), no identifier bindings (`??`), so
 * that its name stands for it; its result must not depend on a table's
 * columns (no `*`), so that a migration cannot change it under a prepared
 * statement.
 */
export function preparedRaw(
  db: Knex | Knex.Transaction,
  text: string,
  bindings: readonly Knex.Value[],
): Knex.Raw {
  return db.raw(text, bindings).options({ name: preparedStatementName(text) });
}
