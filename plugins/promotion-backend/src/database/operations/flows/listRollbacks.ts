import { Rollback } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { mapRollbackRow } from '../../mappers';
import { ListRollbacksOptions } from '../../PromotionStore';
import { DbRollbackRow, TABLES } from '../../tables';
import { oldestFirst } from '../queryHelpers';

/** Rollbacks by flow, environment and time recorded (inclusive bounds), oldest first. */
export async function listRollbacks(
  db: Knex | Knex.Transaction,
  options: ListRollbacksOptions,
): Promise<Rollback[]> {
  const query = db<DbRollbackRow>(TABLES.rollbacks);
  if (options.entityRef) {
    query.where('entity_ref', options.entityRef);
  }
  if (options.environmentId) {
    query.where('environment_id', options.environmentId);
  }
  if (options.from) {
    query.where('recorded_at', '>=', options.from);
  }
  if (options.to) {
    query.where('recorded_at', '<=', options.to);
  }
  const rows = await query.orderBy(oldestFirst('recorded_at'));
  return rows.map(mapRollbackRow);
}
