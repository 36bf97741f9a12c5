import { GateCondition } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { DbBreakGlassRow, TABLES } from '../../tables';
import { NewAuditEvent } from '../audit/appendEvents';

/**
 * Marks an approved break-glass declaration used by a deployment, inside
 * the deployment's transaction: a guarded update (approved, unused, not
 * expired), so that of two deployments only one goes in on it. Returns the
 * `break-glass.used` event to append, or undefined when the declaration was
 * no longer usable (the deployment then goes in without it).
 */
export async function useBreakGlass(
  tx: Knex.Transaction,
  use: {
    breakGlassId: string;
    deploymentId: string;
    entityRef: string;
    environmentId: string;
    version: string;
    overriddenConditions: GateCondition[];
  },
  now: Date,
): Promise<NewAuditEvent | undefined> {
  const touched = await tx<DbBreakGlassRow>(TABLES.breakGlasses)
    .where({ id: use.breakGlassId, status: 'approved' })
    .whereNull('deployment_id')
    .where('expires_at', '>', now)
    .update({
      status: 'used',
      deployment_id: use.deploymentId,
      used_at: now,
      overridden_conditions: JSON.stringify(use.overriddenConditions),
    });
  if (touched !== 1) {
    return undefined;
  }
  return {
    type: 'break-glass.used',
    entityRef: use.entityRef,
    environmentId: use.environmentId,
    version: use.version,
    summary: `Deployment of ${use.version} to ${
      use.environmentId
    } went in on break-glass, overriding: ${use.overriddenConditions
      .map(c => c.message)
      .join(' ')}; its retrospective review is open`,
    payload: {
      breakGlassId: use.breakGlassId,
      deploymentId: use.deploymentId,
      overriddenConditions: use.overriddenConditions,
    },
  };
}
