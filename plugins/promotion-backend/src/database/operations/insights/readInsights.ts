import { Knex } from 'knex';
import { timestampToIso } from '../../mappers';
import { DbTimestamp, TABLES } from '../../tables';
import { inSnapshot } from '../audit/snapshot';

/*
 * The governance insights over a time range, computed by the database with
 * aggregate queries: counts per ISO week, and the median and 90th percentile
 * of durations read as the two rows around each percentile's rank (a window
 * function numbers the durations in order). What is read back is bounded by
 * the number of weeks and a few rows, never by the rows of the range. The
 * same SQL runs on PostgreSQL, SQLite and MySQL 8; only how the milliseconds
 * between two timestamps are written differs per engine.
 */

export const WEEK_MS = 7 * 24 * 60 * 60 * 1000;

/** How many versions the Dev to Production list holds at most. */
export const MAX_INSIGHT_VERSIONS = 50;

export interface InsightsQuery {
  /** Inclusive bounds. */
  from: Date;
  to: Date;
  /** The ages of the waiting requests are measured at this time. */
  now: Date;
  /** The Monday 00:00 UTC the first week starts on (at or before `from`). */
  weekZero: Date;
  /** One flow's entity ref; the whole portal without. */
  entityRef?: string;
  productionEnvironments: string[];
  /** The first environment of each policy's ladder: where a version starts. */
  firstEnvironments: string[];
}

/** Median and 90th percentile of a set of durations, in milliseconds. */
export interface DurationSummary {
  count: number;
  medianMs: number | null;
  p90Ms: number | null;
}

export interface InsightsFacts {
  /** Counts per week index (0 = the week starting at `weekZero`). */
  productionDeployments: Map<number, number>;
  rollbacks: Map<number, number>;
  violations: Map<number, number>;
  /** Deployments that went in on a break-glass, in any environment. */
  breakGlass: Map<number, number>;
  approvalLeadTime: DurationSummary;
  devToProduction: DurationSummary & {
    versions: Array<{
      entityRef: string;
      version: string;
      devAt: string;
      productionAt: string;
      durationMs: number;
    }>;
  };
  waiting: DurationSummary & { oldestMs: number | null };
}

type Db = Knex | Knex.Transaction;

/** How one engine writes times in SQL. */
interface Dialect {
  /** A timestamp parameter. */
  param(date: Date): Knex.Raw;
  /** The milliseconds from `a` to `b`, two SQL expressions. */
  msBetween(a: Knex.Raw | string, b: Knex.Raw | string): Knex.Raw;
  /** The whole weeks from `zero` to `column` (never negative here). */
  weekIndex(zero: Date, column: string): Knex.Raw;
}

function dialectOf(db: Db): Dialect {
  const ref = (value: Knex.Raw | string) =>
    typeof value === 'string' ? db.ref(value) : value;
  switch (db.client.dialect) {
    case 'postgresql':
      return {
        param: date => db.raw('cast(? as timestamptz)', [date]),
        msBetween: (a, b) =>
          db.raw('(extract(epoch from (? - ?)) * 1000)', [ref(b), ref(a)]),
        weekIndex(zero, column) {
          return db.raw('floor(? / ?)', [
            this.msBetween(this.param(zero), column),
            WEEK_MS,
          ]);
        },
      };
    case 'mysql':
      return {
        param: date => db.raw('cast(? as datetime(3))', [date]),
        msBetween: (a, b) =>
          db.raw('(timestampdiff(microsecond, ?, ?) / 1000)', [ref(a), ref(b)]),
        weekIndex(zero, column) {
          return db.raw('floor(? / ?)', [
            this.msBetween(this.param(zero), column),
            WEEK_MS,
          ]);
        },
      };
    default:
      // SQLite: the store writes timestamps as integer milliseconds.
      return {
        param: date => db.raw('?', [date.getTime()]),
        msBetween: (a, b) => db.raw('(? - ?)', [ref(b), ref(a)]),
        weekIndex(zero, column) {
          // Truncated: the floor of a value that is never negative.
          return db.raw('cast((? - ?) / ? as integer)', [
            db.ref(column),
            zero.getTime(),
            WEEK_MS,
          ]);
        },
      };
  }
}

/** The positions (1-based) of the rows percentile_cont(p) interpolates between, and the weight of the upper one. */
function percentileRanks(
  count: number,
  p: number,
): { lower: number; upper: number; weight: number } {
  const position = p * (count - 1);
  const lower = Math.floor(position);
  return {
    lower: lower + 1,
    upper: Math.min(lower + 2, count),
    weight: position - lower,
  };
}

const PERCENTILES = { medianMs: 0.5, p90Ms: 0.9 } as const;

/**
 * The median and 90th percentile of the `ms` column of a query, as
 * percentile_cont computes them (linear interpolation between the two
 * nearest ranks): the count, then only the rows at those ranks.
 */
async function summarise(
  db: Db,
  durations: Knex.QueryBuilder,
): Promise<DurationSummary & { maxMs: number | null }> {
  const [{ n }] = await db
    .from(durations.clone().as('durations'))
    .count({ n: '*' });
  const count = Number(n);
  if (count === 0) {
    return { count, medianMs: null, p90Ms: null, maxMs: null };
  }
  const ranks = Object.values(PERCENTILES).map(p => percentileRanks(count, p));
  const wanted = [
    ...new Set([...ranks.flatMap(r => [r.lower, r.upper]), count]),
  ];
  const rows: Array<{ ms: unknown; rn: unknown }> = await db
    .from(
      db
        .from(durations.clone().as('durations'))
        .select('ms', db.raw('row_number() over (order by ms) as rn'))
        .as('ranked'),
    )
    .select('ms', 'rn')
    .whereIn('rn', wanted);
  const at = new Map(rows.map(row => [Number(row.rn), Number(row.ms)]));
  const value = (p: number) => {
    const { lower, upper, weight } = percentileRanks(count, p);
    const low = at.get(lower)!;
    return Math.round(low + weight * (at.get(upper)! - low));
  };
  return {
    count,
    medianMs: value(PERCENTILES.medianMs),
    p90Ms: value(PERCENTILES.p90Ms),
    maxMs: Math.round(at.get(count)!),
  };
}

/** Counts per week of the rows of `table` whose `column` falls in the range. */
async function perWeek(
  db: Db,
  dialect: Dialect,
  query: InsightsQuery,
  table: string,
  column: string,
  where: (builder: Knex.QueryBuilder) => Knex.QueryBuilder,
): Promise<Map<number, number>> {
  const rows: Array<{ week: unknown; n: unknown }> = await db
    .from(
      where(
        db(table)
          .select(
            db.raw('? as week', [dialect.weekIndex(query.weekZero, column)]),
          )
          .where(column, '>=', query.from)
          .where(column, '<=', query.to),
      )
        .modify(forFlow, query.entityRef)
        .as('weekly'),
    )
    .select('week')
    .count({ n: '*' })
    .groupBy('week');
  return new Map(rows.map(row => [Number(row.week), Number(row.n)]));
}

/** A duration expression as the column `ms` that {@link summarise} reads. */
function asMs(db: Db, expression: Knex.Raw): Knex.Raw {
  return db.raw('? as ms', [expression]);
}

function forFlow(builder: Knex.QueryBuilder, entityRef: string | undefined) {
  if (entityRef !== undefined) {
    builder.where('entity_ref', entityRef);
  }
}

/** Reads the insights' facts in one snapshot. */
export async function readInsights(
  db: Knex,
  query: InsightsQuery,
): Promise<InsightsFacts> {
  return inSnapshot(db, async tx => {
    const dialect = dialectOf(tx);
    const { from, to, entityRef, productionEnvironments } = query;

    const productionDeployments = await perWeek(
      tx,
      dialect,
      query,
      TABLES.deployments,
      'reported_at',
      b =>
        b
          .where('status', 'succeeded')
          .whereIn('environment_id', productionEnvironments),
    );
    const rollbacks = await perWeek(
      tx,
      dialect,
      query,
      TABLES.rollbacks,
      'recorded_at',
      b => b.whereIn('environment_id', productionEnvironments),
    );
    const violations = await perWeek(
      tx,
      dialect,
      query,
      TABLES.deployments,
      'reported_at',
      b => b.where('violation', true),
    );
    const breakGlass = await perWeek(
      tx,
      dialect,
      query,
      TABLES.deployments,
      'reported_at',
      b => b.whereNotNull('break_glass_id'),
    );

    const approvalLeadTime = await summarise(
      tx,
      tx(TABLES.requests)
        .select(asMs(tx, dialect.msBetween('created_at', 'decided_at')))
        .whereIn('status', ['approved', 'rejected'])
        .where('decided_at', '>=', from)
        .where('decided_at', '<=', to)
        .modify(forFlow, entityRef),
    );

    const firstOf = (environments: string[], as: string) =>
      tx(TABLES.deployments)
        .select('entity_ref', 'version')
        .min({ [as]: 'reported_at' })
        .where('status', 'succeeded')
        .whereIn('environment_id', environments)
        .modify(forFlow, entityRef)
        .groupBy('entity_ref', 'version');
    const versions = tx
      .from(firstOf(productionEnvironments, 'production_at').as('p'))
      .join(firstOf(query.firstEnvironments, 'dev_at').as('d'), join =>
        join.on('d.entity_ref', 'p.entity_ref').on('d.version', 'p.version'),
      )
      .where('p.production_at', '>=', from)
      .where('p.production_at', '<=', to)
      .where('d.dev_at', '<=', tx.ref('p.production_at'));
    const devToProduction = await summarise(
      tx,
      versions
        .clone()
        .select(asMs(tx, dialect.msBetween('d.dev_at', 'p.production_at'))),
    );
    const latest: Array<{
      entity_ref: string;
      version: string;
      dev_at: DbTimestamp;
      production_at: DbTimestamp;
    }> = await versions
      .clone()
      .select('p.entity_ref', 'p.version', 'd.dev_at', 'p.production_at')
      .orderBy([
        { column: 'p.production_at', order: 'desc' },
        { column: 'p.entity_ref', order: 'asc' },
        { column: 'p.version', order: 'asc' },
      ])
      .limit(MAX_INSIGHT_VERSIONS);

    const waiting = await summarise(
      tx,
      tx(TABLES.requests)
        .select(
          asMs(tx, dialect.msBetween('created_at', dialect.param(query.now))),
        )
        .where('status', 'pending')
        .modify(forFlow, entityRef),
    );

    return {
      productionDeployments,
      rollbacks,
      violations,
      breakGlass,
      approvalLeadTime: {
        count: approvalLeadTime.count,
        medianMs: approvalLeadTime.medianMs,
        p90Ms: approvalLeadTime.p90Ms,
      },
      devToProduction: {
        count: devToProduction.count,
        medianMs: devToProduction.medianMs,
        p90Ms: devToProduction.p90Ms,
        versions: latest.map(row => {
          const devAt = timestampToIso(row.dev_at);
          const productionAt = timestampToIso(row.production_at);
          return {
            entityRef: row.entity_ref,
            version: row.version,
            devAt,
            productionAt,
            durationMs: Date.parse(productionAt) - Date.parse(devAt),
          };
        }),
      },
      waiting: {
        count: waiting.count,
        medianMs: waiting.medianMs,
        p90Ms: waiting.p90Ms,
        oldestMs: waiting.maxMs,
      },
    };
  });
}
