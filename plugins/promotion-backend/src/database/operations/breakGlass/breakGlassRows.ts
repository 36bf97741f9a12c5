import { BreakGlass } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { mapBreakGlassRow } from '../../mappers';
import { DbBreakGlassRow, TABLES } from '../../tables';

/** One declaration, if it exists. */
export async function getBreakGlass(
  db: Knex | Knex.Transaction,
  id: string,
): Promise<BreakGlass | undefined> {
  const row = await db<DbBreakGlassRow>(TABLES.breakGlasses)
    .where({ id })
    .first();
  return row ? mapBreakGlassRow(row) : undefined;
}

/** What to list: a flow's declarations, or every flow's, narrowed down. */
export interface ListBreakGlassesQuery {
  entityRef?: string;
  environmentId?: string;
  version?: string;
  /**
   * Only those still in play: pending, approved and unused, and used with an
   * open retrospective review. Default: all.
   */
  inPlay?: boolean;
}

/** The order declarations are listed in: oldest first. */
export const BREAK_GLASS_ORDER = [
  { column: 'declared_at', order: 'asc' },
  { column: 'id', order: 'asc' },
] as const;

/** The query of {@link listBreakGlasses}: its rows, oldest first. */
export function breakGlassesQuery(
  db: Knex | Knex.Transaction,
  query: ListBreakGlassesQuery,
): Knex.QueryBuilder<DbBreakGlassRow, DbBreakGlassRow[]> {
  return db<DbBreakGlassRow>(TABLES.breakGlasses)
    .modify(q => {
      if (query.entityRef !== undefined) {
        q.where('entity_ref', query.entityRef);
      }
      if (query.environmentId !== undefined) {
        q.where('environment_id', query.environmentId);
      }
      if (query.version !== undefined) {
        q.where('version', query.version);
      }
      if (query.inPlay) {
        q.where(inPlay =>
          inPlay
            .whereIn('status', ['pending', 'approved'])
            .orWhere(used =>
              used.where('status', 'used').whereNull('review_closed_at'),
            ),
        );
      }
    })
    .orderBy([...BREAK_GLASS_ORDER]);
}

/** Declarations, oldest first. */
export async function listBreakGlasses(
  db: Knex | Knex.Transaction,
  query: ListBreakGlassesQuery,
): Promise<BreakGlass[]> {
  const rows = await breakGlassesQuery(db, query);
  return rows.map(mapBreakGlassRow);
}
