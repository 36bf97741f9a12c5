import { Knex } from 'knex';

/**
 * Runs `fn` in one read transaction that sees one consistent snapshot of the
 * database: REPEATABLE READ (and READ ONLY) on PostgreSQL, REPEATABLE READ
 * on MySQL (its snapshot starts at the first read), and SQLite's
 * transaction, which is a snapshot by itself. Appends that commit meanwhile
 * are not seen, so a verification never mistakes them for breaks.
 */
export async function inSnapshot<T>(
  db: Knex,
  fn: (tx: Knex.Transaction) => Promise<T>,
): Promise<T> {
  switch (db.client.dialect) {
    case 'postgresql':
      return db.transaction(fn, {
        isolationLevel: 'repeatable read',
        readOnly: true,
      });
    case 'mysql':
      return db.transaction(fn, { isolationLevel: 'repeatable read' });
    default:
      return db.transaction(fn);
  }
}
