import { AuditEvent, Page } from '@promotion/plugin-promotion-common';
import { toCsv } from './csv';

/** How many events are read from the store per page while exporting. */
export const EXPORT_PAGE_SIZE = 500;

/**
 * Events per chunk written: about 60 kB of CSV, a string small enough for
 * V8's young generation, so that the export's garbage is collected as it
 * goes. A page's CSV in one string (about 300 kB) is a large object, kept
 * until a full collection: an export of a million events grew the
 * backend's memory by 185 MB.
 */
export const EXPORT_CHUNK_EVENTS = 100;

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
 * holds at most one page in memory, in chunks of at most
 * {@link EXPORT_CHUNK_EVENTS} events. The CSV starts with a header row. The
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
    for (
      let start = 0;
      start < page.items.length;
      start += EXPORT_CHUNK_EVENTS
    ) {
      const events = page.items.slice(start, start + EXPORT_CHUNK_EVENTS);
      chunk +=
        format === 'csv'
          ? toCsv(events.map(csvRow))
          : events.map(event => `${JSON.stringify(event)}\n`).join('');
      yield chunk;
      chunk = '';
    }
    if (chunk) {
      // The header of an empty trail.
      yield chunk;
      chunk = '';
    }
    if (!page.nextCursor) {
      return;
    }
    page = await fetchPage(page.nextCursor);
  }
}
