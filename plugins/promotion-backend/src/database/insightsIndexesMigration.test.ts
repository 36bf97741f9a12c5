import { resolvePackagePath } from '@backstage/backend-plugin-api';
import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
  DATABASE_TEST_TIMEOUT_MS,
} from './__testUtils__/testDatabases';
import { TABLES } from './tables';

/*
 * 20261203000000_insights_indexes: the indexes the insights' range reads go
 * through (operations/insights/readInsights.ts), on every supported
 * database; its down drops them and nothing else.
 */

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

const migrationsDir = resolvePackagePath(
  '@promotion/plugin-promotion-backend',
  'migrations',
);
const INSIGHTS = '20261203000000_insights_indexes.js';

const databases = createTestDatabases();

const INDEXES: Record<string, string[]> = {
  [TABLES.deployments]: ['promotion_deployments_environment_time_idx'],
  [TABLES.requests]: ['promotion_requests_decided_idx'],
  [TABLES.rollbacks]: ['promotion_rollbacks_environment_time_idx'],
};

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

async function allIndexes(knex: Knex): Promise<Record<string, string[]>> {
  const result: Record<string, string[]> = {};
  for (const table of Object.keys(INDEXES)) {
    result[table] = await indexesOf(knex, table);
  }
  return result;
}

describe.each(databases.eachSupportedId())(
  'migration 20261203000000_insights_indexes on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
    }, DATABASE_HOOK_TIMEOUT_MS);

    afterEach(async () => {
      await knex.destroy();
    }, DATABASE_HOOK_TIMEOUT_MS);

    it('adds the indexes of the insights, and its down drops only them', async () => {
      await knex.migrate.latest({ directory: migrationsDir });
      const migrated = await allIndexes(knex);
      for (const [table, names] of Object.entries(INDEXES)) {
        expect(migrated[table]).toEqual(expect.arrayContaining(names));
      }

      await knex.migrate.down({
        directory: migrationsDir,
        name: INSIGHTS,
      });
      const before = await allIndexes(knex);
      for (const [table, names] of Object.entries(INDEXES)) {
        expect(before[table]).toEqual(
          migrated[table].filter(name => !names.includes(name)),
        );
      }

      await knex.migrate.up({ directory: migrationsDir, name: INSIGHTS });
      expect(await allIndexes(knex)).toEqual(migrated);
    });
  },
);
