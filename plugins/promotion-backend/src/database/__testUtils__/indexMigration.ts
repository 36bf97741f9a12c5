// This module defines tests (describeIndexMigration) that run in the test
// files calling it, beside the helpers they share.
/* eslint-disable jest/no-export */
import { MIGRATIONS_DIR } from '../migrationsDir';
import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import {
  createTestDatabases,
  setUpEmptyDatabase,
  DATABASE_TEST_TIMEOUT_MS,
} from './testDatabases';

/** The names of a table's indexes, as the database lists them. */
async function indexesOf(knex: Knex, table: string): Promise<string[]> {
  const dialect = knex.client.config.client;
  let names: string[];
  if (dialect === 'pg') {
    const { rows } = await knex.raw(
      'select indexname as name from pg_indexes where tablename = ?',
      [table],
    );
    names = rows.map((r: { name: string }) => r.name);
  } else if (dialect === 'mysql2' || dialect === 'mysql') {
    const [rows] = await knex.raw(
      'select distinct index_name as name from information_schema.statistics where table_schema = database() and table_name = ?',
      [table],
    );
    names = rows.map((r: { name: string }) => r.name);
  } else {
    const rows = await knex('sqlite_master')
      .where({ type: 'index', tbl_name: table })
      .select('name');
    names = rows.map(r => r.name);
  }
  return names.sort();
}

/** A migration that only adds (or drops) indexes. */
export interface IndexMigration {
  /** The migration's file name, e.g. `20261129000000_bounded_read_indexes.js`. */
  migration: string;
  /** The indexes it adds, by table. */
  indexes: Record<string, string[]>;
  /** The indexes it drops, by table. */
  dropped?: Record<string, string[]>;
}

/**
 * What a migration that only adds (or drops) indexes must do, on a fresh
 * database: after all migrations each table has the indexes it adds and not
 * those it drops; the migration's down drops the former, adds the latter
 * back, and does nothing else; its up does it all again.
 */
export async function expectIndexMigration(
  knex: Knex,
  options: IndexMigration,
): Promise<void> {
  const { migration, indexes, dropped = {} } = options;
  const tables = [
    ...new Set([...Object.keys(indexes), ...Object.keys(dropped)]),
  ];
  const allIndexes = async () => {
    const result: Record<string, string[]> = {};
    for (const table of tables) {
      result[table] = await indexesOf(knex, table);
    }
    return result;
  };

  await knex.migrate.latest({ directory: MIGRATIONS_DIR });
  const migrated = await allIndexes();
  for (const [table, names] of Object.entries(indexes)) {
    expect(migrated[table]).toEqual(expect.arrayContaining(names));
  }
  for (const [table, names] of Object.entries(dropped)) {
    expect(migrated[table].filter(name => names.includes(name))).toEqual([]);
  }

  await knex.migrate.down({ directory: MIGRATIONS_DIR, name: migration });
  const before = await allIndexes();
  for (const table of tables) {
    const added = indexes[table] ?? [];
    expect(before[table]).toEqual(
      [
        ...migrated[table].filter(name => !added.includes(name)),
        ...(dropped[table] ?? []),
      ].sort(),
    );
  }

  await knex.migrate.up({ directory: MIGRATIONS_DIR, name: migration });
  expect(await allIndexes()).toEqual(migrated);
}

/**
 * The test of an index migration ({@link expectIndexMigration}) on every
 * supported database, each on a fresh one: `what` says what it does, e.g.
 * "adds the indexes of the insights, and its down drops only them"; the
 * indexes may depend on the database.
 */
export function describeIndexMigration(
  what: string,
  migrationOn: (databaseId: TestDatabaseId) => IndexMigration,
): void {
  jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);
  const databases = createTestDatabases();
  describe.each(databases.eachSupportedId())(
    'index migration on %s',
    (databaseId: TestDatabaseId) => {
      let knex: Knex;
      setUpEmptyDatabase(databases, databaseId, made => {
        knex = made;
      });

      it(`${migrationOn(databaseId).migration} ${what}`, async () => {
        await expectIndexMigration(knex, migrationOn(databaseId));
      });
    },
  );
}
