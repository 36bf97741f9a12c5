import { expect, test } from '@playwright/test';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parse as parseYaml } from 'yaml';
import {
  api,
  appConfig,
  BACKEND,
  flowUrl,
  PIPELINE,
  pipelineAccess,
  REPO,
  signIn,
  TOKEN,
} from './support';

/*
 * Every example of docs/pipelines.md, run against the running portal
 * (scripts/e2e.sh starts it): the shell examples with bash, the GitHub
 * Actions and GitLab CI jobs step by step with their CI expressions filled
 * in, and the Kargo `http` step as Kargo would send and judge it. Each one
 * must succeed (or end with the exit code the docs give) and leave its effect
 * visible through the API. `promotion-gate` and `npx @promotion/promotion-gate`
 * run this repository's CLI. Only component:default/file-router is used
 * (the other specs use partner-sftp-ingest); versions are unique per run, so
 * the spec also passes on a database that earlier runs have used.
 */

const DOCS = path.join(REPO, 'docs/pipelines.md');
const productionConfig = parseYaml(
  fs.readFileSync(path.join(REPO, 'app-config.production.yaml'), 'utf8'),
);
const FLOW_REF = 'component:default/file-router';
const FLOW = flowUrl(FLOW_REF);
const TAB = '/catalog/default/component/file-router/promotion';
const RUN = Date.now();
const SHOTS = path.join(REPO, 'test-results/screenshots');
/** The last line `./run-tests.sh` prints: the result the CI examples attest. */
const TEST_RESULT = 'All tests passing — 1,284 passed';

// ---------------------------------------------------------------------------
// The examples of the docs
// ---------------------------------------------------------------------------

type Kind =
  | 'token-config'
  | 'policy-config'
  | 'github-actions'
  | 'gitlab-ci'
  | 'kargo'
  | 'shell'
  | 'console'
  | 'unknown';

interface Example {
  kind: Kind;
  lang: string;
  code: string;
  section: string;
  line: number;
}

function readExamples(): Example[] {
  const examples: Example[] = [];
  const lines = fs.readFileSync(DOCS, 'utf8').split('\n');
  let section = '';
  for (let i = 0; i < lines.length; i++) {
    const heading = /^## (.+)$/.exec(lines[i]);
    if (heading) {
      section = heading[1];
      continue;
    }
    const fence = /^```(\S*)\s*$/.exec(lines[i]);
    if (!fence) {
      continue;
    }
    const start = i;
    const body: string[] = [];
    for (i++; i < lines.length && !/^```\s*$/.test(lines[i]); i++) {
      body.push(lines[i]);
    }
    const code = `${body.join('\n')}\n`;
    const lang = fence[1];
    let kind: Kind = 'unknown';
    if (lang === 'sh') {
      kind = 'shell';
    } else if (lang === 'console') {
      kind = 'console';
    } else if (lang === 'yaml' && body[0]?.startsWith('# .github/workflows/')) {
      kind = 'github-actions';
    } else if (lang === 'yaml' && body[0]?.startsWith('# .gitlab-ci.yml')) {
      kind = 'gitlab-ci';
    } else if (lang === 'yaml' && /^\s*- uses: http$/m.test(code)) {
      kind = 'kargo';
    } else if (lang === 'yaml' && /externalAccess:/.test(code)) {
      kind = 'token-config';
    } else if (lang === 'yaml' && body[0]?.startsWith('# app-config.yaml')) {
      kind = 'policy-config';
    }
    examples.push({ kind, lang, code, section, line: start + 1 });
  }
  return examples;
}

const examples = readExamples();
const exercised = new Set<Example>();
const only = (kind: Kind) => {
  const found = examples.filter(e => e.kind === kind);
  expect(found, `one ${kind} example in docs/pipelines.md`).toHaveLength(1);
  return found[0];
};

// ---------------------------------------------------------------------------
// The API, as the pipeline and as the example users (./support)
// ---------------------------------------------------------------------------

const gateOf = (environment: string, version: string) =>
  api('GET', `${FLOW}/gate?${new URLSearchParams({ environment, version })}`);
const flowState = () => api('GET', FLOW);

/** An audit event of the flow, newest first, read as an approver. */
async function findEvent(predicate: (event: any) => boolean) {
  let cursor: string | undefined;
  for (let page = 0; page < 50; page++) {
    const events = await api(
      'GET',
      `${FLOW}/events?limit=500${
        cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''
      }`,
      { as: 'dana' },
    );
    const found = events.items.find(predicate);
    if (found || !events.nextCursor) {
      return found;
    }
    cursor = events.nextCursor;
  }
  return undefined;
}

/**
 * Takes a version up the ladder until the gate into Production is open, the
 * way people do in the portal: the pipeline deploys it to Dev and Test, Alice
 * (owner) completes the checklists and requests the promotion, Carol (owner
 * team) signs off Test, Dana (approver) approves.
 */
async function openProductionGate(version: string) {
  const policy = (await flowState()).policy;
  const resolve = async (condition: any) => {
    const environment = condition.environmentId;
    switch (condition.code) {
      case 'previous-deployment-missing':
      case 'version-rolled-back':
        await api('POST', `${FLOW}/deployments`, {
          body: { environment, version, status: 'succeeded' },
        });
        return;
      case 'checklist-incomplete': {
        const items = policy.environments.find(
          (e: any) => e.id === environment,
        ).checklist;
        for (const itemId of condition.itemIds) {
          const item = items.find((i: any) => i.id === itemId);
          await api(
            'POST',
            `${FLOW}/environments/${environment}/checklist/${itemId}`,
            {
              as: 'alice',
              body: {
                ...(item.scope === 'version' && { version }),
                evidenceLink: `https://ci.example.com/evidence/${itemId}`,
              },
            },
          );
        }
        return;
      }
      case 'sign-off-missing':
        await api('POST', `${FLOW}/environments/${environment}/sign-offs`, {
          as: 'carol',
          body: { version, comment: `Results on ${environment} are fine` },
        });
        return;
      case 'approval-required':
      case 'approval-revoked': {
        const request = await api('POST', `${FLOW}/requests`, {
          as: 'alice',
          body: {
            environment,
            version,
            dossier: {
              whatChanged: 'Routing rules for a new partner',
              why: 'Partner onboarding',
              testResults: 'All green on Test',
              releaseNotes: 'New partner routes',
            },
          },
        });
        await resolve({ code: 'approval-pending', requestId: request.id });
        return;
      }
      case 'approval-pending': {
        const request = await api(
          'GET',
          `${BACKEND}/api/promotion/requests/${condition.requestId}`,
          { as: 'dana' },
        );
        await api(
          'POST',
          `${BACKEND}/api/promotion/requests/${request.id}/decisions`,
          {
            as: 'dana',
            status: 200,
            body: {
              decision: 'approve',
              comment: 'Dossier read, go ahead',
              dossierHash: request.dossierHash,
            },
          },
        );
        return;
      }
      case 'predecessor-post-deployment-incomplete': {
        // The version standing in Production finishes its post-deployment
        // checklist first (its minimum wait is shortened for the browser tests).
        const standing = (await flowState()).environments.find(
          (e: any) => e.environment.id === environment,
        ).currentDeployment.version;
        for (const itemId of condition.itemIds) {
          await expect(async () => {
            await api(
              'POST',
              `${FLOW}/environments/${environment}/post-deployment/${itemId}`,
              {
                as: 'alice',
                body: {
                  version: standing,
                  evidenceLink: `https://ci.example.com/evidence/${itemId}`,
                },
              },
            );
          }).toPass({ timeout: 180_000 });
        }
        return;
      }
      default:
        throw new Error(`No way to resolve ${JSON.stringify(condition)}`);
    }
  };
  for (const environment of ['test', 'production']) {
    let gate = await gateOf(environment, version);
    for (let round = 0; !gate.open && round < 5; round++) {
      for (const condition of gate.unmetConditions) {
        await resolve(condition);
      }
      gate = await gateOf(environment, version);
    }
    expect(gate, `the gate into ${environment}`).toMatchObject({ open: true });
    if (environment === 'test') {
      await api('POST', `${FLOW}/deployments`, {
        body: { environment, version, status: 'succeeded' },
      });
    }
  }
}

// ---------------------------------------------------------------------------
// Running examples: promotion-gate shims, bash, CI expressions
// ---------------------------------------------------------------------------

interface GateCall {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
}

interface Ran {
  code: number | null;
  stdout: string;
  stderr: string;
  calls: GateCall[];
}

let workDir: string;
let callLog: string;

/**
 * `promotion-gate` and `npx @promotion/promotion-gate` on PATH run the CLI of
 * this repository and log each call (arguments, exit code, output).
 */
function installShims(dir: string) {
  const bin = path.join(REPO, 'plugins/promotion-gate/bin/promotion-gate');
  const shim = (asNpx: boolean) => `#!${process.execPath}
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
let args = process.argv.slice(2);
${
  asNpx
    ? `if (args[0] !== '@promotion/promotion-gate') {
  console.error('npx in this test only runs @promotion/promotion-gate, not: ' + args.join(' '));
  process.exit(127);
}
args = args.slice(1);`
    : ''
}
const run = spawnSync(process.execPath, [${JSON.stringify(bin)}, ...args], {
  encoding: 'utf8',
});
process.stdout.write(run.stdout);
process.stderr.write(run.stderr);
const code = run.status ?? 2;
fs.appendFileSync(
  process.env.PROMOTION_GATE_CALLS,
  JSON.stringify({ args, code, stdout: run.stdout, stderr: run.stderr }) + '\\n',
);
process.exit(code);
`;
  const shims = path.join(dir, 'bin');
  fs.mkdirSync(shims);
  fs.writeFileSync(path.join(shims, 'promotion-gate'), shim(false), {
    mode: 0o755,
  });
  fs.writeFileSync(path.join(shims, 'npx'), shim(true), { mode: 0o755 });
  // The deployment a CI job makes between asking the gate and reporting.
  fs.writeFileSync(
    path.join(dir, 'deploy.sh'),
    '#!/usr/bin/env bash\necho "$*" >> deploy.log\necho "deployed $*"\n',
    { mode: 0o755 },
  );
  // The test command a CI job runs before it attests the result.
  fs.writeFileSync(
    path.join(dir, 'run-tests.sh'),
    `#!/usr/bin/env bash\necho "1284 tests in 212 files"\necho "${TEST_RESULT}"\n`,
    { mode: 0o755 },
  );
  return shims;
}

function baseEnv(): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of Object.keys(env)) {
    if (/^(PROMOTION_|CI_|GITHUB_)/.test(name)) {
      delete env[name];
    }
  }
  env.PATH = [
    path.join(workDir, 'bin'),
    path.dirname(process.execPath),
    process.env.PATH,
  ].join(path.delimiter);
  env.PROMOTION_GATE_CALLS = callLog;
  return env;
}

/** Runs a script with bash, as CI runners do (`-eo pipefail`). */
function bash(script: string, env: NodeJS.ProcessEnv): Promise<Ran> {
  fs.writeFileSync(callLog, '');
  return new Promise((resolve, reject) => {
    const child = spawn(
      'bash',
      ['--noprofile', '--norc', '-eo', 'pipefail', '-c', script],
      { cwd: workDir, env, timeout: 90_000 },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', chunk => (stdout += chunk));
    child.stderr.on('data', chunk => (stderr += chunk));
    child.on('error', reject);
    child.on('close', code => {
      const calls = fs
        .readFileSync(callLog, 'utf8')
        .split('\n')
        .filter(Boolean)
        .map(line => JSON.parse(line) as GateCall);
      resolve({ code, stdout, stderr, calls });
    });
  });
}

/**
 * A small evaluator for the expressions of GitHub Actions (`${{ }}`) and
 * Kargo (expr): names, member and index access, calls, literals, `!`,
 * comparisons, `&&` and `||` (which yield an operand, as in both languages).
 * An unknown name is an error, so the docs cannot use a context this test
 * does not know.
 */
function evaluate(expression: string, scope: Record<string, unknown>): unknown {
  const tokens: string[] = [];
  const lexer =
    /\s*(\d+(?:\.\d+)?|'(?:[^'\\]|\\.)*'|"(?:[^"\\]|\\.)*"|[A-Za-z_]\w*|==|!=|>=|<=|&&|\|\||[!<>().[\],])/y;
  while (lexer.lastIndex < expression.trimEnd().length) {
    const match = lexer.exec(expression);
    if (!match) {
      throw new Error(`Cannot read the expression ${expression}`);
    }
    tokens.push(match[1]);
  }
  let pos = 0;
  const peek = () => tokens[pos];
  const take = (expected?: string) => {
    const token = tokens[pos++];
    if (expected !== undefined && token !== expected) {
      throw new Error(`Expected ${expected} in ${expression}`);
    }
    return token;
  };
  const or = (): unknown => {
    let value = and();
    while (peek() === '||') {
      take();
      const right = and();
      value = value || right;
    }
    return value;
  };
  const and = (): unknown => {
    let value = comparison();
    while (peek() === '&&') {
      take();
      const right = comparison();
      value = value && right;
    }
    return value;
  };
  const comparison = (): unknown => {
    const left = unary();
    const op = peek();
    if (!['==', '!=', '>=', '<=', '>', '<'].includes(op)) {
      return left;
    }
    take();
    const right = unary() as any;
    const l = left as any;
    switch (op) {
      case '==':
        return l === right;
      case '!=':
        return l !== right;
      case '>=':
        return l >= right;
      case '<=':
        return l <= right;
      case '>':
        return l > right;
      default:
        return l < right;
    }
  };
  const unary = (): unknown => {
    if (peek() === '!') {
      take();
      return !unary();
    }
    let value = primary();
    for (;;) {
      if (peek() === '.') {
        take();
        value = (value as any)?.[take()];
      } else if (peek() === '[') {
        take();
        const index = or() as string;
        take(']');
        value = (value as any)?.[index];
      } else if (peek() === '(') {
        take();
        const args: unknown[] = [];
        while (peek() !== ')') {
          args.push(or());
          if (peek() === ',') {
            take();
          }
        }
        take(')');
        value = (value as (...a: unknown[]) => unknown)(...args);
      } else {
        return value;
      }
    }
  };
  const primary = (): unknown => {
    const token = take();
    if (token === undefined) {
      throw new Error(`Unexpected end of ${expression}`);
    }
    if (token === '(') {
      const value = or();
      take(')');
      return value;
    }
    if (/^\d/.test(token)) {
      return Number(token);
    }
    if (/^['"]/.test(token)) {
      return token.slice(1, -1).replace(/\\(.)/g, '$1');
    }
    const literals: Record<string, unknown> = {
      true: true,
      false: false,
      null: null,
      nil: null,
    };
    if (token in literals) {
      return literals[token];
    }
    if (!(token in scope)) {
      throw new Error(`Unknown name "${token}" in ${expression}`);
    }
    return scope[token];
  };
  const value = or();
  if (pos !== tokens.length) {
    throw new Error(`Cannot read the rest of ${expression}`);
  }
  return value;
}

/** Replaces every `${{ expression }}` of a text. */
function interpolate(text: string, scope: Record<string, unknown>): string {
  return text.replace(/\$\{\{\s*([\s\S]*?)\s*\}\}/g, (_m, expression) => {
    const value = evaluate(expression, scope);
    return value === undefined || value === null ? '' : String(value);
  });
}

// ---------------------------------------------------------------------------
// What each promotion-gate call must have done, seen through the API
// ---------------------------------------------------------------------------

function optionsOf(args: string[]) {
  const options: Record<string, string> = {};
  for (let i = 1; i < args.length; i++) {
    const name = /^--([a-z-]+)$/.exec(args[i])?.[1];
    if (!name) {
      throw new Error(`Unexpected argument ${args[i]} in ${args.join(' ')}`);
    }
    if (name === 'json' || name === 'post-deployment') {
      options[name] = 'true';
    } else {
      options[name] = args[++i];
    }
  }
  return options;
}

async function expectCallEffect(call: GateCall) {
  const [command] = call.args;
  const options = optionsOf(call.args);
  const what = `promotion-gate ${call.args.join(' ')}`;
  expect(options.flow, what).toBe(FLOW_REF);
  switch (command) {
    case 'check':
    case 'wait': {
      const gate = await gateOf(options.environment, options.version);
      expect(call.code, `${what}: exit code for the gate ${gate.open}`).toBe(
        gate.open ? 0 : 1,
      );
      const target = `${FLOW_REF} version ${options.version} -> ${options.environment}`;
      expect(call.stdout, what).toContain(
        gate.open
          ? `Gate OPEN: ${target}`
          : [
              `Gate CLOSED: ${target}`,
              ...gate.unmetConditions.map((c: any) => `  - ${c.message}`),
            ].join('\n'),
      );
      return;
    }
    case 'report': {
      expect(call.code, `${what}: ${call.stderr}`).toBe(0);
      const id = /^(?:Recorded|Already recorded) deployment (\S+):/m.exec(
        call.stdout,
      )?.[1];
      expect(id, `${what} names the deployment`).toBeTruthy();
      const event = await findEvent(
        e => e.type === 'deployment.recorded' && e.payload.deploymentId === id,
      );
      expect(event, `${what}: the recorded deployment`).toMatchObject({
        entityRef: FLOW_REF,
        environmentId: options.environment,
        version: options.version,
        actor: PIPELINE,
        payload: {
          status: options.status,
          ...(options['idempotency-key'] && {
            idempotencyKey: options['idempotency-key'],
          }),
          ...(options.link && { link: options.link }),
        },
      });
      return;
    }
    case 'rollback': {
      expect(call.code, `${what}: ${call.stderr}`).toBe(0);
      const id = /^Recorded rollback (\S+):/m.exec(call.stdout)?.[1];
      expect(id, `${what} names the rollback`).toBeTruthy();
      const state = await flowState();
      expect(
        state.rollbacks.find((r: any) => r.id === id),
        `${what}: the recorded rollback`,
      ).toMatchObject({
        environmentId: options.environment,
        reason: options.reason,
        recordedBy: PIPELINE,
        ...(options['incident-link'] && {
          incidentLink: options['incident-link'],
        }),
        ...(options['to-version'] && { toVersion: options['to-version'] }),
        ...(options['from-version'] && {
          fromVersion: options['from-version'],
        }),
      });
      const environment = state.environments.find(
        (e: any) => e.environment.id === options.environment,
      );
      if (environment.environment.approval.mode === 'once') {
        expect(
          environment.standingApproval,
          `${what} revokes the standing approval`,
        ).toMatchObject({
          revokedAt: expect.any(String),
          revokedBy: PIPELINE,
          revokeReason: expect.stringContaining(options.reason),
        });
      }
      return;
    }
    case 'attest': {
      expect(call.code, `${what}: ${call.stderr}`).toBe(0);
      expect(call.stdout, what).toMatch(
        new RegExp(`^Attested item ${options.item}: `, 'm'),
      );
      const event = await findEvent(
        e =>
          e.type === 'checklist.completed' &&
          e.environmentId === options.environment &&
          e.version === options.version &&
          e.payload.itemId === options.item,
      );
      expect(event, `${what}: the attestation`).toMatchObject({
        entityRef: FLOW_REF,
        actor: PIPELINE,
        payload: {
          kind: options['post-deployment'] ? 'post-deployment' : 'validation',
          evidenceLink: options.evidence,
          ...(options.result !== undefined && { result: options.result }),
        },
      });
      return;
    }
    default:
      throw new Error(`No effect known for ${what}`);
  }
}

/**
 * Runs a shell example: it must succeed; every promotion-gate call exits 0,
 * except a `check … || echo "gate closed"`, which exits 1 (closed) and not 2.
 */
async function runShellExample(example: Example) {
  const env = {
    ...baseEnv(),
    PROMOTION_URL: BACKEND,
    PROMOTION_TOKEN: TOKEN,
  };
  const ran = await bash(example.code, env);
  const where = `docs/pipelines.md:${example.line}`;
  expect(ran.code, `${where}: ${ran.stderr}`).toBe(0);
  const gateLines = example.code
    .split('\n')
    .filter(line => /^(npx @promotion\/)?promotion-gate /.test(line));
  expect(
    ran.calls.map(c => c.args[0]),
    where,
  ).toEqual(gateLines.map(line => /promotion-gate (\S+)/.exec(line)![1]));
  gateLines.forEach((line, i) => {
    const orElse = /\|\| echo "([^"]+)"$/.exec(line);
    expect(ran.calls[i].code, `${where}: ${line}\n${ran.calls[i].stderr}`).toBe(
      orElse ? 1 : 0,
    );
    if (orElse) {
      expect(ran.stdout, where).toContain(orElse[1]);
    }
  });
  for (const call of ran.calls) {
    await expectCallEffect(call);
  }
  exercised.add(example);
  return ran;
}

// ---------------------------------------------------------------------------
// The tests
// ---------------------------------------------------------------------------

test.describe.configure({ mode: 'serial' });

test.describe('docs/pipelines.md against the running portal', () => {
  test.beforeAll(async () => {
    const health = await fetch(`${BACKEND}/api/promotion/health`).catch(
      () => undefined,
    );
    expect(health?.status, `the portal answers at ${BACKEND}`).toBe(200);
    // The catalog reads the example entities shortly after the start.
    await expect
      .poll(
        async () =>
          (
            await fetch(FLOW, { headers: { Authorization: `Bearer ${TOKEN}` } })
          ).status,
        { message: `${FLOW_REF} is in the catalog`, timeout: 300_000 },
      )
      .toBe(200);
    workDir = fs.mkdtempSync(path.join(os.tmpdir(), 'promotion-pipelines-'));
    callLog = path.join(workDir, 'promotion-gate-calls.ndjson');
    installShims(workDir);
  });

  test.afterAll(() => {
    if (workDir) {
      fs.rmSync(workDir, { recursive: true, force: true });
    }
  });

  test('every example is one this spec knows how to run', () => {
    expect(
      examples
        .filter(e => e.kind === 'unknown')
        .map(e => `docs/pipelines.md:${e.line} (${e.lang})`),
    ).toEqual([]);
    expect(examples.filter(e => e.kind === 'shell').length).toBeGreaterThan(3);
    only('token-config');
    only('policy-config');
    only('github-actions');
    only('gitlab-ci');
    only('kargo');
    only('console');
  });

  test('the token configuration is the example portal’s', () => {
    const example = only('token-config');
    const documented = parseYaml(example.code).backend.auth.externalAccess;
    expect(documented).toEqual(productionConfig.backend.auth.externalAccess);
    // The development token of app-config.yaml has the same restrictions,
    // and it is the one the examples use.
    expect(pipelineAccess.accessRestrictions).toEqual(
      documented[0].accessRestrictions,
    );
    expect(fs.readFileSync(DOCS, 'utf8')).toContain(TOKEN);
    exercised.add(example);
  });

  test('the attested item of the docs is the example portal’s', () => {
    const example = only('policy-config');
    const [documented] = parseYaml(example.code);
    const dev = appConfig.promotion.policies.standard.environments.find(
      (e: any) => e.id === 'dev',
    );
    expect(
      dev.checklist.find((item: any) => item.id === documented.id),
    ).toEqual(documented);
    expect(documented.attestedBy).toBe('both');
    exercised.add(example);
  });

  test('GitHub Actions: tests and attests, waits for the gate, deploys, reports', async () => {
    const example = only('github-actions');
    const workflow = parseYaml(example.code);
    expect(workflow.on, 'the workflow has a trigger').toBeTruthy();
    const jobs = workflow.jobs as Record<string, any>;
    expect(Object.keys(jobs)).toEqual(['test', 'deploy-production']);
    expect(jobs['deploy-production'].needs).toBe('test');

    const version = `v1.${RUN}.0`;
    const github = {
      ref_name: version,
      run_id: String(RUN),
      run_attempt: '1',
      server_url: 'https://github.com',
      repository: 'example/file-router',
    };
    // Every step must succeed, so the job's status stays `success`.
    const scope = () => ({
      vars: { BACKSTAGE_URL: BACKEND },
      secrets: { PROMOTION_TOKEN: TOKEN },
      github,
      job: { status: 'success' },
      always: () => true,
      success: () => true,
      failure: () => false,
      cancelled: () => false,
    });
    /** Runs a job's steps as a runner would; the promotion-gate calls it made. */
    const runJob = async (job: any) => {
      const env: NodeJS.ProcessEnv = { ...baseEnv() };
      for (const [name, value] of Object.entries(job.env ?? {})) {
        env[name] = interpolate(String(value), scope());
      }
      const calls: GateCall[] = [];
      for (const step of job.steps as any[]) {
        const condition = step.if
          ? evaluate(String(step.if).replace(/^\$\{\{|\}\}$/g, ''), scope())
          : true;
        if (!condition) {
          continue;
        }
        if (step.uses) {
          // The work directory stands for the checked-out repository.
          expect(step.uses, 'the only action used').toMatch(
            /^actions\/checkout@/,
          );
          continue;
        }
        const ran = await bash(interpolate(step.run, scope()), env);
        calls.push(...ran.calls);
        expect(ran.code, `step "${step.name}": ${ran.stderr}`).toBe(0);
      }
      return calls;
    };

    // The test job attests "All tests passing" on Dev for the version.
    const tested = await runJob(jobs.test);
    expect(tested.map(c => [c.args[0], c.code])).toEqual([['attest', 0]]);
    await expectCallEffect(tested[0]);
    expect(optionsOf(tested[0].args)).toMatchObject({
      environment: 'dev',
      version,
      item: 'tests-passing',
      evidence: `https://github.com/example/file-router/actions/runs/${RUN}`,
      result: TEST_RESULT,
    });

    // People take the version up to Production's gate; the attested item
    // is done already.
    await openProductionGate(version);
    fs.rmSync(path.join(workDir, 'deploy.log'), { force: true });
    const calls = await runJob(jobs['deploy-production']);

    expect(calls.map(c => [c.args[0], c.code])).toEqual([
      ['wait', 0],
      ['report', 0],
    ]);
    expect(fs.readFileSync(path.join(workDir, 'deploy.log'), 'utf8')).toBe(
      `production ${version}\n`,
    );
    for (const call of calls) {
      await expectCallEffect(call);
    }
    expect(optionsOf(calls[1].args)).toMatchObject({
      environment: 'production',
      version,
      status: 'succeeded',
      'idempotency-key': `gh-${RUN}-1`,
      link: `https://github.com/example/file-router/actions/runs/${RUN}`,
    });
    const production = (await flowState()).environments.find(
      (e: any) => e.environment.id === 'production',
    );
    expect(production.currentDeployment).toMatchObject({
      version,
      violation: false,
      reportedBy: PIPELINE,
    });
    exercised.add(example);
  });

  test('GitLab CI: tests and attests, waits for the gate, deploys, reports', async () => {
    const example = only('gitlab-ci');
    const config = parseYaml(example.code);
    expect(config.stages).toEqual(['test', 'deploy']);
    const jobs = Object.values(config).filter((v: any) => v?.script) as any[];
    expect(jobs.map(job => job.stage)).toEqual(config.stages);
    const [testJob, deployJob] = jobs;

    const version = `1.${RUN}.1`;
    const ci: Record<string, string> = {
      BACKSTAGE_URL: BACKEND,
      PROMOTION_TOKEN: TOKEN,
      CI_COMMIT_TAG: version,
      CI_PIPELINE_ID: String(RUN),
      CI_PIPELINE_URL: `https://gitlab.example.com/platform/file-router/-/pipelines/${RUN}`,
      CI_JOB_URL: `https://gitlab.example.com/platform/file-router/-/jobs/${RUN}`,
    };
    const expand = (value: string) =>
      value.replace(/\$(?:\{(\w+)\}|(\w+))/g, (_m, a, b) => ci[a ?? b] ?? '');
    /** Runs a job's script as a runner would, once its rules let it run. */
    const runJob = async (job: any) => {
      for (const rule of job.rules ?? []) {
        const variable = /^\$(\w+)$/.exec(rule.if)?.[1];
        expect(
          variable,
          `a rule this test can evaluate: ${rule.if}`,
        ).toBeTruthy();
        expect(ci[variable!], `the rule ${rule.if} runs the job`).toBeTruthy();
      }
      const env: NodeJS.ProcessEnv = { ...baseEnv(), ...ci };
      for (const [name, value] of Object.entries(job.variables ?? {})) {
        env[name] = expand(String(value));
      }
      const ran = await bash((job.script as string[]).join('\n'), env);
      expect(ran.code, ran.stderr).toBe(0);
      return ran.calls;
    };

    const tested = await runJob(testJob);
    expect(tested.map(c => [c.args[0], c.code])).toEqual([['attest', 0]]);
    await expectCallEffect(tested[0]);
    expect(optionsOf(tested[0].args)).toMatchObject({
      environment: 'dev',
      version,
      item: 'tests-passing',
      evidence: ci.CI_JOB_URL,
      result: TEST_RESULT,
    });

    await openProductionGate(version);
    fs.rmSync(path.join(workDir, 'deploy.log'), { force: true });
    const calls = await runJob(deployJob);

    expect(calls.map(c => [c.args[0], c.code])).toEqual([
      ['wait', 0],
      ['report', 0],
    ]);
    expect(fs.readFileSync(path.join(workDir, 'deploy.log'), 'utf8')).toBe(
      `production ${version}\n`,
    );
    for (const call of calls) {
      await expectCallEffect(call);
    }
    expect(optionsOf(calls[1].args)).toMatchObject({
      version,
      'idempotency-key': `gitlab-${RUN}`,
      link: ci.CI_PIPELINE_URL,
    });
    const production = (await flowState()).environments.find(
      (e: any) => e.environment.id === 'production',
    );
    expect(production.currentDeployment).toMatchObject({
      version,
      violation: false,
    });
    exercised.add(example);
  });

  test('the Promotion tab shows the attestation: who, when, the result and the evidence', async ({
    browser,
  }) => {
    // The version the GitLab job attested stands in Dev now.
    const dev = (await flowState()).environments.find(
      (e: any) => e.environment.id === 'dev',
    );
    expect(dev.currentVersion).toBe(`1.${RUN}.1`);
    const page = await signIn(browser, 'Alice Ng');
    try {
      await page.goto(TAB);
      const item = page
        .getByRole('region', { name: 'Validation checklist' })
        .first()
        .getByRole('listitem')
        .filter({ hasText: 'All tests passing' });
      await expect(item).toContainText(`Attested by ${PIPELINE} on `);
      await expect(item).toContainText(`: ${TEST_RESULT} (evidence`);
      await expect(
        item.getByRole('link', { name: /^evidence/ }),
      ).toHaveAttribute(
        'href',
        `https://gitlab.example.com/platform/file-router/-/jobs/${RUN}`,
      );
      await expect(item).toContainText(
        'by a person or attested by the pipeline',
      );
      await item.evaluate(element =>
        element.scrollIntoView({ block: 'center' }),
      );
      await page.screenshot({
        path: path.join(SHOTS, 'attested-evidence.png'),
        animations: 'disabled',
      });
    } finally {
      await page.context().close();
    }
  });

  test('Kargo http step: succeeds on an open gate, fails on a closed one', async () => {
    const example = only('kargo');
    const template = parseYaml(example.code);
    const vars: Record<string, string> = Object.fromEntries(
      (template.vars as Array<{ name: string; value: string }>).map(v => [
        v.name,
        v.value,
      ]),
    );
    expect(
      vars.backstageUrl,
      'the template declares backstageUrl',
    ).toBeTruthy();
    vars.backstageUrl = BACKEND;
    const step = (template.steps as any[]).find(s => s.uses === 'http');

    const promote = async (version: string, token = TOKEN) => {
      const scope = {
        vars,
        secret: (name: string) => (name === 'promotion' ? { token } : {}),
        imageFrom: (repo: string) => {
          expect(repo).toBe(vars.imageRepo);
          return { Tag: version };
        },
      };
      const config = step.config;
      const res = await fetch(interpolate(config.url, scope), {
        method: config.method,
        headers: Object.fromEntries(
          (config.headers ?? []).map((h: any) => [
            h.name,
            interpolate(h.value, scope),
          ]),
        ),
      });
      const text = await res.text();
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = text;
      }
      const response = { status: res.status, body };
      return {
        response,
        success: evaluate(config.successExpression, { response }),
        failure: evaluate(config.failureExpression, { response }),
      };
    };

    // The version the GitLab job took to Production: the gate stays open.
    const open = await promote(`1.${RUN}.1`);
    expect(open.response.body).toMatchObject({
      entityRef: FLOW_REF,
      environmentId: 'production',
      version: `1.${RUN}.1`,
      open: true,
    });
    expect([open.success, open.failure]).toEqual([true, false]);

    const closed = await promote(`9.${RUN}.0`);
    expect(closed.response.body).toMatchObject({ open: false });
    expect([closed.success, closed.failure]).toEqual([false, true]);

    const refused = await promote(`1.${RUN}.1`, 'not-the-token');
    expect(refused.response.status).toBe(401);
    expect([refused.success, refused.failure]).toEqual([false, true]);
    exercised.add(example);
  });

  test('the promotion-gate CLI examples: check, report, rollback', async () => {
    const cli = examples.filter(
      e => e.kind === 'shell' && /promotion-gate/.test(e.code),
    );
    expect(cli.length).toBeGreaterThanOrEqual(2);
    const seen = new Set<string>();
    for (const example of cli) {
      const ran = await runShellExample(example);
      ran.calls.forEach(c => seen.add(c.args[0]));
    }
    // The rollback after the CI examples' releases revoked Production's
    // standing approval: the next release needs an approval again.
    expect([...seen].sort()).toEqual(['check', 'report', 'rollback']);
    const next = await gateOf('production', `1.${RUN}.1`);
    expect(next.unmetConditions.map((c: any) => c.code)).toContain(
      'approval-revoked',
    );
  });

  test('the CLI errors end with exit code 2 and the documented sentence', async () => {
    const example = only('console');
    const lines = example.code.trimEnd().split('\n');
    const sessions: Array<{ command: string; output: string[] }> = [];
    for (const line of lines) {
      if (line.startsWith('$ ')) {
        sessions.push({ command: line.slice(2), output: [] });
      } else {
        sessions[sessions.length - 1].output.push(line);
      }
    }
    expect(sessions.length).toBeGreaterThanOrEqual(4);
    const env = {
      ...baseEnv(),
      PROMOTION_URL: BACKEND,
      PROMOTION_TOKEN: TOKEN,
    };
    for (const session of sessions) {
      const ran = await bash(session.command, env);
      expect(ran.calls, session.command).toHaveLength(1);
      expect(ran.code, session.command).toBe(2);
      expect(`${ran.stdout}${ran.stderr}`.trimEnd(), session.command).toBe(
        session.output.join('\n'),
      );
    }
    const said = sessions.map(s => s.output.join('\n')).join('\n');
    expect(said).toContain('rejected the token');
    expect(said).toContain('Unknown flow component:default/no-such-flow');
    exercised.add(example);
  });

  test('the curl examples: gate, deployment, flow state, rollback', async () => {
    const curls = examples.filter(
      e => e.kind === 'shell' && /^curl /m.test(e.code),
    );
    const operations: string[] = [];
    for (const example of curls) {
      const where = `docs/pipelines.md:${example.line}`;
      expect(example.code.match(/^curl /gm), where).toHaveLength(1);
      const ran = await runShellExample(example);
      const response = JSON.parse(ran.stdout);
      const method = /-X (\w+)/.exec(example.code)?.[1] ?? 'GET';
      const url = new URL(
        /"\$PROMOTION_URL([^"]+)"/.exec(example.code)![1].replace(/^/, BACKEND),
      );
      const sent = /-d '([^']+)'/.exec(example.code)?.[1];
      const body = sent ? JSON.parse(sent) : undefined;
      const route = url.pathname.replace(
        '/api/promotion/flows/default/component/file-router',
        '',
      );
      operations.push(`${method} ${route || '/'}`);
      if (method === 'GET' && route === '/gate') {
        expect(response).toMatchObject({
          entityRef: FLOW_REF,
          environmentId: url.searchParams.get('environment'),
          version: url.searchParams.get('version'),
          open: expect.any(Boolean),
        });
        expect(response).toEqual(
          await gateOf(
            url.searchParams.get('environment')!,
            url.searchParams.get('version')!,
          ),
        );
      } else if (method === 'POST' && route === '/deployments') {
        const event = await findEvent(
          e =>
            e.type === 'deployment.recorded' &&
            e.payload.deploymentId === response.deployment.id,
        );
        expect(event, where).toMatchObject({
          environmentId: body.environment,
          version: body.version,
          actor: PIPELINE,
          payload: {
            status: body.status,
            idempotencyKey: body.idempotencyKey,
            link: body.link,
          },
        });
        // Sending it again is a replay of the same deployment.
        const replay = await api('POST', `${FLOW}/deployments`, {
          body,
          status: 200,
        });
        expect(replay).toMatchObject({
          replayed: true,
          deployment: { id: response.deployment.id },
        });
      } else if (method === 'GET' && route === '') {
        expect(response.entityRef).toBe(FLOW_REF);
        expect(response.policy.name).toBe('standard');
        expect(response.environments.map((e: any) => e.environment.id)).toEqual(
          appConfig.promotion.policies.standard.environments.map(
            (e: any) => e.id,
          ),
        );
      } else if (method === 'POST' && route === '/rollbacks') {
        const state = await flowState();
        expect(
          state.rollbacks.find((r: any) => r.id === response.id),
          where,
        ).toMatchObject({
          environmentId: body.environment,
          reason: body.reason,
          toVersion: body.toVersion,
          recordedBy: PIPELINE,
        });
      } else {
        throw new Error(`${where}: no check for ${method} ${url.pathname}`);
      }
    }
    expect(operations.sort()).toEqual([
      'GET /',
      'GET /gate',
      'POST /deployments',
      'POST /rollbacks',
    ]);
  });

  test('every example of docs/pipelines.md was run', () => {
    expect(
      examples
        .filter(e => !exercised.has(e))
        .map(e => `docs/pipelines.md:${e.line} (${e.kind})`),
    ).toEqual([]);
  });
});
