import { Deployment } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { mapDeploymentRow } from '../../mappers';
import { DbDeploymentRow, TABLES } from '../../tables';
import { oldestFirst } from '../queryHelpers';

/** The deployment with that id, if any. */
export async function getDeployment(
  db: Knex | Knex.Transaction,
  id: string,
): Promise<Deployment | undefined> {
  const row = await db<DbDeploymentRow>(TABLES.deployments)
    .where({ id })
    .first();
  return row ? mapDeploymentRow(row) : undefined;
}

/** Deployments reported in a time range (inclusive bounds) and environments, oldest first. */
export async function listDeployments(
  db: Knex | Knex.Transaction,
  options: {
    from?: Date;
    to?: Date;
    environmentIds?: string[];
  },
): Promise<Deployment[]> {
  const query = db<DbDeploymentRow>(TABLES.deployments);
  if (options.from) {
    query.where('reported_at', '>=', options.from);
  }
  if (options.to) {
    query.where('reported_at', '<=', options.to);
  }
  if (options.environmentIds) {
    query.whereIn('environment_id', options.environmentIds);
  }
  const rows = await query.orderBy(oldestFirst('reported_at'));
  return rows.map(mapDeploymentRow);
}
