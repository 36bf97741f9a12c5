import { AuditEvent, Page } from '@promotion/plugin-promotion-common';
import { toCsv } from './csv';

/** How many events are read from the store per page while exporting. */
export const EXPORT_PAGE_SIZE = 500;

export type AuditExportFormat = 'csv' | 'ndjson';

export const AUDIT_EXPORT_CONTENT_TYPES: Record<AuditExportFormat, string> = {
  csv: 'text/csv; charset=utf-8',
  ndjson: 'application/x-ndjson; charset=utf-8',
};

const CSV_COLUMNS = [
  'seq',
  'id',
  'type',
  'occurredAt',
  'actor',
  'entityRef',
  'environmentId',
  'version',
  'summary',
  'payload',
  'previousHash',
  'hash',
] as const;

function csvRow(event: AuditEvent): string[] {
  return CSV_COLUMNS.map(column => {
    if (column === 'payload') {
      return JSON.stringify(event.payload ?? {});
    }
    const value = event[column];
    return value === undefined ? '' : String(value);
  });
}

/**
 * Formats the audit trail page by page, oldest first, so an export of any size
 * holds at most one page in memory. The CSV starts with a header row. The
 * first page is read before anything is yielded, so a failing store surfaces
 * before a response is started.
 */
export async function* formatAuditExport(options: {
  format: AuditExportFormat;
  fetchPage: (cursor?: string) => Promise<Page<AuditEvent>>;
}): AsyncGenerator<string> {
  const { format, fetchPage } = options;
  let page = await fetchPage();
  let chunk = format === 'csv' ? toCsv([[...CSV_COLUMNS]]) : '';
  for (;;) {
    if (page.items.length > 0) {
      chunk +=
        format === 'csv'
          ? toCsv(page.items.map(csvRow))
          : page.items.map(event => `${JSON.stringify(event)}\n`).join('');
    }
    if (chunk) {
      yield chunk;
    }
    if (!page.nextCursor) {
      return;
    }
    page = await fetchPage(page.nextCursor);
    chunk = '';
  }
}
