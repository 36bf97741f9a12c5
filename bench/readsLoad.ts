/*
 * Load and process probes for the read benchmark (bench/reads.ts): one
 * fixed-time round of requests through autocannon, the backend process's
 * CPU (from /proc/<pid>/stat) and resident memory (/proc/<pid>/status).
 *
 * autocannon is the load generator (a root devDependency): it keeps its
 * connections alive, sends the next request as soon as the previous answer
 * is in, and costs little CPU per request, which matters on a 2-core machine
 * where the generator shares the cores with the backend it measures.
 */
import autocannon from 'autocannon';
import { readFileSync } from 'node:fs';

/** Clock ticks per second of /proc/<pid>/stat (USER_HZ; 100 on Linux). */
const TICKS_PER_S = 100;

/** CPU seconds (user + system) of a process so far; undefined when unreadable. */
export function processCpuSeconds(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name may contain spaces: fields start after its ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    // utime and stime are fields 14 and 15 of the whole line (11 and 12 here).
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_S;
  } catch {
    return undefined;
  }
}

/** Resident set size of a process in bytes (VmRSS); undefined when unreadable. */
export function processRssBytes(pid: number): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
    return match ? Number(match[1]) * 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** Samples a process's RSS every `periodMs` until stopped. */
export function sampleRss(
  pid: number,
  periodMs = 100,
): { stop(): { baseline: number; max: number; samples: number } } {
  const baseline = processRssBytes(pid) ?? 0;
  let max = baseline;
  let samples = 1;
  const timer = setInterval(() => {
    const rss = processRssBytes(pid);
    if (rss !== undefined) {
      max = Math.max(max, rss);
      samples += 1;
    }
  }, periodMs);
  return {
    stop() {
      clearInterval(timer);
      const rss = processRssBytes(pid);
      if (rss !== undefined) {
        max = Math.max(max, rss);
      }
      return { baseline, max, samples };
    },
  };
}

export interface RoundSpec {
  /** Origin, e.g. http://127.0.0.1:7107 */
  origin: string;
  connections: number;
  durationS: number;
  /** When given, the round ends after this many requests instead. */
  amount?: number;
  /** The next request's path (a different flow each time, say). */
  nextPath: () => string;
  headers: Record<string, string>;
  /** Per-request timeout, seconds. */
  timeoutS: number;
}

export interface RoundResult {
  requests: number;
  /** 2xx answers. */
  ok: number;
  non2xx: number;
  errors: number;
  timeouts: number;
  elapsedS: number;
  /** Latencies of every answer, ms. */
  latenciesMs: number[];
  /** CPU seconds the backend process used during the round. */
  backendCpuS?: number;
  statusCounts: Record<string, number>;
}

/** One fixed-time round. */
export async function runRound(
  spec: RoundSpec,
  backendPid: number,
): Promise<RoundResult> {
  const latenciesMs: number[] = [];
  const statusCounts: Record<string, number> = {};
  const cpu0 = processCpuSeconds(backendPid);
  const started = process.hrtime.bigint();
  // Awaitable, and an event emitter (the types say only the former).
  const instance: any = autocannon({
    url: spec.origin,
    connections: spec.connections,
    pipelining: 1,
    ...(spec.amount !== undefined
      ? { amount: spec.amount }
      : { duration: spec.durationS }),
    timeout: spec.timeoutS,
    headers: spec.headers,
    requests: [
      {
        method: 'GET',
        setupRequest: (request: any) => ({ ...request, path: spec.nextPath() }),
      },
    ],
  } as any);
  instance.on(
    'response',
    (_client: unknown, statusCode: number, _bytes: number, ms: number) => {
      latenciesMs.push(ms);
      statusCounts[statusCode] = (statusCounts[statusCode] ?? 0) + 1;
    },
  );
  const result: any = await instance;
  const elapsedS = Number(process.hrtime.bigint() - started) / 1e9;
  const cpu1 = processCpuSeconds(backendPid);
  const ok = Object.entries(statusCounts)
    .filter(([status]) => status.startsWith('2'))
    .reduce((n, [, count]) => n + count, 0);
  return {
    requests: latenciesMs.length,
    ok,
    non2xx: latenciesMs.length - ok,
    errors: Number(result.errors ?? 0),
    timeouts: Number(result.timeouts ?? 0),
    elapsedS: Number(result.duration ?? elapsedS) || elapsedS,
    latenciesMs,
    backendCpuS:
      cpu0 !== undefined && cpu1 !== undefined ? cpu1 - cpu0 : undefined,
    statusCounts,
  };
}

/**
 * Waits until the backend is quiet (less than `maxCpuShare` of a core over
 * 300 ms), so that requests a round left behind do not run into the next;
 * at most `timeoutMs`.
 */
export async function settle(
  pid: number,
  timeoutMs = 30_000,
  maxCpuShare = 0.15,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const cpu0 = processCpuSeconds(pid);
    await new Promise(resolve => setTimeout(resolve, 300));
    const cpu1 = processCpuSeconds(pid);
    if (cpu0 === undefined || cpu1 === undefined) {
      return;
    }
    if ((cpu1 - cpu0) / 0.3 < maxCpuShare) {
      return;
    }
  }
}

export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) {
    return NaN;
  }
  const index = Math.min(
    sorted.length - 1,
    Math.max(0, Math.ceil((p / 100) * sorted.length) - 1),
  );
  return sorted[index];
}
