import { Deployment, FlowFacts } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { mapDeploymentRow } from '../../mappers';
import { GateFactsQuery, StandingDeploymentQuery } from '../../PromotionStore';
import {
  DbChecklistCompletionRow,
  DbDeploymentRow,
  DbRollbackRow,
  DbSignOffRow,
  DbStandingApprovalRow,
  TABLES,
} from '../../tables';
import { chunks, runIndependentQueries } from '../queryHelpers';
import {
  dateOf,
  DECISION_COLUMNS,
  distinctOldestFirst,
  latestOf,
  requestsOfRows,
  sortRequestRows,
  standingDeploymentIn,
} from './factQueries';
import { GateFactRows, gateFactsOf, getGateFacts } from './getGateFacts';

/*
 * The reads of many gates, or of what stands in many environments, at once
 * (the approver's inbox): each kind of row of a batch of them in one
 * query, each row tagged with the read it answers, selecting for each
 * read the rows its single read (getGateFacts, getStandingDeployment)
 * selects.
 */

/**
 * How many gates go in one query: outside PostgreSQL a batch's gates are a
 * compound select of that many members (SQLite allows 500), and each takes
 * 4 of the query's parameters per time it is named.
 */
export const BATCH_SIZE = 100;

/**
 * On PostgreSQL the gates are five array parameters whatever their number
 * (`keysOf`), and each gate reads its rows through the indexes (`joinEach`):
 * the inbox's 500 gates in one batch, six statements. (Not prepared: they
 * select `*`, which a migration may change under a prepared statement.)
 */
export const POSTGRES_BATCH_SIZE = 500;

/** How many gates go in one batch on this database. */
export function gateBatchSize(db: Knex | Knex.Transaction): number {
  return db.client.dialect === 'postgresql' ? POSTGRES_BATCH_SIZE : BATCH_SIZE;
}

/**
 * The end of a statement that joins each row of the relation before it
 * (`g`, the gates, or a relation made of them) to the rows of `table` (as
 * `alias`) that `condition` selects, then `then` (a further join).
 *
 * On PostgreSQL a LATERAL subquery, so each gate reads its own rows through
 * the table's index, whatever the planner estimates: given a hundred gates
 * and a plain join, it hashes them and scans the whole table, a read that
 * grows with every flow's history (60 ms for the checklist completions of
 * 2,000 flows, 2 ms through the index). `offset 0` keeps the planner from
 * pulling the subquery up into a plain join. MariaDB and SQLite have no LATERAL;
 * there a cross join and the condition in the WHERE clause.
 */
function joinEach(
  db: Knex | Knex.Transaction,
  table: string,
  alias: string,
  condition: string,
  then = '',
): string {
  return db.client.dialect === 'postgresql'
    ? `cross join lateral (select * from ${table} ${alias} where ${condition} offset 0) ${alias}${
        then ? ` ${then}` : ''
      }`
    : `cross join ${table} ${alias}${
        then ? ` ${then}` : ''
      } where ${condition}`;
}

/**
 * `column` equals one of the values (SQL expressions): on PostgreSQL
 * `= any(array[…])`, which it reads through the column's index where an IN
 * list of columns becomes an OR it cannot.
 */
function oneOf(
  db: Knex | Knex.Transaction,
  column: string,
  values: string[],
): string {
  return db.client.dialect === 'postgresql'
    ? `${column} = any(array[${values.join(', ')}]::text[])`
    : `${column} in (${values.join(', ')})`;
}

/**
 * How many standing deployments go in one query: each is its own member
 * of a union, planned separately.
 */
const STANDING_BATCH_SIZE = 100;

/** The column that tells which read of a batch a row answers. */
const KEY = 'batch_key';

/**
 * One query returning the rows of several queries, each row with the index
 * of its query (`batch_key`): `select 0 as batch_key, read0.* from (…) as
 * read0 union all select 1 …`, so that each query keeps its own ORDER BY …
 * LIMIT on every database. Undefined when there is no query.
 */
function keyedUnionOf(
  db: Knex | Knex.Transaction,
  parts: Array<[number, Knex.QueryBuilder | undefined]>,
): Knex.QueryBuilder | undefined {
  const selects = parts.flatMap(([key, part]) =>
    part
      ? [
          db
            .select(db.raw(`${Number(key)} as ${KEY}`), `read${key}.*`)
            .from(part.as(`read${key}`)),
        ]
      : [],
  );
  if (selects.length === 0) {
    return undefined;
  }
  const [first, ...rest] = selects;
  return rest.length > 0 ? first.unionAll(rest) : first;
}

/**
 * The rows by the index of the read they answer. The rows keep their tag
 * (`batch_key`), which the mappers do not read: copying thousands of rows
 * without it cost the inbox more than any other step of reading them.
 */
function byKey<Row>(rows: Array<Record<string, unknown>>): Map<number, Row[]> {
  const grouped = new Map<number, Row[]>();
  for (const row of rows) {
    const key = Number(row[KEY]);
    let list = grouped.get(key);
    if (!list) {
      list = [];
      grouped.set(key, list);
    }
    list.push(row as unknown as Row);
  }
  return grouped;
}

/**
 * The facts of each gate, in the order asked, as `getGateFacts` reads them
 * for each (the same queries, so the same facts): one query per kind of
 * fact for up to {@link BATCH_SIZE} gates, plus, for a gate whose
 * environment had a rollback, the reads of what it lets back.
 */
export async function getManyGateFacts(
  db: Knex | Knex.Transaction,
  queries: GateFactsQuery[],
): Promise<FlowFacts[]> {
  if (queries.length === 1) {
    return [await getGateFacts(db, queries[0])];
  }
  const facts: FlowFacts[] = [];
  for (const batch of chunks(queries, gateBatchSize(db))) {
    facts.push(...(await gateFactsBatch(db, batch)));
  }
  return facts;
}

/** The gate a batch's row answers: its index, and what the reads select on. */
interface GateKey {
  k: number;
  entityRef: string;
  version: string;
  /** E. */
  target: string;
  /** The environment before E, if any. */
  previous: string | null;
}

/**
 * The gates of a batch as a relation (`k`, `entity_ref`, `version`,
 * `target`, `previous`), which every database reads as a small derived
 * table: on PostgreSQL `unnest` of five arrays, so the statement is the same
 * whatever the batch (five parameters, one plan); elsewhere `select 0 as k,
 * ? as entity_ref, … union all select 1, ?, …`.
 */
function keysOf(
  db: Knex | Knex.Transaction,
  keys: GateKey[],
): { sql: string; bindings: Knex.Value[] } {
  if (db.client.dialect === 'postgresql') {
    return {
      sql: 'select * from unnest(?::int[], ?::text[], ?::text[], ?::text[], ?::text[]) as u(k, entity_ref, version, target, previous)',
      bindings: [
        keys.map(key => key.k),
        keys.map(key => key.entityRef),
        keys.map(key => key.version),
        keys.map(key => key.target),
        keys.map(key => key.previous),
      ] as unknown as Knex.Value[],
    };
  }
  const bindings: Knex.Value[] = [];
  const selects = keys.map((key, index) => {
    bindings.push(key.entityRef, key.version, key.target, key.previous);
    return index === 0
      ? `select ${Number(
          key.k,
        )} as k, ? as entity_ref, ? as version, ? as target, ? as previous`
      : `select ${Number(key.k)}, ?, ?, ?, ?`;
  });
  return { sql: selects.join(' union all '), bindings };
}

/**
 * One query for a batch of gates per kind of fact, each the rows getGateFacts
 * selects for each gate (tagged `batch_key`), whatever the number of gates:
 * the gates are a derived table (`keysOf`) joined to each table through the
 * same indexes, and what stands in E, E's latest rollback, the flow's and
 * the standing approval revoked last are correlated subqueries on it. The
 * SQL is written here once, so a batch costs a few statements to plan, not
 * a hundred. (CROSS JOIN keeps the gates the outer side on SQLite.)
 */
async function gateFactsBatch(
  db: Knex | Knex.Transaction,
  queries: GateFactsQuery[],
): Promise<FlowFacts[]> {
  const keys: GateKey[] = [];
  queries.forEach((query, k) => {
    const { environmentIds } = query;
    if (environmentIds.length > 0) {
      keys.push({
        k,
        entityRef: query.entityRef,
        version: query.version,
        target: environmentIds[environmentIds.length - 1],
        previous:
          environmentIds.length > 1
            ? environmentIds[environmentIds.length - 2]
            : null,
      });
    }
  });
  if (keys.length === 0) {
    return queries.map(() => noFacts());
  }
  const { sql: gates, bindings: gateBindings } = keysOf(db, keys);
  const ladders = [...new Set(queries.flatMap(q => q.environmentIds))];
  const D = TABLES.deployments;
  const R = TABLES.rollbacks;
  const A = TABLES.standingApprovals;
  // What stands in E: its version.
  const standingVersion = `(select s.version from ${D} s where s.entity_ref = g.entity_ref and s.environment_id = g.target and s.status = 'succeeded' and s.rolled_back_at is null order by s.reported_at desc, s.id desc limit 1)`;
  // E's latest rollback, and the flow's: a column of it.
  const rollbackIn = (column: string, where: string) =>
    `(select r.${column} from ${R} r where r.entity_ref = g.entity_ref${where} order by r.recorded_at desc, r.id desc limit 1)`;
  const inTarget = ' and r.environment_id = g.target';
  const read = async <Row>(
    sql: string,
    bindings: Knex.Value[] = [],
  ): Promise<Map<number, Row[]>> =>
    byKey<Row>(rowsOf(db, await db.raw(sql, bindings)));
  const each = (table: string, alias: string, condition: string, then = '') =>
    joinEach(db, table, alias, condition, then);
  const pg = db.client.dialect === 'postgresql';
  const withGates = (sql: string) => sql.replace(/\{gates\}/g, `(${gates}) g`);
  const gatesTimes = (sql: string) =>
    (sql.match(/\{gates\}/g) ?? []).flatMap(() => gateBindings);

  const reads = {
    // V up the ladder (the ladders' environments, each gate's kept below),
    // and in E the versions standing and of its latest rollback.
    deployments: `select g.k as ${KEY}, d.* from {gates} ${each(
      D,
      'd',
      `d.entity_ref = g.entity_ref and ${
        pg
          ? 'd.environment_id = any(?::text[])'
          : `d.environment_id in (${ladders.map(() => '?').join(', ')})`
      } and d.version = g.version`,
    )}
      union all
      select x.k, d.* from (select g.k, g.entity_ref, g.target, ${standingVersion} as standing, ${rollbackIn(
      'from_version',
      inTarget,
    )} as rollback_from, ${rollbackIn(
      'to_version',
      inTarget,
    )} as rollback_to from {gates}) x ${each(
      D,
      'd',
      `d.entity_ref = x.entity_ref and d.environment_id = x.target and ${oneOf(
        db,
        'd.version',
        ['x.standing', 'x.rollback_from', 'x.rollback_to'],
      )}`,
    )}`,
    rollbacks: `select x.k as ${KEY}, r.* from (select g.k, ${rollbackIn(
      'id',
      inTarget,
    )} as rollback_id from {gates}) x ${each(R, 'r', 'r.id = x.rollback_id')}
      union all
      select x.k, r.* from (select g.k, ${rollbackIn(
        'id',
        '',
      )} as rollback_id from {gates}) x ${each(
      R,
      'r',
      'r.id = x.rollback_id',
    )}`,
    completions: `select g.k as ${KEY}, c.* from {gates} ${each(
      TABLES.checklistCompletions,
      'c',
      `c.entity_ref = g.entity_ref and c.undone_key = '' and c.environment_id = g.previous and ${oneOf(
        db,
        'c.version',
        ['g.version', "''"],
      )}`,
    )}
      union all
      select x.k, c.* from (select g.k, g.entity_ref, g.target, ${standingVersion} as standing from {gates}) x ${each(
      TABLES.checklistCompletions,
      'c',
      `c.entity_ref = x.entity_ref and c.undone_key = '' and c.environment_id = x.target and c.kind = 'post-deployment' and c.version = x.standing`,
    )}`,
    signOffs: `select g.k as ${KEY}, s.* from {gates} ${each(
      TABLES.signOffs,
      's',
      's.entity_ref = g.entity_ref and s.environment_id = g.previous and s.version = g.version',
    )}`,
    approvals: `select g.k as ${KEY}, a.* from {gates} ${each(
      A,
      'a',
      'a.entity_ref = g.entity_ref and a.environment_id = g.target and a.revoked_at is null',
    )}
      union all
      select x.k, a.* from (select g.k, (select v.id from ${A} v where v.entity_ref = g.entity_ref and v.environment_id = g.target and v.revoked_at is not null order by v.revoked_at desc, v.granted_at asc, v.id asc limit 1) as approval_id from {gates}) x ${each(
      A,
      'a',
      'a.id = x.approval_id',
    )}`,
    requests: `select g.k as ${KEY}, r.*, ${DECISION_COLUMNS.map(
      column => `d.${column} as decision_${column}`,
    ).join(', ')} from {gates} ${each(
      TABLES.requests,
      'r',
      "r.entity_ref = g.entity_ref and r.environment_id = g.target and (r.status = 'pending' or r.version = g.version)",
      `left join ${TABLES.decisions} d on d.request_id = r.id`,
    )}`,
  };
  const [deployments, rollbacks, completions, signOffs, approvals, requests] =
    await runIndependentQueries(db, [
      () =>
        read<DbDeploymentRow>(withGates(reads.deployments), [
          ...gateBindings,
          ...(pg ? [ladders as unknown as Knex.Value] : ladders),
          ...gateBindings,
        ]),
      () =>
        read<DbRollbackRow>(
          withGates(reads.rollbacks),
          gatesTimes(reads.rollbacks),
        ),
      () =>
        read<DbChecklistCompletionRow>(
          withGates(reads.completions),
          gatesTimes(reads.completions),
        ),
      () =>
        read<DbSignOffRow>(
          withGates(reads.signOffs),
          gatesTimes(reads.signOffs),
        ),
      () =>
        read<DbStandingApprovalRow>(
          withGates(reads.approvals),
          gatesTimes(reads.approvals),
        ),
      () =>
        read<Record<string, unknown>>(
          withGates(reads.requests),
          gatesTimes(reads.requests),
        ),
    ]);
  const rowsOfGate = (query: GateFactsQuery, k: number): GateFactRows => {
    const ladder = new Set(query.environmentIds);
    const target = query.environmentIds[query.environmentIds.length - 1];
    return {
      // V's deployments on this gate's ladder, and those in E.
      deployments: (deployments.get(k) ?? []).filter(
        d =>
          d.environment_id === target ||
          (d.version === query.version && ladder.has(d.environment_id)),
      ),
      rollbacks: rollbacks.get(k) ?? [],
      completions: completions.get(k) ?? [],
      signOffs: signOffs.get(k) ?? [],
      approvals: approvals.get(k) ?? [],
      requests: requestsOfRows(sortRequestRows(requests.get(k) ?? [])),
    };
  };
  const gateRows = new Map(
    keys.map(key => [key.k, rowsOfGate(queries[key.k], key.k)]),
  );
  // What E's latest rollback lets back, for every gate whose E had one, in
  // two more queries for the batch.
  const letBack = await rollbackDeploymentsOfMany(
    db,
    keys.flatMap(key => {
      const rows = gateRows.get(key.k)!;
      const rollback = latestOf(
        distinctOldestFirst(rows.rollbacks, r => r.recorded_at).filter(
          r => r.environment_id === key.target,
        ),
      );
      return rollback
        ? [
            {
              k: key.k,
              entityRef: key.entityRef,
              environmentId: key.target,
              rollback,
              known: rows.deployments,
            },
          ]
        : [];
    }),
  );
  return Promise.all(
    queries.map((query, k) => {
      const rows = gateRows.get(k);
      return rows
        ? gateFactsOf(db, query, rows, async () => letBack.get(k) ?? [])
        : Promise.resolve(noFacts());
    }),
  );
}

/** A gate whose E had a rollback: what `rollbackDeployments` is asked. */
interface RollbackAsked {
  k: number;
  entityRef: string;
  environmentId: string;
  rollback: DbRollbackRow;
  known: DbDeploymentRow[];
}

/**
 * A relation of rows of typed columns, as {@link keysOf} makes the gates':
 * `unnest` of an array per column on PostgreSQL, a union of selects
 * elsewhere.
 */
function relationOf(
  db: Knex | Knex.Transaction,
  columns: Array<
    [name: string, pgType: 'int' | 'text' | 'uuid' | 'timestamptz']
  >,
  rows: Knex.Value[][],
): { sql: string; bindings: Knex.Value[] } {
  if (db.client.dialect === 'postgresql') {
    return {
      sql: `select * from unnest(${columns
        .map(([, type]) => `?::${type}[]`)
        .join(', ')}) as u(${columns.map(([name]) => name).join(', ')})`,
      bindings: columns.map((_, index) =>
        rows.map(row => row[index]),
      ) as unknown as Knex.Value[],
    };
  }
  return {
    sql: rows
      .map(
        (_, index) =>
          `select ${columns
            .map(([name]) => (index === 0 ? `? as ${name}` : '?'))
            .join(', ')}`,
      )
      .join(' union all '),
    bindings: rows.flat(),
  };
}

/**
 * `rollbackDeployments` for many gates at once, the same rows for each: the
 * newest deployment standing before the reverted one of the rollbacks that
 * name no target, then, for all, every deployment of the version of the
 * first deployment after the rollback that is not of its target, and the
 * first of a version that never stood there before the reverted one. Two
 * queries, whatever the number of gates.
 */
async function rollbackDeploymentsOfMany(
  db: Knex | Knex.Transaction,
  asked: RollbackAsked[],
): Promise<Map<number, DbDeploymentRow[]>> {
  const found = new Map<number, DbDeploymentRow[]>();
  if (asked.length === 0) {
    return found;
  }
  const time = (row: DbDeploymentRow) => dateOf(row.reported_at).getTime();
  const D = TABLES.deployments;
  const read = async (sql: string, bindings: Knex.Value[]) =>
    byKey<DbDeploymentRow>(rowsOf(db, await db.raw(sql, bindings)));
  // As rollbackDeployments: the reverted deployments' time, the explicit target.
  const facts = asked.map(item => {
    const { rollback, known, environmentId } = item;
    const recordedAt = dateOf(rollback.recorded_at);
    const succeededHere = known.filter(
      d => d.environment_id === environmentId && d.status === 'succeeded',
    );
    const reverted = succeededHere.filter(d => d.rollback_id === rollback.id);
    const revertedAt = reverted.length
      ? new Date(Math.max(...reverted.map(time)))
      : recordedAt;
    const toVersion = rollback.to_version ?? undefined;
    const target =
      toVersion &&
      toVersion !== rollback.from_version &&
      succeededHere.some(
        d => d.version === toVersion && time(d) < recordedAt.getTime(),
      )
        ? toVersion
        : undefined;
    return { ...item, recordedAt, revertedAt, target };
  });
  // What stood before the reverted version, in `e` (given the gate, `g`).
  const stoodBefore = `e.entity_ref = g.entity_ref and e.environment_id = g.environment_id and e.status = 'succeeded' and e.version <> g.from_version and e.rolled_back_at is null and e.reported_at < g.reverted_at`;

  const untargeted = facts.filter(item => !item.rollback.to_version);
  if (untargeted.length > 0) {
    const gates = relationOf(
      db,
      [
        ['k', 'int'],
        ['entity_ref', 'text'],
        ['environment_id', 'text'],
        ['from_version', 'text'],
        ['reverted_at', 'timestamptz'],
      ],
      untargeted.map(item => [
        item.k,
        item.entityRef,
        item.environmentId,
        item.rollback.from_version,
        item.revertedAt,
      ]),
    );
    // `earlier[0]`: the newest; of a tie, the one read first.
    const newest = await read(
      `select x.k as ${KEY}, d.* from (select g.k, (select e.id from ${D} e where ${stoodBefore} order by e.reported_at desc, e.id asc limit 1) as id from (${
        gates.sql
      }) g) x ${joinEach(db, D, 'd', 'd.id = x.id')}`,
      gates.bindings,
    );
    for (const item of untargeted) {
      const [row] = newest.get(item.k) ?? [];
      if (row) {
        found.set(item.k, [row]);
        item.target = row.version;
      }
    }
  }

  const gates = relationOf(
    db,
    [
      ['k', 'int'],
      ['entity_ref', 'text'],
      ['environment_id', 'text'],
      ['rollback_id', 'uuid'],
      ['from_version', 'text'],
      ['target', 'text'],
      ['recorded_at', 'timestamptz'],
      ['reverted_at', 'timestamptz'],
    ],
    facts.map(item => [
      item.k,
      item.entityRef,
      item.environmentId,
      item.rollback.id,
      item.rollback.from_version,
      item.target ?? null,
      item.recordedAt,
      item.revertedAt,
    ]),
  );
  // A deployment after the rollback, not one it reverted, of a version
  // other than the target, in `a`.
  const after = `a.entity_ref = g.entity_ref and a.environment_id = g.environment_id and a.status = 'succeeded' and a.reported_at > g.recorded_at and (a.rollback_id is null or a.rollback_id <> g.rollback_id) and (g.target is null or a.version <> g.target)`;
  const first = 'order by a.reported_at asc, a.id asc limit 1';
  const ending = await read(
    // Every deployment here of the version of the first such deployment…
    `select x.k as ${KEY}, d.* from (select g.k, g.entity_ref, g.environment_id, (select a.version from ${D} a where ${after} ${first}) as version from (${
      gates.sql
    }) g) x ${joinEach(
      db,
      D,
      'd',
      'd.entity_ref = x.entity_ref and d.environment_id = x.environment_id and d.version = x.version',
    )}
    union all
    select x.k, d.* from (select g.k, (select a.id from ${D} a where ${after} and not exists (select 1 from ${D} e where ${stoodBefore} and e.version = a.version) ${first}) as id from (${
      gates.sql
    }) g) x ${joinEach(db, D, 'd', 'd.id = x.id')}`,
    // …and the first one of a version that never stood here before the reverted one.
    [...gates.bindings, ...gates.bindings],
  );
  for (const item of facts) {
    found.set(item.k, [
      ...(found.get(item.k) ?? []),
      ...(ending.get(item.k) ?? []),
    ]);
  }
  return found;
}

/** The rows of a raw query's result, on every database. */
function rowsOf(
  db: Knex | Knex.Transaction,
  result: unknown,
): Array<Record<string, unknown>> {
  const dialect = db.client.dialect;
  if (dialect === 'postgresql') {
    return (result as { rows: Array<Record<string, unknown>> }).rows;
  }
  if (dialect === 'mysql' || dialect === 'mysql2') {
    return (result as [Array<Record<string, unknown>>])[0];
  }
  return result as Array<Record<string, unknown>>;
}

function noFacts(): FlowFacts {
  return {
    deployments: [],
    checklistCompletions: [],
    signOffs: [],
    standingApprovals: [],
    requests: [],
    rollbacks: [],
  };
}

/**
 * The deployment standing in each environment asked (`currentVersionIn`),
 * in the order asked, as `getStandingDeployment` reads each: one query for
 * up to a hundred of them.
 */
export async function getStandingDeployments(
  db: Knex | Knex.Transaction,
  queries: StandingDeploymentQuery[],
): Promise<Array<Deployment | undefined>> {
  const standing: Array<Deployment | undefined> = [];
  for (const batch of chunks(queries, STANDING_BATCH_SIZE)) {
    const query = keyedUnionOf(
      db,
      batch.map((q, key) => [
        key,
        standingDeploymentIn(db, q.entityRef, q.environmentId, {
          exceptVersion: q.exceptVersion,
        }),
      ]),
    );
    const rows = byKey<DbDeploymentRow>(query ? await query : []);
    standing.push(
      ...batch.map((_, key) => {
        const [row] = rows.get(key) ?? [];
        return row ? mapDeploymentRow(row) : undefined;
      }),
    );
  }
  return standing;
}
