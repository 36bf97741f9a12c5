/*
 * Write-concurrency benchmark of the promotion store on PostgreSQL
 * (issue "The trail is proof": no global queue).
 *
 * Records deployments through DatabasePromotionStore.recordDeployment — the
 * store built exactly as the plugin builds it, migrations included — in a
 * fresh database, in interleaved fixed-time rounds:
 *
 *   1x1    1 writer on 1 flow
 *   16x16  16 writers on 16 different flows
 *   16x1   16 writers on 1 flow (the expected worst case, for contrast)
 *
 * after a warm-up round of each kind (not measured: connections, JIT, plans
 * and caches settle first), and prints deployments/s, p50/p99 latency, the
 * SQL statements per deployment, the CPU used, the ratio 16x16 / 1x1, and
 * the lock waits sampled from pg_stat_activity/pg_locks every ~100 ms with
 * the relation waited on. Then verifies the audit chain and drops the
 * database.
 *
 * It is a benchmark, not a test: it prints "GOAL MET"/"GOAL NOT MET" and
 * exits 0 either way (non-zero only when it could not run at all).
 *
 * Run: scripts/bench-writers.sh (or, from the repository root,
 *   node --require @backstage/cli/config/nodeTransform.cjs bench/writers.ts)
 *
 * Environment (all optional):
 *   BENCH_DURATION_S   seconds per round (10)
 *   BENCH_WARMUP_S     seconds of the warm-up round of each kind (5; 0 = a
 *                      deployment per writer only)
 *   BENCH_REPEATS      how many times each kind of round runs, interleaved (3)
 *   BENCH_WRITERS      writers in the concurrent rounds (16)
 *   BENCH_POOL         knex pool size (40)
 *   BENCH_FLOW_CAP     deployments per flow before a writer moves on to a
 *                      fresh flow (100; 0 = never): the gate reads a flow's
 *                      whole history, so without a cap the round that
 *                      writes most to one flow slows down by its own history
 *   BENCH_SAMPLE_MS    lock sampling period (100)
 *   BENCH_IDEMPOTENCY  1 to send a unique idempotency key with each report
 *   BENCH_DB           database name (promotion_bench_<random>)
 *   PGHOST PGPORT PGUSER PGPASSWORD  (127.0.0.1, 5432, postgres, none)
 */
import type { DatabaseService } from '@backstage/backend-plugin-api';
import knexFactory, { Knex } from 'knex';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { DatabasePromotionStore } from '../plugins/promotion-backend/src/database/DatabasePromotionStore';

// ---------------------------------------------------------------------------
// Settings
// ---------------------------------------------------------------------------

function intEnv(name: string, fallback: number): number {
  const raw = process.env[name];
  if (raw === undefined || raw === '') {
    return fallback;
  }
  const value = Number(raw);
  if (!Number.isFinite(value) || value < 0) {
    throw new Error(`${name} must be a non-negative number, got '${raw}'`);
  }
  return value;
}

const DURATION_MS = intEnv('BENCH_DURATION_S', 10) * 1000;
const WARMUP_MS = intEnv('BENCH_WARMUP_S', 5) * 1000;
const REPEATS = Math.max(1, intEnv('BENCH_REPEATS', 3));
const WRITERS = Math.max(1, intEnv('BENCH_WRITERS', 16));
const POOL = Math.max(WRITERS + 2, intEnv('BENCH_POOL', 40));
const FLOW_CAP = intEnv('BENCH_FLOW_CAP', 100);
const SAMPLE_MS = Math.max(10, intEnv('BENCH_SAMPLE_MS', 100));
const IDEMPOTENCY = process.env.BENCH_IDEMPOTENCY === '1';
const DB_NAME =
  process.env.BENCH_DB || `promotion_bench_${randomBytes(4).toString('hex')}`;
if (!/^[a-z_][a-z0-9_]{0,62}$/.test(DB_NAME)) {
  throw new Error(`BENCH_DB '${DB_NAME}' is not a plain lower-case identifier`);
}
/** The plugin-wide lock of today's code: the single chain-head row. */
const GLOBAL_CHAIN_HEAD = 'promotion_audit_chain_head';

function connection(database: string): Knex.PgConnectionConfig {
  return {
    host: process.env.PGHOST || '127.0.0.1',
    port: Number(process.env.PGPORT || 5432),
    user: process.env.PGUSER || 'postgres',
    password: process.env.PGPASSWORD || undefined,
    database,
    application_name: 'promotion-bench-writers',
  };
}

// ---------------------------------------------------------------------------
// The store, built as the plugin builds it
// ---------------------------------------------------------------------------

/**
 * The audit keyring, if the store wants one. Loaded dynamically so the
 * benchmark keeps running while the keyring moves or is not used yet; it is
 * handed to create() under the names it is likely to get (an option the
 * current create() does not have is ignored).
 */
function benchKeyring(): unknown {
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const mod = require('../plugins/promotion-backend/src/audit/auditKeyring');
    if (typeof mod.AuditKeyring === 'function') {
      return new mod.AuditKeyring([
        { id: 'bench', secret: Buffer.from('x'.repeat(32)) },
      ]);
    }
  } catch {
    // no keyring module: the store does not need one
  }
  return undefined;
}

const quietLogger = {
  error: (message: string, meta?: unknown) =>
    console.error(`[store] ${message}`, meta ?? ''),
  warn: (message: string, meta?: unknown) =>
    console.error(`[store] ${message}`, meta ?? ''),
  info: () => {},
  debug: () => {},
  child() {
    return quietLogger;
  },
};

type CreateOptions = Parameters<typeof DatabasePromotionStore.create>[0];

async function createStore(db: Knex): Promise<DatabasePromotionStore> {
  const database: DatabaseService = {
    getClient: async () => db,
    migrations: { skip: false },
  };
  const keyring = benchKeyring();
  // Built as a variable (no excess-property check): options create() does
  // not declare are ignored by it. If create() gains a required option under
  // another name, add it here.
  const options = {
    database,
    ...(keyring ? { keyring, auditKeyring: keyring } : {}),
    logger: quietLogger,
  } as unknown as CreateOptions;
  return DatabasePromotionStore.create(options);
}

// ---------------------------------------------------------------------------
// Lock sampling
// ---------------------------------------------------------------------------

/**
 * Each session of the bench database waiting on a lock, with the relation it
 * waits on: that of its ungranted lock (a tuple or relation lock), else that
 * of the tuple lock it holds while it waits for the row's locker to finish,
 * else — a transactionid wait with no tuple lock, which is how READ COMMITTED
 * waits after following a row's update chain — the table its waiting
 * statement updates, inserts into or locks; else the lock type.
 */
const WAITERS_SQL = `
  select w.pid,
    coalesce(
      (select c.relname from pg_locks l join pg_class c on c.oid = l.relation
        where l.pid = w.pid and not l.granted limit 1),
      (select c.relname from pg_locks l join pg_class c on c.oid = l.relation
        where l.pid = w.pid and l.granted and l.locktype = 'tuple' limit 1),
      -- (no question marks: knex.raw reads them as bindings)
      (regexp_match(lower(w.query), '(update|into|from)\\s+"{0,1}([a-z0-9_]+)'))[2],
      (select l.locktype from pg_locks l where l.pid = w.pid and not l.granted limit 1),
      '(released)'
    ) as waits_on
  from pg_stat_activity w
  where w.datname = current_database()
    and w.pid <> pg_backend_pid()
    and w.wait_event_type = 'Lock'`;

interface LockStats {
  samples: number;
  max: number;
  sum: number;
  /** Relation (or lock type) → session-samples waiting on it. */
  byRelation: Map<string, number>;
  /** Relation → the most sessions waiting on it in one sample. */
  maxByRelation: Map<string, number>;
}

function newLockStats(): LockStats {
  return {
    samples: 0,
    max: 0,
    sum: 0,
    byRelation: new Map(),
    maxByRelation: new Map(),
  };
}

function mergeLockStats(into: LockStats, from: LockStats): void {
  into.samples += from.samples;
  into.max = Math.max(into.max, from.max);
  into.sum += from.sum;
  for (const [rel, n] of from.byRelation) {
    into.byRelation.set(rel, (into.byRelation.get(rel) ?? 0) + n);
  }
  for (const [rel, n] of from.maxByRelation) {
    into.maxByRelation.set(rel, Math.max(into.maxByRelation.get(rel) ?? 0, n));
  }
}

/** Samples until stop() resolves; one dedicated connection. */
function startSampler(sampler: Knex): { stop(): Promise<LockStats> } {
  const stats = newLockStats();
  let running = true;
  const loop = (async () => {
    while (running) {
      const started = Date.now();
      try {
        const { rows } = await sampler.raw(WAITERS_SQL);
        stats.samples += 1;
        stats.sum += rows.length;
        stats.max = Math.max(stats.max, rows.length);
        const counts = new Map<string, number>();
        for (const row of rows as { waits_on: string }[]) {
          counts.set(row.waits_on, (counts.get(row.waits_on) ?? 0) + 1);
        }
        for (const [rel, n] of counts) {
          stats.byRelation.set(rel, (stats.byRelation.get(rel) ?? 0) + n);
          stats.maxByRelation.set(
            rel,
            Math.max(stats.maxByRelation.get(rel) ?? 0, n),
          );
        }
      } catch (error) {
        if (running) {
          console.error(`lock sample failed: ${error}`);
        }
      }
      const rest = SAMPLE_MS - (Date.now() - started);
      if (rest > 0 && running) {
        await new Promise(resolve => setTimeout(resolve, rest));
      }
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return stats;
    },
  };
}

function describeWaits(stats: LockStats): string {
  if (stats.samples === 0) {
    return 'no samples';
  }
  const mean = stats.sum / stats.samples;
  const relations = [...stats.byRelation.entries()]
    .sort((a, b) => b[1] - a[1])
    .map(
      ([rel, n]) =>
        `${rel} (mean ${(n / stats.samples).toFixed(
          2,
        )}, max ${stats.maxByRelation.get(rel)})`,
    );
  return `waiting on a lock: max ${stats.max}, mean ${mean.toFixed(2)} over ${
    stats.samples
  } samples${relations.length ? `; on ${relations.join(', ')}` : ''}`;
}

// ---------------------------------------------------------------------------
// Rounds
// ---------------------------------------------------------------------------

type Kind = '1x1' | '16x16' | '16x1';

/** Busy and total jiffies of the whole machine (Linux), if readable. */
function machineCpu(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8')
      .split('\n')[0]
      .trim()
      .split(/\s+/)
      .slice(1)
      .map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    const idle = fields[3] + (fields[4] ?? 0);
    return { busy: total - idle, total };
  } catch {
    return undefined;
  }
}

interface RoundResult {
  kind: Kind;
  /** SQL statements the store ran (BEGIN and COMMIT included). */
  statements: number;
  /** CPU of this node process, in % of one core. */
  nodeCpuPct: number;
  /** CPU of the whole machine (every core, every process), in %. */
  machineCpuPct?: number;
  deployments: number;
  errors: number;
  firstError?: string;
  elapsedMs: number;
  latenciesMs: number[];
  locks: LockStats;
}

/**
 * A flow the writers report to. With a cap, the flow is replaced by a fresh
 * one (a new entity ref) every `FLOW_CAP` deployments, so every round reads
 * flow histories of the same bounded size.
 */
class Flow {
  #generation = 0;
  #count = 0;
  constructor(private readonly base: string) {}
  next(): string {
    if (FLOW_CAP > 0 && this.#count > 0 && this.#count % FLOW_CAP === 0) {
      this.#generation += 1;
    }
    this.#count += 1;
    return `component:default/${this.base}-g${this.#generation}`;
  }
}

let versionCounter = 0;

/** Counts the statements knex runs on the store's client. */
class StatementCounter {
  count = 0;
  readonly #listener = () => {
    this.count += 1;
  };
  constructor(private readonly db: Knex) {
    db.on('query', this.#listener);
  }
  stop(): number {
    this.db.removeListener('query', this.#listener);
    return this.count;
  }
}

async function runRound(
  store: DatabasePromotionStore,
  db: Knex,
  sampler: Knex,
  kind: Kind,
  round: number | string,
  durationMs: number = DURATION_MS,
): Promise<RoundResult> {
  const writers = kind === '1x1' ? 1 : WRITERS;
  const flowCount = kind === '16x16' ? WRITERS : 1;
  const flows = Array.from(
    { length: flowCount },
    (_, i) => new Flow(`bench-r${round}-${kind}-f${i}`),
  );
  const latenciesMs: number[] = [];
  let deployments = 0;
  let errors = 0;
  let firstError: string | undefined;

  const lockSampler = startSampler(sampler);
  const counter = new StatementCounter(db);
  const cpu0 = process.cpuUsage();
  const machine0 = machineCpu();
  const started = Date.now();
  const deadline = started + durationMs;
  await Promise.all(
    Array.from({ length: writers }, async (_, w) => {
      const flow = flows[w % flowCount];
      while (Date.now() < deadline) {
        versionCounter += 1;
        const version = `1.0.${versionCounter}`;
        const t0 = process.hrtime.bigint();
        try {
          await store.recordDeployment(
            {
              entityRef: flow.next(),
              environmentId: 'production',
              version,
              status: 'succeeded',
              link: `https://ci.example.com/run/${versionCounter}`,
              idempotencyKey: IDEMPOTENCY ? `bench-${version}` : undefined,
              evaluateGate: () => [],
            },
            { actor: `service:bench-writer-${w}` },
          );
          deployments += 1;
          latenciesMs.push(Number(process.hrtime.bigint() - t0) / 1e6);
        } catch (error) {
          errors += 1;
          firstError ??= String(error);
        }
      }
    }),
  );
  const elapsedMs = Date.now() - started;
  const cpu = process.cpuUsage(cpu0);
  const machine1 = machineCpu();
  const statements = counter.stop();
  const locks = await lockSampler.stop();
  return {
    kind,
    statements,
    nodeCpuPct: ((cpu.user + cpu.system) / 1000 / elapsedMs) * 100,
    machineCpuPct:
      machine0 && machine1 && machine1.total > machine0.total
        ? ((machine1.busy - machine0.busy) /
            (machine1.total - machine0.total)) *
          100
        : undefined,
    deployments,
    errors,
    firstError,
    elapsedMs,
    latenciesMs,
    locks,
  };
}

/** SQL statements per deployment, BEGIN and COMMIT included. */
function statementsPer(result: {
  statements: number;
  deployments: number;
  errors: number;
}): string {
  const reports = result.deployments + result.errors;
  return `${
    reports ? (result.statements / reports).toFixed(1) : '?'
  } SQL statements per deployment`;
}

function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const index = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil((p / 100) * sorted.length) - 1),
  );
  return sorted[index];
}

function summary(
  deployments: number,
  elapsedMs: number,
  latencies: number[],
  errors: number,
): { rate: number; text: string } {
  const sorted = [...latencies].sort((a, b) => a - b);
  const rate = deployments / (elapsedMs / 1000);
  return {
    rate,
    text: `${rate.toFixed(1).padStart(7)} deployments/s  (${deployments} in ${(
      elapsedMs / 1000
    ).toFixed(1)} s)  p50 ${percentile(sorted, 50).toFixed(
      1,
    )} ms  p99 ${percentile(sorted, 99).toFixed(1)} ms${
      errors ? `  ERRORS ${errors}` : ''
    }`,
  };
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const admin = knexFactory({
    client: 'pg',
    connection: connection('postgres'),
    pool: { min: 0, max: 1 },
  });
  let db: Knex | undefined;
  let sampler: Knex | undefined;
  let created = false;
  try {
    await admin.raw(`create database "${DB_NAME}"`);
    created = true;
    const version = (await admin.raw('show server_version')).rows[0]
      .server_version;

    db = knexFactory({
      client: 'pg',
      connection: connection(DB_NAME),
      pool: { min: 0, max: POOL },
      acquireConnectionTimeout: 30_000,
    });
    sampler = knexFactory({
      client: 'pg',
      connection: connection(DB_NAME),
      pool: { min: 0, max: 1 },
    });

    const store = await createStore(db);
    const kinds: Kind[] = ['1x1', '16x16', '16x1'];
    const label = (kind: Kind) =>
      kind === '1x1'
        ? '1 writer on 1 flow'
        : kind === '16x16'
        ? `${WRITERS} writers on ${WRITERS} flows`
        : `${WRITERS} writers on 1 flow`;

    console.log(
      `promotion store write benchmark — PostgreSQL ${version}, database ${DB_NAME}`,
    );
    console.log(
      `${REPEATS} x 3 interleaved rounds of ${
        DURATION_MS / 1000
      } s after a warm-up round of ${
        WARMUP_MS / 1000
      } s of each kind, pool ${POOL}, flow cap ${
        FLOW_CAP || 'none'
      }, lock samples every ${SAMPLE_MS} ms, idempotency keys ${
        IDEMPOTENCY ? 'on' : 'off'
      }`,
    );

    // Warm-up: connections, JIT, plans and caches, a round of each kind
    // (not measured).
    await Promise.all(
      Array.from({ length: WRITERS }, (_, w) =>
        store.recordDeployment(
          {
            entityRef: `component:default/bench-warmup-${w}`,
            environmentId: 'production',
            version: '0.0.0',
            status: 'succeeded',
            evaluateGate: () => [],
          },
          { actor: 'service:bench-warmup' },
        ),
      ),
    );
    if (WARMUP_MS > 0) {
      const warm: string[] = [];
      for (const kind of kinds) {
        const result = await runRound(
          store,
          db,
          sampler,
          kind,
          `warmup`,
          WARMUP_MS,
        );
        warm.push(
          `${kind} ${(result.deployments / (result.elapsedMs / 1000)).toFixed(
            1,
          )}/s`,
        );
      }
      console.log(
        `warm-up (not counted), ${WARMUP_MS / 1000} s each: ${warm.join(', ')}`,
      );
    }

    const results: RoundResult[] = [];
    let round = 0;
    for (let r = 0; r < REPEATS; r++) {
      // Alternate the order so that drift does not favour one kind.
      const order = r % 2 === 0 ? kinds : [...kinds].reverse();
      for (const kind of order) {
        round += 1;
        const result = await runRound(store, db, sampler, kind, round);
        results.push(result);
        const s = summary(
          result.deployments,
          result.elapsedMs,
          result.latenciesMs,
          result.errors,
        );
        console.log(`round ${round} ${label(kind).padEnd(22)} ${s.text}`);
        console.log(`        ${describeWaits(result.locks)}`);
        console.log(
          `        cpu: bench process ${result.nodeCpuPct.toFixed(
            0,
          )}% of a core, machine ${
            result.machineCpuPct === undefined
              ? '?'
              : `${result.machineCpuPct.toFixed(0)}% busy`
          } (all processes); ${statementsPer(result)}`,
        );
        if (result.firstError) {
          console.log(`        first error: ${result.firstError}`);
        }
      }
    }

    console.log('');
    console.log('totals per kind of round:');
    const totals = new Map<Kind, { rate: number; locks: LockStats }>();
    for (const kind of kinds) {
      const rs = results.filter(x => x.kind === kind);
      const locks = newLockStats();
      rs.forEach(x => mergeLockStats(locks, x.locks));
      const s = summary(
        rs.reduce((n, x) => n + x.deployments, 0),
        rs.reduce((n, x) => n + x.elapsedMs, 0),
        rs.flatMap(x => x.latenciesMs),
        rs.reduce((n, x) => n + x.errors, 0),
      );
      totals.set(kind, { rate: s.rate, locks });
      console.log(`  ${label(kind).padEnd(22)} ${s.text}`);
      console.log(`  ${''.padEnd(22)} ${describeWaits(locks)}`);
      const mean = (values: number[]) =>
        values.reduce((a, b) => a + b, 0) / Math.max(1, values.length);
      const machine = rs.flatMap(x =>
        x.machineCpuPct === undefined ? [] : [x.machineCpuPct],
      );
      console.log(
        `  ${''.padEnd(22)} cpu (mean of the rounds): bench process ${mean(
          rs.map(x => x.nodeCpuPct),
        ).toFixed(0)}% of a core, machine ${
          machine.length ? `${mean(machine).toFixed(0)}% busy` : '?'
        }; ${statementsPer({
          statements: rs.reduce((n, x) => n + x.statements, 0),
          deployments: rs.reduce((n, x) => n + x.deployments, 0),
          errors: rs.reduce((n, x) => n + x.errors, 0),
        })}`,
      );
    }

    const one = totals.get('1x1')!;
    const many = totals.get('16x16')!;
    const ratio = many.rate / one.rate;
    console.log('');
    console.log(
      `ratio ${WRITERS} writers on ${WRITERS} flows / 1 writer on 1 flow: ${ratio.toFixed(
        2,
      )}x`,
    );

    console.log('');
    console.log('audit chain verification:');
    const t0 = Date.now();
    const verification = (await store.verifyChain()) as unknown as Record<
      string,
      unknown
    >;
    console.log(
      `  intact: ${verification.intact}, events checked: ${
        verification.eventsChecked
      } (${Date.now() - t0} ms)${
        verification.problem ? `, problem: ${verification.problem}` : ''
      }`,
    );
    try {
      const { rows: eventRows } = await db.raw(
        'select count(*)::int as n from promotion_audit_events',
      );
      const { rows: deploymentRows } = await db.raw(
        'select count(*)::int as n from promotion_deployments',
      );
      console.log(
        `  (the database holds ${deploymentRows[0].n} deployments and ${eventRows[0].n} audit events)`,
      );
    } catch (error) {
      console.log(`  (could not count the rows: ${error})`);
    }
    const otherKeys = Object.keys(verification).filter(
      k => !['intact', 'eventsChecked', 'problem', 'verifiedAt'].includes(k),
    );
    if (otherKeys.length) {
      console.log(
        `  more: ${JSON.stringify(
          Object.fromEntries(otherKeys.map(k => [k, verification[k]])),
        ).slice(0, 500)}`,
      );
    }

    // The goal.
    console.log('');
    const manyWaitsOnHead = many.locks.byRelation.get(GLOBAL_CHAIN_HEAD) ?? 0;
    const anyWaitsOnHead = [...totals.values()].some(
      t => (t.locks.byRelation.get(GLOBAL_CHAIN_HEAD) ?? 0) > 0,
    );
    console.log(
      `${
        ratio >= 3 ? 'GOAL MET' : 'GOAL NOT MET'
      }: ${WRITERS} writers on ${WRITERS} flows reach ${ratio.toFixed(
        2,
      )}x one writer (goal >= 3x)`,
    );
    // Writers on different flows share nothing flow-scoped, so any lock wait
    // among them is a wait on something plugin-wide.
    const noPluginWide = many.locks.max === 0 && !anyWaitsOnHead;
    console.log(
      `${
        noPluginWide ? 'GOAL MET' : 'GOAL NOT MET'
      }: no waits on a plugin-wide lock — ${WRITERS} writers on ${WRITERS} flows: max ${
        many.locks.max
      } waiting, mean ${(
        many.locks.sum / Math.max(1, many.locks.samples)
      ).toFixed(2)}${
        many.locks.byRelation.size
          ? ` (on ${[...many.locks.byRelation.keys()].join(', ')})`
          : ''
      }; waits on ${GLOBAL_CHAIN_HEAD} in any round: ${
        anyWaitsOnHead ? 'yes' : 'none'
      }${
        manyWaitsOnHead
          ? ` (mean ${(manyWaitsOnHead / many.locks.samples).toFixed(
              2,
            )} at ${WRITERS} on ${WRITERS})`
          : ''
      }`,
    );
  } finally {
    await sampler?.destroy().catch(() => {});
    await db?.destroy().catch(() => {});
    if (created) {
      try {
        await admin.raw(`drop database if exists "${DB_NAME}" with (force)`);
        console.log(`dropped database ${DB_NAME}`);
      } catch (error) {
        console.error(`could not drop database ${DB_NAME}: ${error}`);
      }
    }
    await admin.destroy().catch(() => {});
  }
}

main().then(
  () => process.exit(0),
  error => {
    console.error(`benchmark failed: ${error?.stack ?? error}`);
    process.exit(1);
  },
);
