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
 * 20261204000000_drop_flow_only_indexes: the indexes on entity_ref alone of
 * the deployments, the sign-offs and the requests (the requests' but on
 * MySQL) are gone (why: operations/flows/flowReads.plans.test.ts); its down
 * adds them back and does nothing else.
 */

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())(
  'migration 20261204000000_drop_flow_only_indexes on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
    }, DATABASE_HOOK_TIMEOUT_MS);

    afterEach(async () => {
      await knex.destroy();
    }, DATABASE_HOOK_TIMEOUT_MS);

    it('drops the indexes on entity_ref alone, and its down adds back only them', async () => {
      await expectIndexMigration(knex, {
        migration: '20261204000000_drop_flow_only_indexes.js',
        indexes: {},
        dropped: {
          [TABLES.deployments]: ['promotion_deployments_entity_ref_idx'],
          [TABLES.signOffs]: ['promotion_sign_offs_entity_ref_idx'],
          // (Kept on MySQL: see the migration.)
          [TABLES.requests]: databaseId.startsWith('MYSQL')
            ? []
            : ['promotion_requests_entity_ref_idx'],
        },
      });
    });
  },
);
