import { AuditEvent, Page } from '@promotion/plugin-promotion-common';
import {
  EXPORT_CHUNK_EVENTS,
  EXPORT_PAGE_SIZE,
  formatAuditExport,
} from './auditExport';

const event = (seq: number): AuditEvent => ({
  seq,
  id: `e${seq}`,
  type: 'deployment.recorded',
  entityRef: 'component:default/payments-sftp',
  environmentId: 'prod',
  version: '1.0.0',
  actor: 'service:ci',
  occurredAt: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
  summary:
    seq === 2 ? 'Deployed, with "quotes", commas\nand a newline' : 'Deployed',
  payload: { seq },
  previousHash: `h${seq - 1}`,
  hash: `h${seq}`,
});

/** A trail of `total` events served in pages of `pageSize`, recording each fetch. */
function trail(total: number, pageSize: number) {
  const cursors: Array<string | undefined> = [];
  const fetchPage = async (cursor?: string): Promise<Page<AuditEvent>> => {
    cursors.push(cursor);
    const start = cursor ? Number(cursor) : 0;
    const items = Array.from(
      { length: Math.max(0, Math.min(pageSize, total - start)) },
      (_, i) => event(start + i + 1),
    );
    const end = start + items.length;
    return { items, ...(end < total && { nextCursor: String(end) }) };
  };
  return { fetchPage, cursors };
}

async function collect(iterable: AsyncIterable<string>) {
  const chunks: string[] = [];
  for await (const chunk of iterable) {
    chunks.push(chunk);
  }
  return chunks;
}

describe('formatAuditExport', () => {
  it('reads the store in pages of 500', () => {
    expect(EXPORT_PAGE_SIZE).toBe(500);
  });

  it('writes a page in chunks of at most 100 events, every event once, in order', async () => {
    expect(EXPORT_CHUNK_EVENTS).toBe(100);
    // 250 events a page: 100, 100, 50; then 200: 100, 100.
    const csv = await collect(
      formatAuditExport({ format: 'csv', ...trail(450, 250) }),
    );
    expect(csv).toHaveLength(5);
    const { fetchPage, cursors } = trail(450, 250);
    const ndjson = await collect(
      formatAuditExport({ format: 'ndjson', fetchPage }),
    );
    expect(cursors).toEqual([undefined, '250']);
    expect(ndjson.map(chunk => chunk.trim().split('\n').length)).toEqual([
      100, 100, 50, 100, 100,
    ]);
    expect(
      ndjson
        .join('')
        .trim()
        .split('\n')
        .map(line => JSON.parse(line).seq),
    ).toEqual(Array.from({ length: 450 }, (_, i) => i + 1));
    // The CSV holds the header and every event's row, the same text as
    // written in one piece.
    expect(csv.join('').split('\n')[0]).toBe(
      'seq,id,type,occurredAt,actor,entityRef,environmentId,version,summary,payload,previousHash,hash',
    );
    expect(csv.join('')).toContain('\n450,e450,');
  });

  it('writes CSV with one header row, page by page', async () => {
    const { fetchPage, cursors } = trail(5, 2);
    const chunks = await collect(
      formatAuditExport({ format: 'csv', fetchPage }),
    );
    expect(cursors).toEqual([undefined, '2', '4']);
    expect(chunks).toHaveLength(3);

    const csv = chunks.join('');
    expect(csv.split('\n')[0]).toBe(
      'seq,id,type,occurredAt,actor,entityRef,environmentId,version,summary,payload,previousHash,hash',
    );
    expect(csv.match(/^seq,/gm)).toHaveLength(1);
    expect(csv).toContain('"Deployed, with ""quotes"", commas\nand a newline"');
    expect(csv).toContain('"{""seq"":5}"');
  });

  it('writes one JSON event per line for NDJSON', async () => {
    const { fetchPage } = trail(3, 2);
    const chunks = await collect(
      formatAuditExport({ format: 'ndjson', fetchPage }),
    );
    const lines = chunks.join('').trim().split('\n');
    expect(lines.map(line => JSON.parse(line).seq)).toEqual([1, 2, 3]);
  });

  it('writes only the header for an empty CSV export and nothing for NDJSON', async () => {
    expect(
      await collect(formatAuditExport({ format: 'csv', ...trail(0, 2) })),
    ).toHaveLength(1);
    expect(
      await collect(formatAuditExport({ format: 'ndjson', ...trail(0, 2) })),
    ).toEqual([]);
  });

  it('fails before yielding anything when the first page cannot be read', async () => {
    const iterator = formatAuditExport({
      format: 'csv',
      fetchPage: async () => {
        throw new Error('database gone');
      },
    })[Symbol.asyncIterator]();
    await expect(iterator.next()).rejects.toThrow('database gone');
  });

  it('neutralises cells a spreadsheet would run as formulas', async () => {
    const forged = {
      ...event(1),
      version: '@SUM(1+1)',
      summary: "=cmd|' /C calc'!A0",
    };
    const chunks = await collect(
      formatAuditExport({
        format: 'csv',
        fetchPage: async () => ({ items: [forged] }),
      }),
    );
    const row = chunks.join('').split('\n')[1];
    expect(row).toContain(",'@SUM(1+1),'=cmd|' /C calc'!A0,");
  });
});
