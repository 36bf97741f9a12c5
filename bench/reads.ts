/*
 * Read benchmark of Promotion (issue 12, "Fast at any history"): a BUILT
 * backend on PostgreSQL with N flows and about M audit events, measured in
 * one interleaved run against the catalog's own by-name lookup and the
 * plugin's /health in the same process. Run it through scripts/bench.sh,
 * which builds the backend bundle first and bounds the run in time.
 *
 * What it does:
 * 1. Seeds a fresh database of the plugin (bench/readsSeed.ts): N flows of
 *    the `standard` policy with their whole history (deployments, checklist
 *    completions, sign-offs, the one-time Production approval with its
 *    request, decision and standing approval) and their keyed audit chains,
 *    500 of them (BENCH_INBOX) with a pending request into Production in
 *    the approver's inbox, plus the history-sweep flow. The catalog gets the
 *    flows as a generated YAML file location (Components annotated
 *    `promotion.io/policy: standard`) beside examples/org.yaml.
 * 2. Starts the backend as a production deployment does (the Dockerfile):
 *    packages/backend/dist/bundle.tar.gz unpacked into a temporary
 *    directory, `node packages/backend --config app-config.yaml --config
 *    app-config.production.yaml` plus an overlay: PostgreSQL with a
 *    database prefix of its own, a static pipeline token, the demo sign-in
 *    (a real Backstage user token from /api/auth/demo/refresh), the audit
 *    signing key the seeding used, the catalog's refresh every 6 hours
 *    (its default, every 100-150 s, reprocesses the 10,000 flows through
 *    every round; they are processed once, before the measurements). Its
 *    dependencies are the monorepo's installed node_modules (the versions
 *    of yarn.lock), linked, with the bundle's own workspace packages in
 *    place of the sources. NODE_ENV is production.
 * 3. Measures in interleaved rounds (every read, then every read again, at
 *    1 and 64 connections): the gate check with the pipeline token and with
 *    a user token, the flow state, the approver's inbox, a deployment report
 *    (trail), the catalog's by-name lookup (the peer) and /health (the
 *    floor): requests/s, p50, p99, the ratio to the catalog's throughput,
 *    and the backend's CPU per request (/proc/<pid>/stat).
 * 4. History sweep: one flow at 10, 1,000 and 10,000 deployments (new
 *    versions reported into dev through the API by the pipeline, as a CI
 *    does on every build): the gate check and the flow state p50 at one
 *    connection at each size, and the ratio of the largest to the first.
 * 5. Memory: the backend's RSS (VmRSS, every 100 ms) during the
 *    verification report over the whole range and during /audit/export.
 * 6. Frontend: the gzip size of the chunks of the production app build (in
 *    the bundle) that hold the plugin's code (by their source maps).
 * 7. The audit verification (GET /api/promotion/audit/verify) of the whole
 *    trail at the end, and every goal of the issue with GOAL MET / GOAL NOT
 *    MET.
 *
 * It is a benchmark, not a test: it exits 0 whatever it measured (non-zero
 * only when it could not run), creates its databases and drops them.
 *
 * Environment (all optional):
 *   BENCH_FLOWS         flows (10000)
 *   BENCH_EVENTS        audit events, about (1000000)
 *   BENCH_INBOX         flows with a pending request in the inbox (500)
 *   BENCH_ROUND_S       seconds per round (5)
 *   BENCH_ROUNDS        rounds of every read at every concurrency (3)
 *   BENCH_CONNECTIONS   concurrencies (1,64)
 *   BENCH_SWEEP         deployments of the sweep flow measured at (10,1000,10000)
 *   BENCH_SWEEP_ADDERS  parallel reporters adding the sweep's deployments (4)
 *   BENCH_PORT          the backend's port (7107; never 3000 or 7007)
 *   BENCH_BUNDLE        the backend bundle (packages/backend/dist/bundle.tar.gz)
 *   BENCH_HISTORY_DAYS  days the seeded history spans (180)
 *   BENCH_CATALOG_TIMEOUT_S  wait for the catalog to process the flows (1200)
 *   BENCH_MEMORY_TIMEOUT_S   limit of the report, the export and verify (900 each)
 *   BENCH_KEEP          1: keep the databases and the unpacked bundle
 *   BENCH_WORK_DIR      an empty directory for the bundle, the catalog file,
 *                       the overlay and the backend's log (a new temporary one)
 *   BENCH_DB_PREFIX     database prefix (bench_reads_<random>_)
 *   PGHOST PGPORT PGUSER PGPASSWORD  (127.0.0.1, 5432, postgres, none)
 */
import { ChildProcess, spawn, spawnSync } from 'node:child_process';
import { request as httpRequest } from 'node:http';
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { gzipSync } from 'node:zlib';
import knexFactory from 'knex';
import { parse as parseYaml } from 'yaml';
import { readPromotionConfig } from '@promotion/plugin-promotion-common';
import { AuditKeyring } from '../plugins/promotion-backend/src/audit/auditKeyring';
import {
  percentile,
  RoundResult,
  runRound,
  sampleRss,
  settle,
} from './readsLoad';
import { seed, SeededFlow } from './readsSeed';

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

function listEnv(name: string, fallback: number[]): number[] {
  const raw = process.env[name];
  if (!raw) {
    return fallback;
  }
  const values = raw.split(',').map(v => Number(v.trim()));
  if (values.some(v => !Number.isFinite(v) || v <= 0)) {
    throw new Error(`${name} must be positive numbers separated by commas`);
  }
  return values;
}

const REPO = resolve(__dirname, '..');
const FLOWS = Math.max(2, intEnv('BENCH_FLOWS', 10_000));
const EVENTS = intEnv('BENCH_EVENTS', 1_000_000);
const INBOX = Math.min(intEnv('BENCH_INBOX', 500), Math.floor(FLOWS / 2));
const ROUND_S = Math.max(1, intEnv('BENCH_ROUND_S', 5));
const ROUNDS = Math.max(1, intEnv('BENCH_ROUNDS', 3));
const CONNECTIONS = listEnv('BENCH_CONNECTIONS', [1, 64]);
const SWEEP = listEnv('BENCH_SWEEP', [10, 1000, 10_000]);
const SWEEP_ADDERS = Math.max(1, intEnv('BENCH_SWEEP_ADDERS', 4));
const PORT = intEnv('BENCH_PORT', 7107);
const BUNDLE = resolve(
  REPO,
  process.env.BENCH_BUNDLE || 'packages/backend/dist/bundle.tar.gz',
);
const HISTORY_DAYS = Math.max(1, intEnv('BENCH_HISTORY_DAYS', 180));
const CATALOG_TIMEOUT_MS = intEnv('BENCH_CATALOG_TIMEOUT_S', 1200) * 1000;
const MEMORY_TIMEOUT_MS = intEnv('BENCH_MEMORY_TIMEOUT_S', 900) * 1000;
const KEEP = process.env.BENCH_KEEP === '1';
const PREFIX =
  process.env.BENCH_DB_PREFIX ||
  `bench_reads_${randomBytes(4).toString('hex')}_`;
if (!/^[a-z_][a-z0-9_]{0,40}$/.test(PREFIX)) {
  throw new Error(`BENCH_DB_PREFIX '${PREFIX}' is not a plain identifier`);
}
if (PORT === 3000 || PORT === 7007) {
  throw new Error(
    'BENCH_PORT must not be 3000 or 7007: those are the portal of e2e',
  );
}
const GATE_ENV = 'production';
const POLICY = 'standard';
const SWEEP_FLOW = 'bench-sweep';
/** The sweep flow's seeded history: 3 versions, 10 deployments. */
const SWEEP_VERSIONS = 3;
const SWEEP_SEEDED_DEPLOYMENTS = 10;

const PG = {
  host: process.env.PGHOST || '127.0.0.1',
  port: Number(process.env.PGPORT || 5432),
  user: process.env.PGUSER || 'postgres',
  password: process.env.PGPASSWORD || undefined,
};
const ORIGIN = `http://127.0.0.1:${PORT}`;
const PIPELINE_TOKEN = randomBytes(24).toString('hex');
const OBSERVER_TOKEN = randomBytes(24).toString('hex');
const SIGNING_KEY = randomBytes(32).toString('base64');
const USERS = {
  owner: 'alice',
  signer: 'carol',
  approver: 'dana',
};

const log = (line = '') => console.log(line);
const fmt = (n: number, digits = 1) =>
  Number.isFinite(n) ? n.toFixed(digits) : '?';
const mb = (bytes: number) => `${fmt(bytes / 1024 / 1024, 1)} MB`;

// ---------------------------------------------------------------------------
// HTTP helpers
// ---------------------------------------------------------------------------

async function http(
  path: string,
  options: {
    token?: string;
    method?: string;
    body?: unknown;
    headers?: Record<string, string>;
    timeoutMs?: number;
  } = {},
): Promise<{ status: number; text: string; ms: number }> {
  // node:http, not fetch: fetch (undici) gives up on a response whose
  // headers take over 300 s, and the verification of a million events on a
  // busy machine answers later than that (it answers once, at the end).
  const started = performance.now();
  const body =
    options.body !== undefined ? JSON.stringify(options.body) : undefined;
  return await new Promise((resolvePromise, reject) => {
    const req = httpRequest(
      `${ORIGIN}${path}`,
      {
        method: options.method ?? 'GET',
        headers: {
          ...(options.token
            ? { authorization: `Bearer ${options.token}` }
            : {}),
          ...(body !== undefined
            ? {
                'content-type': 'application/json',
                'content-length': Buffer.byteLength(body),
              }
            : {}),
          ...options.headers,
        },
        signal: AbortSignal.timeout(options.timeoutMs ?? 60_000),
      },
      res => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () =>
          resolvePromise({
            status: res.statusCode ?? 0,
            text: Buffer.concat(chunks).toString('utf8'),
            ms: performance.now() - started,
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(body);
  });
}

async function getJson<T>(
  path: string,
  token?: string,
  timeoutMs?: number,
): Promise<T> {
  const res = await http(path, { token, timeoutMs });
  if (res.status !== 200) {
    throw new Error(`GET ${path}: ${res.status} ${res.text.slice(0, 300)}`);
  }
  return JSON.parse(res.text) as T;
}

/**
 * Streams a response to the end, counting its bytes without keeping them;
 * the backend's RSS is sampled meanwhile.
 */
async function streamed(
  path: string,
  token: string,
  pid: number,
): Promise<{
  status: number;
  bytes: number;
  ms: number;
  baseline: number;
  max: number;
  error?: string;
}> {
  const sampler = sampleRss(pid, 100);
  const started = performance.now();
  let bytes = 0;
  let status = 0;
  let error: string | undefined;
  try {
    const res = await fetch(`${ORIGIN}${path}`, {
      headers: { authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(MEMORY_TIMEOUT_MS),
    });
    status = res.status;
    if (res.body) {
      for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) {
        bytes += chunk.byteLength;
      }
    }
  } catch (e) {
    error = String(e);
  }
  const ms = performance.now() - started;
  const rss = sampler.stop();
  return { status, bytes, ms, baseline: rss.baseline, max: rss.max, error };
}

// ---------------------------------------------------------------------------
// The backend
// ---------------------------------------------------------------------------

/**
 * Unpacks the bundle and links the monorepo's node_modules beside it, the
 * bundle's workspace packages in place of their sources.
 */
function unpackBundle(dir: string): void {
  if (!existsSync(BUNDLE)) {
    throw new Error(
      `No backend bundle at ${BUNDLE}: build it first (yarn workspace backend build; scripts/bench.sh does)`,
    );
  }
  const tar = spawnSync('tar', ['xzf', BUNDLE, '-C', dir], {
    stdio: 'inherit',
  });
  if (tar.status !== 0) {
    throw new Error(`could not unpack ${BUNDLE}`);
  }
  // The bundle's workspace packages, by name.
  const own = new Map<string, string>();
  for (const base of ['packages', 'plugins']) {
    const root = join(dir, base);
    if (!existsSync(root)) {
      continue;
    }
    for (const name of readdirSync(root)) {
      const pkgFile = join(root, name, 'package.json');
      if (existsSync(pkgFile)) {
        own.set(
          JSON.parse(readFileSync(pkgFile, 'utf8')).name,
          join(root, name),
        );
      }
    }
  }
  const modules = join(dir, 'node_modules');
  mkdirSync(modules);
  const source = join(REPO, 'node_modules');
  for (const entry of readdirSync(source)) {
    if (entry.startsWith('.')) {
      continue;
    }
    if (entry.startsWith('@')) {
      mkdirSync(join(modules, entry));
      for (const scoped of readdirSync(join(source, entry))) {
        const name = `${entry}/${scoped}`;
        symlinkSync(
          own.get(name) ?? join(source, entry, scoped),
          join(modules, name),
        );
      }
    } else {
      symlinkSync(own.get(entry) ?? join(source, entry), join(modules, entry));
    }
  }
  // Workspace packages the monorepo's node_modules does not list.
  for (const [name, path] of own) {
    if (!existsSync(join(modules, name))) {
      mkdirSync(join(modules, name, '..'), { recursive: true });
      symlinkSync(path, join(modules, name));
    }
  }
  for (const file of readdirSync(REPO).filter(f =>
    /^app-config.*\.yaml$/.test(f),
  )) {
    writeFileSync(join(dir, file), readFileSync(join(REPO, file)));
  }
}

function catalogYaml(flows: SeededFlow[]): string {
  return flows
    .map(
      flow => `---
apiVersion: backstage.io/v1alpha1
kind: Component
metadata:
  name: ${flow.name}
  title: Bench flow ${flow.name}
  annotations:
    promotion.io/policy: ${POLICY}
spec:
  type: service
  lifecycle: production
  owner: file-transfer-team
  system: enterprise-file-transfer
`,
    )
    .join('');
}

function overlayConfig(workDir: string, catalogFile: string): string {
  const baseUrl = `http://localhost:${PORT}`;
  const config = {
    app: { baseUrl },
    backend: {
      baseUrl,
      listen: `:${PORT}`,
      cors: { origin: baseUrl },
      database: {
        client: 'pg',
        prefix: PREFIX,
        connection: {
          host: PG.host,
          port: PG.port,
          user: PG.user,
          ...(PG.password ? { password: PG.password } : {}),
        },
      },
      auth: {
        externalAccess: [
          {
            type: 'static',
            options: { token: PIPELINE_TOKEN, subject: 'bench-pipeline' },
            accessRestrictions: [{ plugin: 'promotion' }],
          },
          {
            type: 'static',
            options: { token: OBSERVER_TOKEN, subject: 'bench-observer' },
            accessRestrictions: [{ plugin: 'catalog' }],
          },
        ],
      },
    },
    auth: { environment: 'development', providers: { demo: {} } },
    catalog: {
      // The catalog reprocesses every entity each 100-150 s by default: with
      // 10,000 flows that is a background load through every round. Here
      // the flows are processed once, at the start (the wait below).
      processingInterval: { hours: 6 },
      rules: [
        {
          allow: [
            'Component',
            'System',
            'API',
            'Resource',
            'Location',
            'User',
            'Group',
          ],
        },
      ],
      locations: [
        { type: 'file', target: join(REPO, 'examples/org.yaml') },
        { type: 'file', target: join(REPO, 'examples/entities.yaml') },
        { type: 'file', target: catalogFile },
      ],
    },
    promotion: {
      audit: { signingKeys: [{ id: 'bench', secret: SIGNING_KEY }] },
    },
  };
  const file = join(workDir, 'app-config.bench.yaml');
  // JSON is YAML.
  writeFileSync(file, JSON.stringify(config, null, 2));
  return file;
}

interface Backend {
  child: ChildProcess;
  pid: number;
  logFile: string;
  exited: Promise<number | null>;
}

function startBackend(workDir: string, overlay: string): Backend {
  const logFile = join(workDir, 'backend.log');
  const out = openSync(logFile, 'a');
  const child = spawn(
    process.execPath,
    [
      'packages/backend',
      '--config',
      'app-config.yaml',
      '--config',
      'app-config.production.yaml',
      '--config',
      overlay,
    ],
    {
      cwd: workDir,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        POSTGRES_HOST: PG.host,
        POSTGRES_PORT: String(PG.port),
        POSTGRES_USER: PG.user,
        POSTGRES_PASSWORD: PG.password ?? 'unused',
        PROMOTION_PIPELINE_TOKEN: PIPELINE_TOKEN,
        PROMOTION_AUDIT_SIGNING_KEY: SIGNING_KEY,
      },
      stdio: ['ignore', out, out],
    },
  );
  closeSync(out);
  if (process.env.BENCH_PID_FILE) {
    writeFileSync(process.env.BENCH_PID_FILE, String(child.pid));
  }
  const exited = new Promise<number | null>(resolveExit =>
    child.on('exit', code => resolveExit(code)),
  );
  return { child, pid: child.pid!, logFile, exited };
}

async function stopBackend(backend: Backend): Promise<void> {
  if (backend.child.exitCode !== null) {
    return;
  }
  backend.child.kill('SIGTERM');
  const timer = setTimeout(() => backend.child.kill('SIGKILL'), 15_000);
  await backend.exited;
  clearTimeout(timer);
}

function tail(file: string, lines = 30): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-lines).join('\n');
  } catch {
    return '(no log)';
  }
}

async function waitFor(
  what: string,
  backend: Backend,
  timeoutMs: number,
  check: () => Promise<boolean>,
  progress?: () => Promise<string>,
): Promise<number> {
  const started = Date.now();
  let nextReport = started + 30_000;
  for (;;) {
    if (backend.child.exitCode !== null) {
      throw new Error(
        `the backend exited (${
          backend.child.exitCode
        }) while waiting for ${what}; its log:\n${tail(backend.logFile)}`,
      );
    }
    try {
      if (await check()) {
        return Date.now() - started;
      }
    } catch {
      // not yet
    }
    if (Date.now() - started > timeoutMs) {
      throw new Error(
        `timed out after ${
          timeoutMs / 1000
        } s waiting for ${what}; the backend's log:\n${tail(backend.logFile)}`,
      );
    }
    if (progress && Date.now() > nextReport) {
      log(
        `  ... ${await progress().catch(() => '?')} (${Math.round(
          (Date.now() - started) / 1000,
        )} s)`,
      );
      nextReport = Date.now() + 30_000;
    }
    await new Promise(r => setTimeout(r, 1000));
  }
}

async function userToken(user: string): Promise<string> {
  const res = await http('/api/auth/demo/refresh', {
    headers: { 'x-promotion-demo-user': user },
  });
  if (res.status !== 200) {
    throw new Error(
      `sign-in as ${user}: ${res.status} ${res.text.slice(0, 300)}`,
    );
  }
  const token = JSON.parse(res.text)?.backstageIdentity?.token;
  if (!token) {
    throw new Error(
      `sign-in as ${user}: no token in ${res.text.slice(0, 300)}`,
    );
  }
  return token;
}

/** Lines of the backend's log (from an offset) that name a path. */
function logLinesNaming(file: string, from: number, needle: string): number {
  const text = readFileSync(file, 'utf8').slice(from);
  return text.split('\n').filter(line => line.includes(needle)).length;
}

// ---------------------------------------------------------------------------
// Reads
// ---------------------------------------------------------------------------

interface Read {
  key: string;
  label: string;
  token?: () => string;
  next: () => string;
  timeoutS?: number;
}

interface Totals {
  requests: number;
  ok: number;
  non2xx: number;
  errors: number;
  elapsedS: number;
  cpuS: number;
  cpuKnown: boolean;
  latencies: number[];
  statusCounts: Record<string, number>;
}

function emptyTotals(): Totals {
  return {
    requests: 0,
    ok: 0,
    non2xx: 0,
    errors: 0,
    elapsedS: 0,
    cpuS: 0,
    cpuKnown: true,
    latencies: [],
    statusCounts: {},
  };
}

function addRound(t: Totals, r: RoundResult): void {
  t.requests += r.requests;
  t.ok += r.ok;
  t.non2xx += r.non2xx;
  t.errors += r.errors;
  t.elapsedS += r.elapsedS;
  if (r.backendCpuS === undefined) {
    t.cpuKnown = false;
  } else {
    t.cpuS += r.backendCpuS;
  }
  for (const l of r.latenciesMs) {
    t.latencies.push(l);
  }
  for (const [s, n] of Object.entries(r.statusCounts)) {
    t.statusCounts[s] = (t.statusCounts[s] ?? 0) + n;
  }
}

function rateOf(t: Totals): number {
  return t.ok / Math.max(1e-9, t.elapsedS);
}

// ---------------------------------------------------------------------------
// Frontend
// ---------------------------------------------------------------------------

interface ChunkInfo {
  file: string;
  bytes: number;
  gzip: number;
  pluginSources: number;
  sources: number;
}

/** The chunks of the app build whose source maps name the plugin's sources. */
function pluginChunks(staticDir: string): ChunkInfo[] {
  const chunks: ChunkInfo[] = [];
  for (const map of readdirSync(staticDir).filter(f => f.endsWith('.js.map'))) {
    const parsed = JSON.parse(readFileSync(join(staticDir, map), 'utf8'));
    const sources: string[] = parsed.sources ?? [];
    const plugin = sources.filter(s =>
      /(^|\/)plugins\/promotion(-common)?\/src\//.test(s),
    );
    if (plugin.length === 0) {
      continue;
    }
    const js = readFileSync(join(staticDir, map.slice(0, -4)));
    chunks.push({
      file: map.slice(0, -4),
      bytes: js.length,
      gzip: gzipSync(js).length,
      pluginSources: plugin.length,
      sources: sources.length,
    });
  }
  return chunks.sort((a, b) => b.gzip - a.gzip);
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main(): Promise<void> {
  const t0 = Date.now();
  const config = readPromotionConfig(
    parseYaml(readFileSync(join(REPO, 'app-config.yaml'), 'utf8')).promotion,
  );
  const policy = config.policies[POLICY];
  if (!policy) {
    throw new Error(`app-config.yaml has no promotion policy '${POLICY}'`);
  }
  const admin = knexFactory({
    client: 'pg',
    connection: { ...PG, database: 'postgres' },
    pool: { min: 0, max: 1 },
  });
  const workDir = process.env.BENCH_WORK_DIR
    ? resolve(process.env.BENCH_WORK_DIR)
    : mkdtempSync(join(tmpdir(), 'promotion-bench-reads-'));
  if (readdirSync(workDir).length > 0) {
    throw new Error(`the work directory ${workDir} is not empty`);
  }
  let backend: Backend | undefined;
  const goals: string[] = [];
  const goal = (met: boolean | undefined, text: string) =>
    goals.push(
      `${
        met === undefined
          ? 'GOAL NOT MEASURED'
          : met
          ? 'GOAL MET'
          : 'GOAL NOT MET'
      }: ${text}`,
    );

  try {
    const pgVersion = (await admin.raw('show server_version')).rows[0]
      .server_version;
    log(
      `promotion read benchmark — PostgreSQL ${pgVersion}, databases ${PREFIX}*, backend on port ${PORT}, work dir ${workDir}`,
    );
    log(
      `settings: ${FLOWS} flows, ~${EVENTS} events, inbox ${INBOX} flows, ${ROUNDS} rounds x ${ROUND_S} s at ${CONNECTIONS.join(
        ' and ',
      )} connections, sweep at ${SWEEP.join(', ')} deployments`,
    );

    // 1. Seed -------------------------------------------------------------
    log('');
    log('1. seeding');
    const promotionDb = `${PREFIX}promotion`;
    await admin.raw(`create database "${promotionDb}"`);
    const keyring = new AuditKeyring([
      { id: 'bench', secret: Buffer.from(SIGNING_KEY, 'utf8') },
    ]);
    const seeded = await seed({
      connection: { ...PG, database: promotionDb },
      migrationsDir: join(REPO, 'plugins/promotion-backend/migrations'),
      keyring,
      policy,
      gateEnv: GATE_ENV,
      flows: FLOWS,
      events: EVENTS,
      inboxFlows: INBOX,
      actors: {
        owner: `user:default/${USERS.owner}`,
        signer: `user:default/${USERS.signer}`,
        approver: `user:default/${USERS.approver}`,
        pipeline: 'service:bench-pipeline',
      },
      historyDays: HISTORY_DAYS,
      requestExpirySeconds: config.requestExpirySeconds,
      extraFlows: [{ name: SWEEP_FLOW, versions: SWEEP_VERSIONS }],
      log,
    });
    const rowsText = Object.entries(seeded.rows)
      .map(([table, n]) => `${table.replace('promotion_', '')} ${n}`)
      .join(', ');
    log(
      `  seeded ${seeded.events} audit events and rows: ${rowsText} in ${fmt(
        seeded.elapsedMs / 1000,
      )} s (history ${seeded.firstEventAt.toISOString()} to ${seeded.lastEventAt.toISOString()})`,
    );
    const flows = seeded.flows.filter(f => f.name !== SWEEP_FLOW);
    const regular = flows.filter(f => !f.inbox);
    const sweepFlow = seeded.flows.find(f => f.name === SWEEP_FLOW)!;
    if (sweepFlow.deployments !== SWEEP_SEEDED_DEPLOYMENTS) {
      log(`  (the sweep flow has ${sweepFlow.deployments} seeded deployments)`);
    }

    // 2. Backend ----------------------------------------------------------
    log('');
    log('2. starting the built backend');
    const catalogFile = join(workDir, 'bench-flows.yaml');
    writeFileSync(catalogFile, catalogYaml(seeded.flows));
    unpackBundle(workDir);
    const overlay = overlayConfig(workDir, catalogFile);
    backend = startBackend(workDir, overlay);
    const b = backend;
    const upMs = await waitFor(
      '/api/promotion/health',
      b,
      300_000,
      async () => (await http('/api/promotion/health')).status === 200,
    );
    log(`  up in ${fmt(upMs / 1000)} s (pid ${b.pid}, log ${b.logFile})`);
    const lastName = seeded.flows[seeded.flows.length - 1].name;
    const expected = seeded.flows.length;
    const catalogCount = async () => {
      const page = await getJson<{ totalItems: number }>(
        `/api/catalog/entities/by-query?filter=${encodeURIComponent(
          `metadata.annotations.promotion.io/policy=${POLICY}`,
        )}&limit=1`,
        OBSERVER_TOKEN,
      );
      return page.totalItems;
    };
    const catalogMs = await waitFor(
      `the catalog to process ${expected} flows`,
      b,
      CATALOG_TIMEOUT_MS,
      async () =>
        (
          await http(
            `/api/catalog/entities/by-name/user/default/${USERS.approver}`,
            { token: OBSERVER_TOKEN },
          )
        ).status === 200 &&
        (
          await http(
            `/api/catalog/entities/by-name/component/default/${lastName}`,
            { token: OBSERVER_TOKEN },
          )
        ).status === 200 &&
        (await catalogCount()) >= expected,
      async () => `catalog: ${await catalogCount()} of ${expected} flows`,
    );
    log(
      `  the catalog holds the ${expected} flows after ${fmt(
        catalogMs / 1000,
      )} s`,
    );
    // User tokens last an hour: taken again before each phase.
    let ownerToken = await userToken(USERS.owner);
    let approverToken = await userToken(USERS.approver);
    const refreshTokens = async () => {
      ownerToken = await userToken(USERS.owner);
      approverToken = await userToken(USERS.approver);
    };
    log(
      `  user tokens from /api/auth/demo/refresh for ${USERS.owner} and ${USERS.approver}`,
    );

    // 3. Interleaved reads ---------------------------------------------------
    log('');
    log('3. reads, interleaved');
    let cursor = 0;
    const pick = <T>(items: T[]) => items[(cursor++ * 7919) % items.length];
    const flowPath = (f: SeededFlow) =>
      `/api/promotion/flows/default/component/${f.name}`;
    const gatePath = (f: SeededFlow) =>
      `${flowPath(f)}/gate?environment=${GATE_ENV}&version=${encodeURIComponent(
        f.lastVersion,
      )}`;
    const trails = regular
      .filter(f => f.deploymentIds.length > 0)
      .slice(0, 2000)
      .map(f => `${flowPath(f)}/deployments/${f.deploymentIds[0]}/trail`);
    const reads: Read[] = [
      {
        key: 'gate-pipeline',
        label: 'gate check, pipeline token',
        token: () => PIPELINE_TOKEN,
        next: () => gatePath(pick(regular)),
      },
      {
        key: 'gate-user',
        label: 'gate check, user token',
        token: () => ownerToken,
        next: () => gatePath(pick(regular)),
      },
      {
        key: 'flow-state',
        label: 'flow state',
        token: () => ownerToken,
        next: () => flowPath(pick(regular)),
      },
      {
        key: 'inbox',
        label: `inbox (${INBOX} pending requests)`,
        token: () => approverToken,
        next: () => '/api/promotion/inbox',
        timeoutS: 120,
      },
      {
        key: 'trail',
        label: 'deployment report (trail)',
        token: () => ownerToken,
        next: () => pick(trails),
      },
      {
        key: 'catalog',
        label: 'catalog by-name (the peer)',
        token: () => ownerToken,
        next: () =>
          `/api/catalog/entities/by-name/component/default/${pick(flows).name}`,
      },
      {
        key: 'health',
        label: '/api/promotion/health (the floor)',
        next: () => '/api/promotion/health',
      },
    ];

    // Each read answers before it is measured.
    for (const read of reads) {
      const res = await http(read.next(), {
        token: read.token?.(),
        timeoutMs: 120_000,
      });
      log(
        `  probe ${read.key.padEnd(14)} ${res.status} in ${fmt(res.ms)} ms${
          res.status === 200 ? '' : `: ${res.text.slice(0, 300)}`
        }`,
      );
    }
    // The inbox, once, alone: its permission requests in the backend's log.
    const logOffset = statSync(b.logFile).size;
    const inboxOnce = await http('/api/promotion/inbox', {
      token: approverToken,
      timeoutMs: 120_000,
    });
    await new Promise(r => setTimeout(r, 500));
    const authorizeCalls = logLinesNaming(
      b.logFile,
      logOffset,
      '/api/permission/authorize',
    );
    let inboxItems = -1;
    try {
      const body = JSON.parse(inboxOnce.text);
      inboxItems = (body.items ?? body.requests ?? []).length;
    } catch {
      // reported below
    }
    log(
      `  inbox alone: ${inboxOnce.status} in ${fmt(
        inboxOnce.ms,
      )} ms, ${inboxItems} items, ${authorizeCalls} request(s) to /api/permission/authorize in the backend's log`,
    );

    // Warm-up: a short round of each at the highest concurrency.
    const maxConn = Math.max(...CONNECTIONS);
    for (const read of reads) {
      await runRound(
        {
          origin: ORIGIN,
          connections: read.key === 'inbox' ? 1 : Math.min(8, maxConn),
          durationS: 1,
          nextPath: read.next,
          headers: read.token
            ? { authorization: `Bearer ${read.token()}` }
            : {},
          timeoutS: read.timeoutS ?? 30,
        },
        b.pid,
      );
      await settle(b.pid, 180_000);
    }

    // The flow state of every flow, read once: from the tables, as the
    // first read after each change of a flow reads it, keeping the flow's
    // copy (promotion_flow_state_reads). The rounds then read flows that
    // have not changed since, as a portal's Promotion tabs mostly do.
    let firstReadCursor = 0;
    const firstReads = await runRound(
      {
        origin: ORIGIN,
        connections: maxConn,
        durationS: 600,
        amount: regular.length,
        nextPath: () => flowPath(regular[firstReadCursor++ % regular.length]),
        headers: { authorization: `Bearer ${ownerToken}` },
        timeoutS: 60,
      },
      b.pid,
    );
    await settle(b.pid, 180_000);
    const firstReadsSorted = [...firstReads.latenciesMs].sort((x, y) => x - y);
    const firstReadRate = firstReads.ok / firstReads.elapsedS;
    log(
      `  flow state, first read of each of the ${
        regular.length
      } flows (from the tables, keeping its copy), ${maxConn} connections: ${fmt(
        firstReadRate,
        0,
      )}/s, p50 ${fmt(percentile(firstReadsSorted, 50))} ms, p99 ${fmt(
        percentile(firstReadsSorted, 99),
      )} ms, ${fmt(
        ((firstReads.backendCpuS ?? NaN) * 1000) / firstReads.requests,
        2,
      )} ms backend CPU per read${
        firstReads.non2xx || firstReads.errors
          ? ` (${firstReads.non2xx} non-2xx, ${firstReads.errors} errors)`
          : ''
      }`,
    );

    const totals = new Map<string, Totals>();
    const key = (read: string, c: number) => `${read}@${c}`;
    // Many inboxes at once can take far longer than a round: each one
    // that a round leaves unanswered goes on in the backend and into the
    // next round. Such a concurrency is left out for the inbox.
    const inboxSkipped = (c: number) =>
      inboxOnce.ms / 1000 > ROUND_S || (inboxOnce.ms * c) / 1000 > ROUND_S * 4;
    for (const c of CONNECTIONS.filter(inboxSkipped)) {
      log(
        `  (the inbox is not measured in rounds at ${c} connection(s): one takes ${fmt(
          inboxOnce.ms / 1000,
        )} s, ${c} at once would keep the backend busy ${fmt(
          (inboxOnce.ms * c) / 1000,
          0,
        )} s${c === 1 ? '; sequential answers below' : ''})`,
      );
    }
    for (let r = 1; r <= ROUNDS; r++) {
      await refreshTokens();
      for (const c of CONNECTIONS) {
        const order = r % 2 === 1 ? reads : [...reads].reverse();
        const line: string[] = [];
        for (const read of order) {
          if (read.key === 'inbox' && inboxSkipped(c)) {
            continue;
          }
          const result = await runRound(
            {
              origin: ORIGIN,
              connections: c,
              durationS: ROUND_S,
              nextPath: read.next,
              headers: read.token
                ? { authorization: `Bearer ${read.token()}` }
                : {},
              timeoutS: read.timeoutS ?? 30,
            },
            b.pid,
          );
          const t = totals.get(key(read.key, c)) ?? emptyTotals();
          addRound(t, result);
          totals.set(key(read.key, c), t);
          line.push(
            `${read.key} ${fmt(result.ok / result.elapsedS, 0)}/s${
              result.non2xx || result.errors
                ? ` (${result.non2xx} non-2xx, ${result.errors} errors)`
                : ''
            }`,
          );
          await settle(b.pid, 180_000);
        }
        log(`  round ${r}, ${c} connection(s): ${line.join(', ')}`);
      }
    }

    // The inbox's p99 at one connection needs more answers than a few
    // rounds give when one takes long: sequential calls, up to 20 answers
    // or 120 s.
    const inboxSamples = [...(totals.get(key('inbox', 1))?.latencies ?? [])];
    const samplingEnds = Date.now() + 120_000;
    while (inboxSamples.length < 20 && Date.now() < samplingEnds) {
      const res = await http('/api/promotion/inbox', {
        token: approverToken,
        timeoutMs: 120_000,
      });
      if (res.status !== 200) {
        log(`  inbox: ${res.status} ${res.text.slice(0, 200)}`);
        break;
      }
      inboxSamples.push(res.ms);
    }
    const inboxSorted = [...inboxSamples].sort((x, y) => x - y);
    log(
      `  inbox at 1 connection, ${inboxSorted.length} answers: p50 ${fmt(
        percentile(inboxSorted, 50),
      )} ms, p99 ${fmt(percentile(inboxSorted, 99))} ms`,
    );

    log('');
    log('  per read (all rounds):');
    const rate = (read: string, c: number) => {
      const t = totals.get(key(read, c));
      return t ? rateOf(t) : NaN;
    };
    for (const c of CONNECTIONS) {
      log(`  ${c} connection(s):`);
      log(
        `    ${'read'.padEnd(36)} ${'req/s'.padStart(8)} ${'p50 ms'.padStart(
          8,
        )} ${'p99 ms'.padStart(8)} ${'vs catalog'.padStart(
          10,
        )} ${'CPU ms/req'.padStart(10)}`,
      );
      for (const read of reads) {
        const t = totals.get(key(read.key, c));
        if (!t) {
          log(
            `    ${read.label.padEnd(36)} ${
              read.key === 'inbox' && c === 1
                ? `(in rounds: not measured; ${
                    inboxSorted.length
                  } sequential answers: p50 ${fmt(
                    percentile(inboxSorted, 50),
                  )} ms, p99 ${fmt(percentile(inboxSorted, 99))} ms)`
                : '(not measured)'
            }`,
          );
          continue;
        }
        const sorted = [...t.latencies].sort((x, y) => x - y);
        const cpuPerReq =
          t.cpuKnown && t.ok > 0 ? (t.cpuS * 1000) / t.requests : NaN;
        const bad =
          t.non2xx || t.errors
            ? `  (${t.non2xx} non-2xx: ${JSON.stringify(t.statusCounts)}, ${
                t.errors
              } errors)`
            : '';
        log(
          `    ${read.label.padEnd(36)} ${fmt(rateOf(t)).padStart(8)} ${fmt(
            percentile(sorted, 50),
          ).padStart(8)} ${fmt(percentile(sorted, 99)).padStart(8)} ${`${fmt(
            rateOf(t) / rate('catalog', c),
            2,
          )}x`.padStart(10)} ${fmt(cpuPerReq, 2).padStart(10)}${bad}`,
        );
      }
    }

    // 4. History sweep -----------------------------------------------------------
    log('');
    log(
      `4. history sweep: ${SWEEP_FLOW}, gate into ${GATE_ENV} for ${sweepFlow.lastVersion} and flow state, p50 at 1 connection`,
    );
    const sweepGate: Read = {
      key: 'sweep-gate',
      label: 'gate',
      token: () => PIPELINE_TOKEN,
      next: () => gatePath(sweepFlow),
    };
    const sweepState: Read = {
      key: 'sweep-state',
      label: 'flow state',
      token: () => ownerToken,
      next: () => flowPath(sweepFlow),
    };
    let deployments = sweepFlow.deployments;
    let added = 0;
    const sweepRows: {
      deployments: number;
      gate: number;
      state: number;
      stateAfterChange: number;
      gateOk: number;
      stateOk: number;
    }[] = [];
    const addDeployments = async (count: number) => {
      let next = 0;
      let failures = 0;
      let firstFailure = '';
      await Promise.all(
        Array.from({ length: SWEEP_ADDERS }, async () => {
          while (next < count) {
            next += 1;
            added += 1;
            const version = `2.0.${added}`;
            const res = await http(`${flowPath(sweepFlow)}/deployments`, {
              token: PIPELINE_TOKEN,
              method: 'POST',
              body: {
                environment: policy.environments[0].id,
                version,
                status: 'succeeded',
                link: `https://ci.example.com/${SWEEP_FLOW}/runs/b${added}`,
              },
            });
            if (res.status !== 201 && res.status !== 200) {
              failures += 1;
              firstFailure ||= `${res.status} ${res.text.slice(0, 200)}`;
            } else {
              deployments += 1;
            }
          }
        }),
      );
      if (failures) {
        log(`    ${failures} deployment reports failed: ${firstFailure}`);
      }
    };
    const measure = async (read: Read) => {
      const result = await runRound(
        {
          origin: ORIGIN,
          connections: 1,
          durationS: ROUND_S,
          nextPath: read.next,
          headers: read.token
            ? { authorization: `Bearer ${read.token()}` }
            : {},
          timeoutS: 60,
        },
        b.pid,
      );
      await settle(b.pid, 180_000);
      return {
        p50: percentile(
          [...result.latenciesMs].sort((x, y) => x - y),
          50,
        ),
        ok: result.ok,
        requests: result.requests,
      };
    };
    for (const size of SWEEP) {
      await refreshTokens();
      if (size > deployments) {
        const addStarted = Date.now();
        await addDeployments(size - deployments);
        log(
          `    added ${fmt(
            (Date.now() - addStarted) / 1000,
          )} s of deployment reports into ${
            policy.environments[0].id
          } (now ${deployments})`,
        );
      }
      const gate = await measure(sweepGate);
      const state = await measure(sweepState);
      // And once more, in the other order.
      const state2 = await measure(sweepState);
      const gate2 = await measure(sweepGate);
      // The flow state just after a change (its first read, from the
      // tables): a deployment report, then the flow state, 20 times.
      const afterChange: number[] = [];
      for (let i = 0; i < 20; i++) {
        await addDeployments(1);
        const res = await http(flowPath(sweepFlow), { token: ownerToken });
        if (res.status === 200) {
          afterChange.push(res.ms);
        }
      }
      const row = {
        deployments,
        gate: Math.min(gate.p50, gate2.p50),
        state: Math.min(state.p50, state2.p50),
        stateAfterChange: percentile(
          afterChange.sort((x, y) => x - y),
          50,
        ),
        gateOk: gate.ok + gate2.ok,
        stateOk: state.ok + state2.ok,
      };
      sweepRows.push(row);
      log(
        `    at ${String(deployments).padStart(6)} deployments: gate p50 ${fmt(
          row.gate,
          2,
        )} ms, flow state p50 ${fmt(
          row.state,
          2,
        )} ms (just after a change: ${fmt(row.stateAfterChange, 2)} ms)${
          gate.ok < gate.requests || state.ok < state.requests
            ? ' (some answers were not 2xx)'
            : ''
        }`,
      );
    }

    // 5. Memory -----------------------------------------------------------------
    log('');
    log(
      '5. memory: backend RSS during the verification report and the export (whole range)',
    );
    await refreshTokens();
    const from = new Date(
      seeded.firstEventAt.getTime() - 86400_000,
    ).toISOString();
    const to = new Date(Date.now() + 86400_000).toISOString();
    await settle(b.pid, 180_000);
    const report = await streamed(
      `/api/promotion/reports/verification?format=csv&from=${encodeURIComponent(
        from,
      )}&to=${encodeURIComponent(to)}`,
      approverToken,
      b.pid,
    );
    log(
      `  verification report (CSV): ${report.status}, ${mb(
        report.bytes,
      )} in ${fmt(report.ms / 1000)} s; RSS ${mb(report.baseline)} -> max ${mb(
        report.max,
      )}, growth ${mb(report.max - report.baseline)}${
        report.error ? `; ${report.error}` : ''
      }`,
    );
    await settle(b.pid, 180_000);
    const exported = await streamed(
      `/api/promotion/audit/export?format=csv&from=${encodeURIComponent(
        from,
      )}&to=${encodeURIComponent(to)}`,
      approverToken,
      b.pid,
    );
    log(
      `  audit export (CSV): ${exported.status}, ${mb(exported.bytes)} in ${fmt(
        exported.ms / 1000,
      )} s; RSS ${mb(exported.baseline)} -> max ${mb(
        exported.max,
      )}, growth ${mb(exported.max - exported.baseline)}${
        exported.error ? `; ${exported.error}` : ''
      }`,
    );

    // 6. Frontend -----------------------------------------------------------------
    log('');
    log('6. frontend: the production app build in the bundle');
    const staticDir = join(workDir, 'packages/app/dist/static');
    let chunks: ChunkInfo[] = [];
    if (existsSync(staticDir)) {
      chunks = pluginChunks(staticDir);
      for (const chunk of chunks) {
        log(
          `  ${chunk.file.padEnd(32)} ${fmt(chunk.bytes / 1024)} kB, ${fmt(
            chunk.gzip / 1024,
          )} kB gzip; ${chunk.pluginSources} of its ${
            chunk.sources
          } sources are the plugin's`,
        );
      }
    } else {
      log(`  no app build in the bundle (${staticDir})`);
    }
    // The plugin's own chunks: those made mostly of its sources.
    const own = chunks.filter(c => c.pluginSources * 2 > c.sources);
    const ownGzip = own.reduce((n, c) => n + c.gzip, 0);

    // 7. Verification -------------------------------------------------------------
    log('');
    log(
      '7. audit verification of the whole trail (GET /api/promotion/audit/verify)',
    );
    await settle(b.pid, 180_000);
    await refreshTokens();
    const verifySampler = sampleRss(b.pid);
    const verify = await http('/api/promotion/audit/verify', {
      token: approverToken,
      timeoutMs: MEMORY_TIMEOUT_MS,
    }).catch(e => ({ status: 0, text: String(e), ms: NaN }));
    const verifyRss = verifySampler.stop();
    let intact: boolean | undefined;
    if (verify.status === 200) {
      const body = JSON.parse(verify.text);
      intact = body.intact;
      log(
        `  intact: ${body.intact}, events checked ${
          body.eventsChecked
        }, flows ${body.flowsChecked}, state rows ${body.rowsChecked}, in ${fmt(
          verify.ms / 1000,
        )} s (RSS growth ${mb(verifyRss.max - verifyRss.baseline)})${
          body.problem ? `; problem: ${body.problem}` : ''
        }`,
      );
    } else {
      log(`  ${verify.status}: ${verify.text.slice(0, 300)}`);
    }

    // Goals -------------------------------------------------------------------------
    const hi = maxConn;
    const ratio = (read: string) => rate(read, hi) / rate('catalog', hi);
    const inboxP99 = percentile(inboxSorted, 99);
    /**
     * One batch, not one call per flow: the policy asked once per
     * permission, and what it decides on a condition asked flow by flow, at
     * most three questions per flow (catalog.entity.read,
     * promotion.flow.read, promotion.request.decide) in requests of 250
     * (the permission backend's 100 kB request body).
     */
    const maxAuthorizeCalls = Math.max(2, Math.ceil((3 * INBOX) / 250));
    const first = sweepRows[0];
    const last = sweepRows[sweepRows.length - 1];
    const gateGrowth = last && first ? last.gate / first.gate : NaN;
    const stateGrowth = last && first ? last.state / first.state : NaN;
    const afterChangeGrowth =
      last && first ? last.stateAfterChange / first.stateAfterChange : NaN;
    const reportGrowth = report.max - report.baseline;
    const exportGrowth = exported.max - exported.baseline;
    const memoryOk = (r: typeof report) => r.status === 200 && !r.error;

    goal(
      ratio('gate-pipeline') >= 1.0,
      `gate check (pipeline token) at ${hi} connections: ${fmt(
        ratio('gate-pipeline'),
        2,
      )}x the catalog's by-name throughput (goal >= 1.0x)`,
    );
    goal(
      ratio('gate-user') >= 0.7,
      `gate check (user token) at ${hi} connections: ${fmt(
        ratio('gate-user'),
        2,
      )}x the catalog (goal >= 0.7x)`,
    );
    goal(
      ratio('flow-state') >= 0.7,
      `flow state at ${hi} connections: ${fmt(
        ratio('flow-state'),
        2,
      )}x the catalog (goal >= 0.7x; flows unchanged since their last read, from their copies; the first read of each flow, from the tables: ${fmt(
        firstReadRate / rate('catalog', hi),
        2,
      )}x)`,
    );
    goal(
      first && last && first !== last
        ? gateGrowth <= 1.2 && stateGrowth <= 1.2 && afterChangeGrowth <= 1.2
        : undefined,
      `history sweep: at ${
        last?.deployments
      } deployments the gate check costs ${fmt(
        gateGrowth,
        2,
      )}x and the flow state ${fmt(stateGrowth, 2)}x their cost at ${
        first?.deployments
      } (p50 ${fmt(first?.gate ?? NaN, 2)} -> ${fmt(
        last?.gate ?? NaN,
        2,
      )} ms, ${fmt(first?.state ?? NaN, 2)} -> ${fmt(
        last?.state ?? NaN,
        2,
      )} ms); just after a change the flow state costs ${fmt(
        afterChangeGrowth,
        2,
      )}x (${fmt(first?.stateAfterChange ?? NaN, 2)} -> ${fmt(
        last?.stateAfterChange ?? NaN,
        2,
      )} ms); goal <= 1.2x`,
    );
    goal(
      inboxOnce.status === 200
        ? authorizeCalls <= maxAuthorizeCalls
        : undefined,
      `inbox of ${INBOX} pending requests across ${INBOX} flows: ${authorizeCalls} request(s) to /api/permission/authorize for one inbox (goal: one batch, not one per flow: at most ${maxAuthorizeCalls}, a batch split to fit the permission backend's 100 kB request body)${
        inboxOnce.status === 200
          ? ''
          : ` — the inbox answered ${inboxOnce.status}: ${inboxOnce.text.slice(
              0,
              200,
            )}`
      }`,
    );
    goal(
      inboxSorted.length > 0 ? inboxP99 < 250 : undefined,
      `inbox p99 at 1 connection: ${fmt(inboxP99)} ms over ${
        inboxSorted.length
      } answers (goal < 250 ms)`,
    );
    goal(
      memoryOk(report) ? reportGrowth < 100 * 1024 * 1024 : undefined,
      `verification report over the whole range (${
        seeded.events
      } events): RSS growth ${mb(reportGrowth)} (goal < 100 MB)${
        memoryOk(report)
          ? ''
          : ` — it did not complete: ${report.status} ${report.error ?? ''}`
      }`,
    );
    goal(
      memoryOk(exported) ? exportGrowth < 100 * 1024 * 1024 : undefined,
      `/audit/export of the whole range: RSS growth ${mb(
        exportGrowth,
      )} (goal < 100 MB)${
        memoryOk(exported)
          ? ''
          : ` — it did not complete: ${exported.status} ${exported.error ?? ''}`
      }`,
    );
    goal(
      own.length > 0 ? ownGzip <= 150 * 1024 : undefined,
      `frontend: the plugin's own chunk(s) ${
        own.map(c => c.file).join(', ') || '(none found)'
      }: ${fmt(ownGzip / 1024)} kB gzip (goal <= 150 kB)`,
    );
    goal(intact, `the seeded trail verifies: intact ${intact}`);

    log('');
    log(
      `machine: ${spawnSync('nproc')
        .stdout?.toString()
        .trim()} cores; backend CPU per request read from /proc/${b.pid}/stat`,
    );
    log(`total ${fmt((Date.now() - t0) / 1000, 0)} s`);
    log('');
    for (const line of goals) {
      log(line);
    }
  } finally {
    if (backend) {
      await stopBackend(backend).catch(() => {});
    }
    if (!KEEP) {
      try {
        const { rows } = await admin.raw(
          `select datname from pg_database where datname like ?`,
          [`${PREFIX.replace(/_/g, '\\_')}%`],
        );
        for (const row of rows as { datname: string }[]) {
          await admin.raw(
            `drop database if exists "${row.datname}" with (force)`,
          );
        }
        log(
          `dropped databases ${(rows as { datname: string }[])
            .map(r => r.datname)
            .join(', ')}`,
        );
      } catch (error) {
        console.error(`could not drop the databases ${PREFIX}*: ${error}`);
      }
      rmSync(workDir, { recursive: true, force: true });
    } else {
      log(`kept databases ${PREFIX}* and ${workDir}`);
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
