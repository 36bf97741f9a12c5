import type { ChecklistKind } from '@promotion/plugin-promotion-common';
import ms from 'ms';
import {
  formatFlowRef,
  FlowRef,
  GateClient,
  GateCliError,
  GateResult,
} from './client';

/**
 * Exit codes: 0 open / done, 1 closed (or rejected, or timed out), 2 error,
 * 3 the backend is unavailable (503 after retries): try again later,
 * 4 (`check`) closed while a freeze window is in force there.
 */
export const EXIT_OPEN = 0;
export const EXIT_CLOSED = 1;
export const EXIT_ERROR = 2;
export const EXIT_UNAVAILABLE = 3;
export const EXIT_FROZEN = 4;

export interface Output {
  out(line: string): void;
  err(line: string): void;
}

export function describeGate(result: GateResult): string[] {
  const target = `${result.entityRef} version ${result.version} -> ${result.environmentId}`;
  if (result.open && result.approvedBy === 'break-glass') {
    return [
      `Gate OPEN by break-glass ${result.breakGlassId}: ${target}, once, as an emergency deployment; it overrides:`,
      ...(result.overriddenConditions ?? []).map(c => `  - ${c.message}`),
      'The deployment is flagged and opens a retrospective review.',
    ];
  }
  if (result.open) {
    return [`Gate OPEN: ${target}`];
  }
  return [
    result.freeze
      ? `Gate CLOSED, frozen until ${result.freeze.end}: ${target}`
      : `Gate CLOSED: ${target}`,
    ...result.unmetConditions.map(c => `  - ${c.message}`),
  ];
}

export async function check(
  client: GateClient,
  flow: FlowRef,
  environment: string,
  version: string,
  io: Output,
  json = false,
): Promise<number> {
  const result = await client.checkGate(flow, environment, version);
  if (json) {
    io.out(JSON.stringify(result, null, 2));
  } else {
    describeGate(result).forEach(line => io.out(line));
  }
  if (result.open) {
    return EXIT_OPEN;
  }
  return result.freeze ? EXIT_FROZEN : EXIT_CLOSED;
}

/**
 * Reads 90s, 15m, 2h, 500ms (and the other forms of the `ms` package, such as
 * 1d) into milliseconds. A bare number counts seconds, where `ms` would count
 * milliseconds.
 */
export function parseDuration(value: string, option: string): number {
  const text = value.trim();
  const milliseconds = text
    ? ms((Number.isFinite(Number(text)) ? `${text}s` : text) as ms.StringValue)
    : NaN;
  if (!Number.isFinite(milliseconds) || milliseconds < 0) {
    throw new GateCliError(
      `${option} "${value}" is not a duration; use e.g. 30s, 15m or 2h`,
    );
  }
  return milliseconds;
}

export interface WaitOptions {
  timeoutMs: number;
  intervalMs: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

/**
 * Polls the gate until it opens (0), the awaited promotion request ends
 * without approval (1), or the timeout passes (1). Transient failures
 * (unreachable backend, 5xx) are retried until the timeout; a wrong token,
 * unknown flow or bad input ends at once (2).
 */
export async function wait(
  client: GateClient,
  flow: FlowRef,
  environment: string,
  version: string,
  io: Output,
  options: WaitOptions,
): Promise<number> {
  const sleep =
    options.sleep ??
    ((delayMs: number) => new Promise(r => setTimeout(r, delayMs)));
  const now = options.now ?? Date.now;
  const start = now();
  let slept = 0;
  // Real time, or the time slept when the clock is faked (tests).
  const elapsed = () => Math.max(now() - start, slept);
  let lastConditions = '';
  let awaitedRequest: string | undefined;
  for (;;) {
    let result: GateResult | undefined;
    try {
      result = await client.checkGate(flow, environment, version);
    } catch (error) {
      const status = (error as GateCliError).status;
      if (status !== undefined && status < 500) {
        throw error;
      }
      io.err(`${(error as Error).message}; retrying`);
    }
    if (result) {
      if (result.open) {
        describeGate(result).forEach(line => io.out(line));
        return EXIT_OPEN;
      }
      const summary = result.unmetConditions.map(c => c.message).join(' | ');
      if (summary !== lastConditions) {
        describeGate(result).forEach(line => io.out(line));
        lastConditions = summary;
      }
      const pending = result.unmetConditions.find(
        c => c.code === 'approval-pending' && c.requestId,
      );
      if (pending) {
        awaitedRequest = pending.requestId;
      } else if (awaitedRequest) {
        const request = await client.getRequest(awaitedRequest);
        if (request.status !== 'pending' && request.status !== 'approved') {
          const rejection = request.decisions?.find(
            d => d.decision === 'reject',
          );
          io.out(
            `Promotion request ${request.id} was ${request.status}${
              rejection
                ? ` by ${rejection.decidedBy}: ${rejection.comment}`
                : ''
            }`,
          );
          return EXIT_CLOSED;
        }
      }
    }
    if (elapsed() + options.intervalMs > options.timeoutMs) {
      io.out(
        `Timed out: the gate for ${formatFlowRef(
          flow,
        )} version ${version} -> ${environment} is still closed`,
      );
      return EXIT_CLOSED;
    }
    await sleep(options.intervalMs);
    slept += options.intervalMs;
  }
}

export async function report(
  client: GateClient,
  flow: FlowRef,
  body: {
    environment: string;
    version: string;
    status: 'succeeded' | 'failed';
    link?: string;
    idempotencyKey?: string;
  },
  io: Output,
): Promise<number> {
  const { deployment, replayed } = await client.reportDeployment(flow, body);
  io.out(
    `${replayed ? 'Already recorded' : 'Recorded'} deployment ${
      deployment.id
    }: ${formatFlowRef(flow)} version ${deployment.version} -> ${
      deployment.environmentId
    } (${deployment.status})`,
  );
  if (deployment.violation) {
    io.err(
      'WARNING: the gate was closed; this deployment is recorded as a violation:',
    );
    deployment.unmetConditions.forEach(c => io.err(`  - ${c.message}`));
  }
  return EXIT_OPEN;
}

export async function attest(
  client: GateClient,
  flow: FlowRef,
  target: { environment: string; kind: ChecklistKind; itemId: string },
  body: {
    version?: string;
    evidenceLink: string;
    result?: string;
  },
  io: Output,
): Promise<number> {
  const completion = await client.attestChecklistItem(flow, target, body);
  io.out(
    `Attested ${
      target.kind === 'post-deployment' ? 'post-deployment ' : ''
    }item ${completion.itemId}: ${formatFlowRef(flow)} ${
      completion.version === undefined
        ? 'the flow'
        : `version ${completion.version}`
    } on ${completion.environmentId}, by ${completion.completedBy}${
      completion.result ? `: ${completion.result}` : ''
    } (evidence: ${completion.evidenceLink})`,
  );
  return EXIT_OPEN;
}

export async function rollback(
  client: GateClient,
  flow: FlowRef,
  body: {
    environment: string;
    reason: string;
    fromVersion?: string;
    toVersion?: string;
    incidentLink?: string;
  },
  io: Output,
): Promise<number> {
  const result = await client.recordRollback(flow, body);
  io.out(
    `Recorded rollback ${result.id}: ${formatFlowRef(flow)} ${
      result.environmentId
    } ${result.fromVersion}${
      result.toVersion ? ` -> ${result.toVersion}` : ''
    }; the standing approval of ${result.environmentId} is revoked`,
  );
  if (!body.incidentLink) {
    io.err(
      'Please file an incident report and attach it to the rollback (--incident-link) if users were affected.',
    );
  }
  return EXIT_OPEN;
}
