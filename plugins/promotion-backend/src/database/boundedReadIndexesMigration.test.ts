import { describeIndexMigration } from './__testUtils__/indexMigration';
import { TABLES } from './tables';

/*
 * 20261129000000_bounded_read_indexes: the indexes the bounded reads of the
 * gate and the flow state go through (operations/flows/getGateFacts.ts,
 * getFlowStateFacts.ts), on every supported database; its down drops them
 * and nothing else.
 */

describeIndexMigration(
  'adds the indexes of the bounded reads, and its down drops only them',
  () => ({
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
  }),
);
