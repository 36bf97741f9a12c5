import { Knex } from 'knex';

/** A node of a query plan, as EXPLAIN's JSON gives it. */
export interface PlanNode {
  node: string;
  relation?: string;
  index?: string;
  condition?: string;
  /** Rows read and thrown away (by a filter or an index recheck). */
  discarded: number;
  /** Rows it returned, over all its loops (ANALYZE). */
  rows: number;
  loops: number;
  /** Buffers it read, its children's too (ANALYZE, BUFFERS). */
  blocks: number;
}

/** Every node of a plan (EXPLAIN's JSON, with or without ANALYZE and BUFFERS). */
export function planNodes(plan: unknown): PlanNode[] {
  const found: PlanNode[] = [];
  const walk = (node: unknown) => {
    if (Array.isArray(node)) {
      node.forEach(walk);
      return;
    }
    if (node && typeof node === 'object') {
      const record = node as Record<string, unknown>;
      if (typeof record['Node Type'] === 'string') {
        found.push({
          node: record['Node Type'],
          relation: record['Relation Name'] as string | undefined,
          index: record['Index Name'] as string | undefined,
          condition: (record['Recheck Cond'] ?? record['Index Cond']) as
            | string
            | undefined,
          discarded:
            Number(record['Rows Removed by Filter'] ?? 0) +
            Number(record['Rows Removed by Index Recheck'] ?? 0),
          rows:
            Number(record['Actual Rows'] ?? 0) *
            Number(record['Actual Loops'] ?? 1),
          loops: Number(record['Actual Loops'] ?? 1),
          blocks:
            Number(record['Shared Hit Blocks'] ?? 0) +
            Number(record['Shared Read Blocks'] ?? 0),
        });
      }
      Object.values(record).forEach(walk);
    }
  };
  walk(plan);
  return found;
}

/**
 * The statements a call sends on the connection, each as the driver gets
 * it: its text and its values (those a statement passes to the driver
 * itself, numbered already, or else its bindings).
 */
export async function recordStatements<T>(
  knex: Knex,
  call: () => Promise<T>,
): Promise<{ result: T; sent: Array<{ sql: string; values: unknown[] }> }> {
  const sent: Array<{ sql: string; values: unknown[] }> = [];
  const record = (query: {
    sql: string;
    bindings?: unknown[];
    options?: { values?: unknown[] };
  }) =>
    sent.push({
      sql: query.sql,
      values: query.options?.values ?? query.bindings ?? [],
    });
  knex.on('query', record);
  try {
    return { result: await call(), sent };
  } finally {
    knex.removeListener('query', record);
  }
}
