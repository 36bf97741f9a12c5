import { Deployment } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { mapDeploymentRow } from '../../mappers';
import {
  StandingDeploymentQuery,
  VersionDeploymentsQuery,
} from '../../PromotionStore';
import { DbDeploymentRow, TABLES } from '../../tables';
import { oldestFirst } from '../queryHelpers';
import { deploymentsIn, standingDeploymentIn } from './factQueries';

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

/** Every deployment of one version of a flow into one environment, oldest first. */
export async function listVersionDeployments(
  db: Knex | Knex.Transaction,
  query: VersionDeploymentsQuery,
): Promise<Deployment[]> {
  const rows = await deploymentsIn(db, query.entityRef, query.environmentId)
    .where('version', query.version)
    .orderBy(oldestFirst('reported_at'));
  return rows.map(mapDeploymentRow);
}

/**
 * The deployment standing in an environment (`currentVersionIn`), or with
 * `exceptVersion` the newest standing one of another version; one row read
 * through an index.
 */
export async function getStandingDeployment(
  db: Knex | Knex.Transaction,
  query: StandingDeploymentQuery,
): Promise<Deployment | undefined> {
  const [row] = await standingDeploymentIn(
    db,
    query.entityRef,
    query.environmentId,
    { exceptVersion: query.exceptVersion },
  );
  return row ? mapDeploymentRow(row) : undefined;
}
