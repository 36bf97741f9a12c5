import { NotFoundError } from '@backstage/errors';
import { PromotionRequest } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { mapRequestRow } from '../../mappers';
import { ListRequestsOptions } from '../../PromotionStore';
import { DbDecisionRow, DbRequestRow, TABLES } from '../../tables';
import { chunks, IN_CHUNK_SIZE, oldestFirst } from '../queryHelpers';

/** The request row with that id, if any. */
export async function findRequestRow(
  db: Knex | Knex.Transaction,
  id: string,
): Promise<DbRequestRow | undefined> {
  return await db<DbRequestRow>(TABLES.requests).where({ id }).first();
}

/** Reads the decisions of the requests (in chunks) and maps each request with its own. */
export async function withDecisions(
  db: Knex | Knex.Transaction,
  rows: DbRequestRow[],
): Promise<PromotionRequest[]> {
  const byRequest = new Map<string, DbDecisionRow[]>();
  for (const ids of chunks(
    rows.map(r => r.id),
    IN_CHUNK_SIZE,
  )) {
    const decisions = await db<DbDecisionRow>(TABLES.decisions)
      .whereIn('request_id', ids)
      .orderBy(oldestFirst('decided_at'));
    for (const decision of decisions) {
      const list = byRequest.get(decision.request_id) ?? [];
      list.push(decision);
      byRequest.set(decision.request_id, list);
    }
  }
  return rows.map(row => mapRequestRow(row, byRequest.get(row.id) ?? []));
}

/** The promotion request with its decisions, if it exists. */
export async function getRequest(
  db: Knex | Knex.Transaction,
  id: string,
): Promise<PromotionRequest | undefined> {
  const row = await findRequestRow(db, id);
  if (!row) {
    return undefined;
  }
  const [request] = await withDecisions(db, [row]);
  return request;
}

/** The promotion request with its decisions, which must exist (a NotFoundError otherwise). */
export async function readRequest(
  db: Knex | Knex.Transaction,
  id: string,
): Promise<PromotionRequest> {
  const row = await findRequestRow(db, id);
  if (!row) {
    throw new NotFoundError(`No promotion request with id ${id}`);
  }
  const [request] = await withDecisions(db, [row]);
  return request;
}

/** Promotion requests by status, flow and environment (the approvers' inbox), oldest first. */
export async function listRequests(
  db: Knex | Knex.Transaction,
  options: ListRequestsOptions,
): Promise<PromotionRequest[]> {
  const query = db<DbRequestRow>(TABLES.requests);
  if (options.status) {
    query.whereIn('status', options.status);
  }
  if (options.entityRef) {
    query.where('entity_ref', options.entityRef);
  }
  if (options.environmentId) {
    query.where('environment_id', options.environmentId);
  }
  const rows = await query.orderBy(oldestFirst('created_at'));
  return withDecisions(db, rows);
}
