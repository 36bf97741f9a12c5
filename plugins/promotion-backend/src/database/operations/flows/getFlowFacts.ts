import { FlowFacts } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import {
  mapChecklistCompletionRow,
  mapDeploymentRow,
  mapRollbackRow,
  mapSignOffRow,
  mapStandingApprovalRow,
} from '../../mappers';
import {
  DbChecklistCompletionRow,
  DbDeploymentRow,
  DbRequestRow,
  DbRollbackRow,
  DbSignOffRow,
  DbStandingApprovalRow,
  TABLES,
} from '../../tables';
import { withDecisions } from '../requests/getRequests';
import { oldestFirst, runIndependentQueries } from '../queryHelpers';

/**
 * Everything the gate looks at for one flow, oldest first: deployments,
 * active checklist completions, sign-offs, standing approvals, promotion
 * requests with their decisions, and rollbacks. On a transaction (a
 * deployment evaluating its gate) the reads run one after the other.
 */
export async function getFlowFacts(
  db: Knex | Knex.Transaction,
  entityRef: string,
): Promise<FlowFacts> {
  const [deployments, completions, signOffs, approvals, requests, rollbacks] =
    await runIndependentQueries(db, [
      () =>
        db<DbDeploymentRow>(TABLES.deployments)
          .where({ entity_ref: entityRef })
          .orderBy(oldestFirst('reported_at')),
      () =>
        db<DbChecklistCompletionRow>(TABLES.checklistCompletions)
          .where({ entity_ref: entityRef, undone_key: '' })
          .orderBy(oldestFirst('completed_at')),
      () =>
        db<DbSignOffRow>(TABLES.signOffs)
          .where({ entity_ref: entityRef })
          .orderBy(oldestFirst('signed_off_at')),
      () =>
        db<DbStandingApprovalRow>(TABLES.standingApprovals)
          .where({ entity_ref: entityRef })
          .orderBy(oldestFirst('granted_at')),
      () =>
        db<DbRequestRow>(TABLES.requests)
          .where({ entity_ref: entityRef })
          .orderBy(oldestFirst('created_at')),
      () =>
        db<DbRollbackRow>(TABLES.rollbacks)
          .where({ entity_ref: entityRef })
          .orderBy(oldestFirst('recorded_at')),
    ]);
  return {
    deployments: deployments.map(mapDeploymentRow),
    checklistCompletions: completions.map(mapChecklistCompletionRow),
    signOffs: signOffs.map(mapSignOffRow),
    standingApprovals: approvals.map(mapStandingApprovalRow),
    requests: await withDecisions(db, requests),
    rollbacks: rollbacks.map(mapRollbackRow),
  };
}
