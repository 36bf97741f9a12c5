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
 * 20261129000000_bounded_read_indexes: the indexes the bounded reads of the
 * gate and the flow state go through (operations/flows/getGateFacts.ts,
 * getFlowStateFacts.ts), on every supported database; its down drops them
 * and nothing else.
 */

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())(
  'migration 20261129000000_bounded_read_indexes on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;

    beforeEach(async () => {
      knex = await databases.init(databaseId);
    }, DATABASE_HOOK_TIMEOUT_MS);

    afterEach(async () => {
      await knex.destroy();
    }, DATABASE_HOOK_TIMEOUT_MS);

    it('adds the indexes of the bounded reads, and its down drops only them', async () => {
      await expectIndexMigration(knex, {
        migration: '20261129000000_bounded_read_indexes.js',
        indexes: {
          [TABLES.deployments]: [
            'promotion_deployments_version_idx',
            'promotion_deployments_reported_idx',
          ],
          [TABLES.checklistCompletions]: [
            'promotion_checklist_completions_version_idx',
          ],
          [TABLES.signOffs]: ['promotion_sign_offs_version_idx'],
          [TABLES.requests]: ['promotion_requests_flow_status_idx'],
          [TABLES.standingApprovals]: [
            'promotion_standing_approvals_revoked_idx',
            'promotion_standing_approvals_granted_idx',
          ],
          [TABLES.rollbacks]: [
            'promotion_rollbacks_recorded_idx',
            'promotion_rollbacks_environment_idx',
          ],
        },
      });
    });
  },
);
