import { InputError } from '@backstage/errors';
import { AuditEvent, Page } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { mapAuditEventRow } from '../../mappers';
import { ListEventsOptions } from '../../PromotionStore';
import { DbAuditEventRow, TABLES } from '../../tables';

const DEFAULT_PAGE_SIZE = 50;
const MAX_PAGE_SIZE = 500;

function encodeCursor(seq: number): string {
  return Buffer.from(`seq:${seq}`, 'utf8').toString('base64url');
}

function decodeCursor(cursor: string): number {
  const match = /^seq:(\d+)$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  if (!match) {
    throw new InputError(`Invalid cursor '${cursor}'`);
  }
  return Number(match[1]);
}

/**
 * One page of the audit trail in seq order, with keyset pagination: the
 * cursor is the last seq of the previous page.
 */
export async function listEvents(
  db: Knex | Knex.Transaction,
  options: ListEventsOptions,
): Promise<Page<AuditEvent>> {
  const limit = options.limit ?? DEFAULT_PAGE_SIZE;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE_SIZE) {
    throw new InputError(
      `limit must be an integer from 1 to ${MAX_PAGE_SIZE}, got ${limit}`,
    );
  }
  const order = options.order ?? 'desc';

  const filtered = () => {
    const query = db<DbAuditEventRow>(TABLES.auditEvents);
    if (options.entityRef) {
      query.where('entity_ref', options.entityRef);
    }
    if (options.from) {
      query.where('occurred_at', '>=', options.from);
    }
    if (options.to) {
      query.where('occurred_at', '<=', options.to);
    }
    return query;
  };

  const query = filtered();
  if (options.cursor) {
    const after = decodeCursor(options.cursor);
    query.where('seq', order === 'desc' ? '<' : '>', after);
  }
  const rows = await query.orderBy('seq', order).limit(limit + 1);
  const items = rows.slice(0, limit).map(mapAuditEventRow);
  const page: Page<AuditEvent> = { items };
  if (rows.length > limit) {
    page.nextCursor = encodeCursor(items[items.length - 1].seq);
  }
  if (options.includeTotalCount) {
    const [{ count }] = await filtered().count({ count: '*' });
    page.totalCount = Number(count);
  }
  return page;
}
