import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { DbRequestRow, DbStandingApprovalRow, TABLES } from '../../tables';
import { NewAuditEvent } from '../audit/appendEvents';

/**
 * Grants the standing approval of a request that has just been approved on
 * an environment with `once` approval, inside the decision's transaction;
 * returns the audit event to append.
 */
export async function grantStandingApproval(
  tx: Knex.Transaction,
  request: DbRequestRow,
  approvers: string[],
  now: Date,
): Promise<NewAuditEvent> {
  const standing: DbStandingApprovalRow = {
    id: randomUUID(),
    entity_ref: request.entity_ref,
    environment_id: request.environment_id,
    request_id: request.id,
    granted_at: now,
    granted_by: JSON.stringify(approvers),
    revoked_at: null,
    revoked_by: null,
    revoke_reason: null,
  };
  await tx(TABLES.standingApprovals).insert(standing);
  return {
    type: 'standing-approval.granted',
    entityRef: request.entity_ref,
    environmentId: request.environment_id,
    version: request.version,
    summary: `Standing approval of ${request.entity_ref} into ${
      request.environment_id
    } granted by ${approvers.join(', ')}`,
    payload: {
      standingApprovalId: standing.id,
      requestId: request.id,
      grantedBy: approvers,
    },
  };
}
