import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../__testUtils__/testDatabases';
import { recordStatements } from '../../__testUtils__/plans';
import { readNamedTogether, togetherStatement } from './readTogether';

/*
 * togetherStatement: reads built from parameters answer as the same reads
 * built from the values; on PostgreSQL they are built once per shape of the
 * parameters, and a build that does not bind its values is refused.
 */

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

const databases = createTestDatabases();

const TABLE = 'together_test_rows';

async function setUp(databaseId: TestDatabaseId): Promise<Knex> {
  const knex = await databases.init(databaseId);
  await knex.schema.createTable(TABLE, table => {
    table.string('id').primary();
    table.string('kind').notNullable();
    table.string('name').notNullable();
    table.integer('rank').notNullable();
  });
  await knex(TABLE).insert([
    { id: 'a1', kind: 'a', name: 'one', rank: 1 },
    { id: 'a2', kind: 'a', name: 'two', rank: 2 },
    { id: 'a3', kind: 'a', name: '', rank: 3 },
    { id: 'b1', kind: 'b', name: 'one', rank: 1 },
    { id: 'b2', kind: 'b', name: 'three', rank: 3 },
    { id: 'c1', kind: 'c', name: 'four', rank: 4 },
  ]);
  return knex;
}

interface Params {
  kind: string;
  names: readonly string[];
  above: number;
  withRanks: boolean;
}

/** The reads under test, with a count of their builds. */
function readsOf(builds: { count: number }) {
  return (db: Knex | Knex.Transaction, p: Params) => {
    builds.count += 1;
    return {
      named: {
        query: db(TABLE)
          .select('id', 'name')
          .where('kind', p.kind)
          .whereIn('name', p.names)
          .orderBy('id', 'asc'),
        // (The query's order, which PostgreSQL's JSON keeps with it.)
        orderBy: [{ column: 'id', order: 'asc' as const }],
      },
      ranked: p.withRanks
        ? {
            query: db(TABLE)
              .select('id', 'rank')
              .where('rank', '>', p.above)
              .andWhere(q => {
                // A subquery with a parameter and a constant.
                q.whereIn(
                  'kind',
                  db(TABLE)
                    .select('kind')
                    .where('name', p.names[0])
                    .orWhere('kind', 'c'),
                );
              })
              .orderBy('id', 'desc'),
            orderBy: [{ column: 'id', order: 'desc' as const }],
          }
        : undefined,
    };
  };
}

/** The rows as plain values, whatever the engine's types. */
const plain = (rows: Array<Record<string, unknown>>) =>
  rows.map(row =>
    Object.fromEntries(
      Object.entries(row).map(([key, value]) => [
        key,
        typeof value === 'number' ? value : String(value),
      ]),
    ),
  );

describe.each(databases.eachSupportedId())('togetherStatement on %p', id => {
  let knex: Knex;

  beforeAll(async () => {
    knex = await setUp(id);
  }, DATABASE_HOOK_TIMEOUT_MS);

  it('answers as the reads built from the values, for every value of a shape', async () => {
    const builds = { count: 0 };
    const read = togetherStatement(readsOf(builds));
    const asked: Params[] = [
      { kind: 'a', names: ['one', 'two'], above: 1, withRanks: true },
      { kind: 'b', names: ['three', 'one'], above: 1, withRanks: true },
      { kind: 'c', names: ['four', 'none'], above: 1, withRanks: true },
      // An empty text among the values.
      { kind: 'a', names: ['', 'one'], above: 1, withRanks: true },
    ];
    for (const params of asked) {
      const expected = await readNamedTogether(
        knex,
        readsOf({ count: 0 })(knex, params),
      );
      const rows = await read(knex, params);
      expect(plain(rows.named)).toEqual(plain(expected.named));
      expect(plain(rows.ranked)).toEqual(plain(expected.ranked));
      expect(rows.named.length).toBeGreaterThan(0);
    }
    expect(
      await read(knex, {
        kind: 'b',
        names: ['three', 'one'],
        above: 1,
        withRanks: true,
      }),
    ).toEqual({
      named: [
        { id: 'b1', name: 'one' },
        { id: 'b2', name: 'three' },
      ],
      ranked: [
        { id: 'c1', rank: 4 },
        { id: 'b2', rank: 3 },
      ],
    });
    // On PostgreSQL built once for the shape; elsewhere on every call.
    expect(builds.count).toBe(id.startsWith('POSTGRES') ? 1 : 5);
  });

  it('builds a statement for each shape: a list of another length, another number or flag', async () => {
    const builds = { count: 0 };
    const read = togetherStatement(readsOf(builds));
    const first = await read(knex, {
      kind: 'a',
      names: ['one'],
      above: 1,
      withRanks: true,
    });
    expect(first.named).toEqual([{ id: 'a1', name: 'one' }]);
    const longer = await read(knex, {
      kind: 'a',
      names: ['one', 'two', ''],
      above: 2,
      withRanks: true,
    });
    expect(longer.named.map(row => row.id)).toEqual(['a1', 'a2', 'a3']);
    expect(longer.ranked.map(row => row.id)).toEqual(['c1', 'b2', 'a3']);
    const left = await read(knex, {
      kind: 'a',
      names: ['one'],
      above: 1,
      withRanks: false,
    });
    // A read left out answers no rows.
    expect(left).toEqual({ named: [{ id: 'a1', name: 'one' }], ranked: [] });
    expect(builds.count).toBe(3);
  });

  it('names its statement: the same for every value of a shape, another for another shape or other reads', async () => {
    const builds = { count: 0 };
    const read = togetherStatement(readsOf(builds));
    const params: Params = {
      kind: 'a',
      names: ['one', 'two'],
      above: 1,
      withRanks: true,
    };
    const name = read.prepare(knex, params).fingerprint;
    expect(name).toMatch(/^promotion_[0-9a-f]{40}$/);
    expect(
      read.prepare(knex, { ...params, kind: 'b', names: ['x', 'y'] })
        .fingerprint,
    ).toBe(name);
    expect(
      read.prepare(knex, { ...params, names: ['one'] }).fingerprint,
    ).not.toBe(name);
    expect(read.prepare(knex, { ...params, above: 2 }).fingerprint).not.toBe(
      name,
    );
    // Built once per shape.
    expect(builds.count).toBe(3);
    // Read, it answers as the statement called.
    expect(plain((await read.prepare(knex, params).read()).named)).toEqual(
      plain((await read(knex, params)).named),
    );
    // Other reads, one more column read: another name.
    const wider = togetherStatement(
      (db: Knex | Knex.Transaction, p: Params) => {
        const reads = readsOf({ count: 0 })(db, p);
        return {
          ...reads,
          named: { ...reads.named, query: reads.named.query.select('rank') },
        };
      },
    );
    expect(wider.prepare(knex, params).fingerprint).not.toBe(name);
  });

  if (id.startsWith('POSTGRES')) {
    it('binds each value once, however many reads bind it', async () => {
      const read = togetherStatement(readsOf({ count: 0 }));
      const { result: rows, sent } = await recordStatements(knex, () =>
        read(knex, {
          kind: 'a',
          names: ['one', 'two'],
          above: 1,
          withRanks: true,
        }),
      );
      expect(rows.named.map(row => row.id)).toEqual(['a1', 'a2']);
      expect(sent).toHaveLength(1);
      // names[0] is bound twice in the reads, once in the statement.
      expect(sent[0].values).toEqual(['a', 'one', 'two', 1, 'c']);
      expect(sent[0].sql).not.toContain('?');
      expect(sent[0].sql.match(/\$2\b/g)).toHaveLength(2);
    });

    it('refuses a build that writes a value into the text', async () => {
      const read = togetherStatement(
        (db: Knex | Knex.Transaction, p: { kind: string }) => ({
          rows: { query: db(TABLE).whereRaw(`kind = '${p.kind}'`) },
        }),
      );
      await expect(read(knex, { kind: 'a' })).rejects.toThrow(
        'a parameter was written into the statement, not bound',
      );
    });

    it('refuses a build that binds a value that is not a parameter', async () => {
      const read = togetherStatement(
        (db: Knex | Knex.Transaction, p: { kind: string }) => ({
          rows: {
            query: db(TABLE)
              .where('kind', p.kind)
              .andWhere('name', '<', new Date() as unknown as string),
          },
        }),
      );
      await expect(read(knex, { kind: 'a' })).rejects.toThrow(
        'a bound value is neither a parameter nor a constant',
      );
    });
  }
});
