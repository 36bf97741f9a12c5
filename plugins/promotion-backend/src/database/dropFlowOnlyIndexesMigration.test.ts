import { describeIndexMigration } from './__testUtils__/indexMigration';
import { TABLES } from './tables';

/*
 * 20261204000000_drop_flow_only_indexes: the indexes on entity_ref alone of
 * the deployments, the sign-offs and the requests (the requests' but on
 * MySQL) are gone (why: operations/flows/flowReads.plans.test.ts); its down
 * adds them back and does nothing else.
 */

describeIndexMigration(
  'drops the indexes on entity_ref alone, and its down adds back only them',
  databaseId => ({
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
  }),
);
