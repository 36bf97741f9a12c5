import { describeIndexMigration } from './__testUtils__/indexMigration';
import { TABLES } from './tables';

/*
 * 20261203000000_insights_indexes: the indexes the insights' range reads go
 * through (operations/insights/readInsights.ts), on every supported
 * database; its down drops them and nothing else.
 */

describeIndexMigration(
  'adds the indexes of the insights, and its down drops only them',
  () => ({
    migration: '20261203000000_insights_indexes.js',
    indexes: {
      [TABLES.deployments]: ['promotion_deployments_environment_time_idx'],
      [TABLES.requests]: ['promotion_requests_decided_idx'],
      [TABLES.rollbacks]: ['promotion_rollbacks_environment_time_idx'],
    },
  }),
);
