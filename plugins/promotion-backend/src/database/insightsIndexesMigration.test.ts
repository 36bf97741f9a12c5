import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { expectIndexMigration } from './__testUtils__/indexMigration';
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

const databases = createTestDatabases();

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
      await expectIndexMigration(knex, {
        migration: '20261203000000_insights_indexes.js',
        indexes: {
          [TABLES.deployments]: ['promotion_deployments_environment_time_idx'],
          [TABLES.requests]: ['promotion_requests_decided_idx'],
          [TABLES.rollbacks]: ['promotion_rollbacks_environment_time_idx'],
        },
      });
    });
  },
);
