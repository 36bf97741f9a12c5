/*
 * Seeding for the read benchmark (bench/reads.ts): N flows and about M audit
 * events written straight into a fresh PostgreSQL database of the plugin,
 * fast (multi-row `insert ... select from unnest(...)` of a few thousand
 * rows per statement), with every flow's keyed chain linked exactly as the
 * plugin links it: the links, the head MACs, the summaries and the dossier
 * hashes come from the plugin's own functions (src/audit/hashChain.ts,
 * src/audit/auditKeyring.ts, src/database/operations/audit/summaries.ts), so
 * `GET /api/promotion/audit/verify` finds the chains intact and every state
 * row bound to the event that recorded it.
 *
 * Schema: the plugin's migrations are run up to SEED_SCHEMA_MIGRATION (the
 * schema this file writes), the rows are inserted, and the migrations after
 * it run when the backend starts — as they would on a production database
 * that already holds this history, so a later migration that derives state
 * from these rows (a current-state table, say) backfills it.
 *
 * The history of a flow follows the `standard` policy of app-config.yaml
 * (read with the plugin's own readPromotionConfig): every version is
 * deployed to each environment of the ladder in turn, with the validation
 * checklist (flow-scoped items once per flow), the sign-off and the
 * post-deployment checklist completed, and the one-time approval of
 * Production requested, approved by the approver and granted as a standing
 * approval before the first Production deployment. A flow's last version
 * stops after the environment before BENCH_GATE_ENV, fully prepared: its
 * gate into that environment is open. Inbox flows never got their approval:
 * their versions stop before it, and the last one has a pending promotion
 * request (recent, so that neither expiry nor reminders touch it).
 *
 * Events are written in time order across flows (step j of every flow, then
 * step j + 1), seq in that order, spread over BENCH_HISTORY_DAYS days.
 */
import knexFactory, { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  EnvironmentDefinition,
  PromotionPolicy,
} from '@promotion/plugin-promotion-common';
import { AuditKeyring } from '../plugins/promotion-backend/src/audit/auditKeyring';
import {
  chainHeadText,
  dossierHash,
  eventLinkText,
  GENESIS_HASH,
} from '../plugins/promotion-backend/src/audit/hashChain';
import {
  decisionSummary,
  tidySummary,
} from '../plugins/promotion-backend/src/database/operations/audit/summaries';

/** The few methods of a node-postgres client used here (pg has no bundled types). */
interface PgClient {
  connect(): Promise<void>;
  query(sql: string, values?: unknown[]): Promise<{ rows: unknown[] }>;
  end(): Promise<void>;
}

// eslint-disable-next-line @typescript-eslint/no-require-imports
const { Client } = require('pg') as {
  Client: new (config: Knex.PgConnectionConfig) => PgClient;
};

/** The last migration whose schema this seeding writes; later ones run at the backend's start. */
export const SEED_SCHEMA_MIGRATION = '20261128000000_superseded_requests.js';

export interface SeedActors {
  /** The owner: completes checklists, requests promotion. */
  owner: string;
  /** Signs off (the customer representative). */
  signer: string;
  /** The approver (the "Director"). */
  approver: string;
  /** The pipeline that reports deployments: `service:<subject>`. */
  pipeline: string;
}

export interface SeedOptions {
  connection: Knex.PgConnectionConfig;
  migrationsDir: string;
  keyring: AuditKeyring;
  policy: PromotionPolicy;
  /** The approval-gated environment the gate checks ask about (production). */
  gateEnv: string;
  flows: number;
  events: number;
  /** Flows, among `flows`, with a pending request in the approver's inbox. */
  inboxFlows: number;
  actors: SeedActors;
  historyDays: number;
  /** Request expiry, seconds (a pending request expires this long after it was made). */
  requestExpirySeconds: number;
  /** Extra flows seeded with exactly this plan (the history sweep's flow). */
  extraFlows: { name: string; versions: number }[];
  log: (line: string) => void;
}

/** A seeded flow as the measurements use it. */
export interface SeededFlow {
  name: string;
  entityRef: string;
  /** The prepared version: the gate into gateEnv is open (regular) or pending (inbox). */
  lastVersion: string;
  inbox: boolean;
  /** A few deployment ids of the flow (for the deployment trail). */
  deploymentIds: string[];
  /** Deployments recorded for the flow. */
  deployments: number;
}

export interface SeedResult {
  flows: SeededFlow[];
  events: number;
  rows: Record<string, number>;
  firstEventAt: Date;
  lastEventAt: Date;
  elapsedMs: number;
}

// ---------------------------------------------------------------------------
// Plans: the steps of a flow's history
// ---------------------------------------------------------------------------

type Step =
  | { kind: 'deploy'; env: string; v: number }
  | {
      kind: 'check';
      env: string;
      checklist: 'validation' | 'post-deployment';
      itemId: string;
      scope: 'version' | 'flow';
      evidence: boolean;
      v: number;
    }
  | { kind: 'sign-off'; env: string; v: number }
  | { kind: 'request'; env: string; v: number }
  | { kind: 'approve'; env: string; v: number };

export function versionName(v: number): string {
  return `1.${v}.0`;
}

/**
 * The steps of a flow with `versions` versions. Regular flows climb the
 * whole ladder (requesting and getting the one-time approval on the way)
 * except the last version, which stops before `gateEnv`; inbox flows stop
 * every version before `gateEnv`. The inbox flows' pending request is not a
 * step: it is written last, at a recent time.
 */
function planFlow(
  policy: PromotionPolicy,
  gateEnv: string,
  versions: number,
  inbox: boolean,
): Step[] {
  const ladder = policy.environments;
  const gateIndex = ladder.findIndex(e => e.id === gateEnv);
  if (gateIndex < 1) {
    throw new Error(
      `BENCH_GATE_ENV ${gateEnv} must be an environment of the policy after its first (${ladder
        .map(e => e.id)
        .join(', ')})`,
    );
  }
  const steps: Step[] = [];
  const flowItemsDone = new Set<string>();
  const approved = new Set<string>();
  for (let v = 1; v <= versions; v++) {
    const stopAt = inbox || v === versions ? gateIndex : ladder.length;
    for (let e = 0; e < stopAt; e++) {
      const env: EnvironmentDefinition = ladder[e];
      if (env.approval.mode === 'every') {
        throw new Error(
          `The benchmark seeds policies with 'none' or 'once' approvals; ${env.id} has 'every'`,
        );
      }
      if (env.approval.mode === 'once' && !approved.has(env.id)) {
        steps.push({ kind: 'request', env: env.id, v });
        steps.push({ kind: 'approve', env: env.id, v });
        approved.add(env.id);
      }
      steps.push({ kind: 'deploy', env: env.id, v });
      for (const item of env.checklist) {
        const key = `${env.id}/${item.id}`;
        if (item.scope === 'flow') {
          if (flowItemsDone.has(key)) {
            continue;
          }
          flowItemsDone.add(key);
        }
        steps.push({
          kind: 'check',
          env: env.id,
          checklist: 'validation',
          itemId: item.id,
          scope: item.scope,
          evidence: item.evidenceRequired,
          v,
        });
      }
      if (env.signOff.required) {
        steps.push({ kind: 'sign-off', env: env.id, v });
      }
      for (const item of env.postDeployment) {
        steps.push({
          kind: 'check',
          env: env.id,
          checklist: 'post-deployment',
          itemId: item.id,
          scope: 'version',
          evidence: false,
          v,
        });
      }
    }
  }
  return steps;
}

/** Audit events a step writes. */
function eventsOf(step: Step): number {
  return step.kind === 'approve' ? 3 : 1;
}

function eventsOfPlan(steps: Step[]): number {
  return steps.reduce((n, s) => n + eventsOf(s), 0);
}

// ---------------------------------------------------------------------------
// Bulk insertion
// ---------------------------------------------------------------------------

type ColumnType = 'uuid' | 'text' | 'timestamptz' | 'bool' | 'int8' | 'int4';

interface TableSpec {
  table: string;
  columns: [string, ColumnType][];
}

const TABLE_SPECS: TableSpec[] = [
  // Requests before decisions (foreign key).
  {
    table: 'promotion_requests',
    columns: [
      ['id', 'uuid'],
      ['entity_ref', 'text'],
      ['environment_id', 'text'],
      ['version', 'text'],
      ['status', 'text'],
      ['dossier', 'text'],
      ['dossier_hash', 'text'],
      ['revision', 'int4'],
      ['requested_by', 'text'],
      ['created_at', 'timestamptz'],
      ['updated_at', 'timestamptz'],
      ['expires_at', 'timestamptz'],
      ['decided_at', 'timestamptz'],
      ['pending_key', 'text'],
    ],
  },
  {
    table: 'promotion_decisions',
    columns: [
      ['id', 'uuid'],
      ['request_id', 'uuid'],
      ['request_revision', 'int4'],
      ['dossier_hash', 'text'],
      ['decision', 'text'],
      ['decided_by', 'text'],
      ['decided_at', 'timestamptz'],
      ['comment', 'text'],
    ],
  },
  {
    table: 'promotion_standing_approvals',
    columns: [
      ['id', 'uuid'],
      ['entity_ref', 'text'],
      ['environment_id', 'text'],
      ['request_id', 'uuid'],
      ['granted_at', 'timestamptz'],
      ['granted_by', 'text'],
    ],
  },
  {
    table: 'promotion_deployments',
    columns: [
      ['id', 'uuid'],
      ['entity_ref', 'text'],
      ['environment_id', 'text'],
      ['version', 'text'],
      ['status', 'text'],
      ['link', 'text'],
      ['reported_by', 'text'],
      ['reported_at', 'timestamptz'],
      ['violation', 'bool'],
      ['unmet_conditions', 'text'],
    ],
  },
  {
    table: 'promotion_checklist_completions',
    columns: [
      ['id', 'uuid'],
      ['entity_ref', 'text'],
      ['environment_id', 'text'],
      ['kind', 'text'],
      ['item_id', 'text'],
      ['version', 'text'],
      ['completed_by', 'text'],
      ['completed_at', 'timestamptz'],
      ['evidence_link', 'text'],
      ['undone_key', 'text'],
    ],
  },
  {
    table: 'promotion_sign_offs',
    columns: [
      ['id', 'uuid'],
      ['entity_ref', 'text'],
      ['environment_id', 'text'],
      ['version', 'text'],
      ['signed_off_by', 'text'],
      ['signed_off_at', 'timestamptz'],
      ['comment', 'text'],
    ],
  },
  {
    table: 'promotion_audit_events',
    columns: [
      ['seq', 'int8'],
      ['id', 'uuid'],
      ['type', 'text'],
      ['entity_ref', 'text'],
      ['environment_id', 'text'],
      ['version', 'text'],
      ['actor', 'text'],
      ['occurred_at', 'timestamptz'],
      ['summary', 'text'],
      ['payload', 'text'],
      ['chain_seq', 'int8'],
      ['key_id', 'text'],
      ['previous_hash', 'text'],
      ['hash', 'text'],
    ],
  },
];

type Value = string | number | boolean | Date | null;

/** Column-wise buffers of every table, flushed with one statement per table. */
class BulkWriter {
  readonly #buffers = new Map<string, Value[][]>();
  readonly #sql = new Map<string, string>();
  readonly counts: Record<string, number> = {};
  #buffered = 0;
  #inFlight: Promise<void> = Promise.resolve();

  constructor(
    private readonly client: PgClient,
    private readonly batch: number,
  ) {
    for (const spec of TABLE_SPECS) {
      this.#buffers.set(
        spec.table,
        spec.columns.map(() => []),
      );
      this.counts[spec.table] = 0;
      const names = spec.columns.map(([name]) => `"${name}"`).join(', ');
      const arrays = spec.columns
        .map(([, type], i) => `$${i + 1}::${type}[]`)
        .join(', ');
      this.#sql.set(
        spec.table,
        `insert into "${spec.table}" (${names}) select * from unnest(${arrays})`,
      );
    }
  }

  /** Adds a row (values in the column order of its table's spec). */
  async add(table: string, values: Value[]): Promise<void> {
    const columns = this.#buffers.get(table)!;
    values.forEach((value, i) => columns[i].push(value));
    this.counts[table] += 1;
    this.#buffered += 1;
    if (this.#buffered >= this.batch) {
      await this.flush(false);
    }
  }

  /**
   * Sends the buffered rows, table by table in TABLE_SPECS order (requests
   * before decisions). One flush is sent while the next batch is built.
   */
  async flush(wait: boolean): Promise<void> {
    const batches: [string, Value[][]][] = [];
    for (const spec of TABLE_SPECS) {
      const columns = this.#buffers.get(spec.table)!;
      if (columns[0].length > 0) {
        batches.push([spec.table, columns]);
        this.#buffers.set(
          spec.table,
          spec.columns.map(() => []),
        );
      }
    }
    this.#buffered = 0;
    await this.#inFlight;
    this.#inFlight = (async () => {
      for (const [table, columns] of batches) {
        await this.client.query(this.#sql.get(table)!, columns);
      }
    })();
    if (wait) {
      await this.#inFlight;
    }
  }
}

// ---------------------------------------------------------------------------
// Chains
// ---------------------------------------------------------------------------

interface FlowState {
  flow: SeededFlow;
  steps: Step[];
  chainSeq: number;
  link: string;
  lastSeq: number;
  /** The request of the pending approval step (request, then approve). */
  request?: {
    id: string;
    dossier: Record<string, string>;
    hash: string;
    createdAt: Date;
    expiresAt: Date;
  };
  deploymentNo: number;
}

interface NewEvent {
  type: string;
  environmentId?: string;
  version?: string;
  actor: string;
  summary: string;
  payload: Record<string, unknown>;
}

function dossierFor(flow: SeededFlow, version: string, env: string) {
  return {
    whatChanged: `Release ${version} of ${flow.name}: partner routing rules and retry policy`,
    why: `Quarterly release of ${flow.name} into ${env}`,
    testResults: `Smoke and end-to-end suites green for ${version} (https://ci.example.com/${flow.name}/tests/${version})`,
    releaseNotes: `${flow.name} ${version}: routing rules for two new partners, exponential retry on upload failures`,
  };
}

/**
 * Seeds the database; returns the flows with what the measurements need.
 */
export async function seed(options: SeedOptions): Promise<SeedResult> {
  const started = Date.now();
  const { policy, gateEnv, actors, keyring, log } = options;

  // The schema this file writes; later migrations run at the backend's start.
  const knex = knexFactory({
    client: 'pg',
    connection: options.connection,
    pool: { min: 0, max: 1 },
  });
  try {
    const [, pending] = (await knex.migrate.list({
      directory: options.migrationsDir,
    })) as [unknown[], { file: string }[]];
    const names = pending.map(p => p.file).sort();
    if (!names.includes(SEED_SCHEMA_MIGRATION)) {
      throw new Error(
        `Migration ${SEED_SCHEMA_MIGRATION} (the schema the seeding writes) is not among the plugin's migrations (${names.join(
          ', ',
        )}): update bench/readsSeed.ts`,
      );
    }
    for (const name of names) {
      if (name > SEED_SCHEMA_MIGRATION) {
        break;
      }
      await knex.migrate.up({ directory: options.migrationsDir, name });
    }
    const later = names.filter(n => n > SEED_SCHEMA_MIGRATION);
    log(
      `  schema: migrations up to ${SEED_SCHEMA_MIGRATION}${
        later.length
          ? `; ${later.join(
              ', ',
            )} will run over the seeded rows at the backend's start`
          : ''
      }`,
    );
  } finally {
    await knex.destroy();
  }

  // Versions per flow so that the events add up to about M.
  const regularCount = options.flows - options.inboxFlows;
  const perFlow = options.events / Math.max(1, options.flows);
  const regularEvents = (k: number) =>
    eventsOfPlan(planFlow(policy, gateEnv, k, false));
  const inboxEvents = (k: number) =>
    eventsOfPlan(planFlow(policy, gateEnv, k, true)) + 1;
  const versionsFor = (events: (k: number) => number) => {
    let k = 1;
    while (k < 1000 && events(k + 1) <= perFlow) {
      k += 1;
    }
    // The share of flows with one more version, to hit the average.
    const share = Math.min(
      1,
      Math.max(0, (perFlow - events(k)) / (events(k + 1) - events(k))),
    );
    return { k, share };
  };
  const regular = versionsFor(regularEvents);
  const inbox = versionsFor(inboxEvents);
  const plans = new Map<string, Step[]>();
  const planOf = (k: number, isInbox: boolean) => {
    const key = `${k}/${isInbox}`;
    let plan = plans.get(key);
    if (!plan) {
      plan = planFlow(policy, gateEnv, k, isInbox);
      plans.set(key, plan);
    }
    return plan;
  };

  const width = String(options.flows).length;
  const states: FlowState[] = [];
  const makeFlow = (name: string, k: number, isInbox: boolean) => {
    const steps = planOf(k, isInbox);
    const flow: SeededFlow = {
      name,
      entityRef: `component:default/${name}`,
      lastVersion: versionName(k),
      inbox: isInbox,
      deploymentIds: [],
      deployments: 0,
    };
    states.push({
      flow,
      steps,
      chainSeq: 0,
      link: GENESIS_HASH,
      lastSeq: 0,
      deploymentNo: 0,
    });
  };
  /** 1 for a `share` of the indexes, evenly spread. */
  const spread = (i: number, share: number) =>
    Math.floor((i + 1) * share) - Math.floor(i * share);
  // Inbox flows are spread among the others (every n-th flow).
  const inboxEvery =
    options.inboxFlows > 0 ? options.flows / options.inboxFlows : Infinity;
  let inboxMade = 0;
  let regularMade = 0;
  for (let i = 0; i < options.flows; i++) {
    const name = `bench-flow-${String(i + 1).padStart(width, '0')}`;
    const isInbox =
      inboxMade < options.inboxFlows && i >= inboxMade * inboxEvery;
    if (isInbox) {
      const k = inbox.k + spread(inboxMade, inbox.share);
      makeFlow(name, k, true);
      inboxMade += 1;
    } else {
      const k = regular.k + spread(regularMade, regular.share);
      makeFlow(name, k, false);
      regularMade += 1;
    }
  }
  for (const extra of options.extraFlows) {
    makeFlow(extra.name, extra.versions, false);
  }
  log(
    `  plan: ${regularCount} flows of ${regular.k}${
      regular.share > 0 ? `-${regular.k + 1}` : ''
    } versions (${regularEvents(regular.k)} events each at ${regular.k}), ${
      options.inboxFlows
    } inbox flows of ${inbox.k}${
      inbox.share > 0 ? `-${inbox.k + 1}` : ''
    } versions with a pending request into ${gateEnv}${
      options.extraFlows.length
        ? `, plus ${options.extraFlows
            .map(f => `${f.name} (${f.versions} versions)`)
            .join(', ')}`
        : ''
    }`,
  );

  const totalSteps = states.reduce((n, s) => n + s.steps.length, 0);
  const maxSteps = Math.max(...states.map(s => s.steps.length));
  const now = Date.now();
  // History ends two hours ago; the pending requests come after it.
  const endAt = now - 2 * 3600_000;
  const firstEventAt = new Date(endAt - options.historyDays * 86400_000);
  const dt = (endAt - firstEventAt.getTime()) / Math.max(1, totalSteps);

  const client = new Client(options.connection);
  await client.connect();
  const writer = new BulkWriter(client, 4000);
  let seq = 0;
  let lastEventAt = firstEventAt;
  const keyId = keyring.currentKeyId;

  /** Appends the events of one transaction of a flow at `at`. */
  const append = async (
    state: FlowState,
    at: Date,
    events: NewEvent[],
  ): Promise<void> => {
    const occurredAt = at.toISOString();
    for (const event of events) {
      seq += 1;
      state.chainSeq += 1;
      const id = randomUUID();
      const summary = tidySummary(event.summary);
      // As appendEvents stores it: the JSON of the payload, read back.
      const payloadText = JSON.stringify(event.payload);
      const payload = JSON.parse(payloadText);
      const { mac: link } = keyring.sign(
        eventLinkText({
          seq,
          chainSeq: state.chainSeq,
          keyId,
          id,
          type: event.type as never,
          entityRef: state.flow.entityRef,
          environmentId: event.environmentId,
          version: event.version,
          actor: event.actor,
          occurredAt,
          summary,
          payload,
          previousHash: state.link,
        }),
      );
      await writer.add('promotion_audit_events', [
        seq,
        id,
        event.type,
        state.flow.entityRef,
        event.environmentId ?? null,
        event.version ?? null,
        event.actor,
        at,
        summary,
        payloadText,
        state.chainSeq,
        keyId,
        state.link,
        link,
      ]);
      state.link = link;
      state.lastSeq = seq;
    }
    lastEventAt = at;
  };

  const runStep = async (state: FlowState, step: Step, at: Date) => {
    const { flow } = state;
    const version = versionName(step.v);
    switch (step.kind) {
      case 'deploy': {
        const id = randomUUID();
        state.deploymentNo += 1;
        const link = `https://ci.example.com/${flow.name}/runs/${state.deploymentNo}`;
        flow.deployments += 1;
        if (step.env === gateEnv && flow.deploymentIds.length < 4) {
          flow.deploymentIds.push(id);
        }
        await writer.add('promotion_deployments', [
          id,
          flow.entityRef,
          step.env,
          version,
          'succeeded',
          link,
          actors.pipeline,
          at,
          false,
          '[]',
        ]);
        await append(state, at, [
          {
            type: 'deployment.recorded',
            environmentId: step.env,
            version,
            actor: actors.pipeline,
            summary: `Deployment of ${version} to ${step.env} succeeded`,
            payload: {
              deploymentId: id,
              version,
              status: 'succeeded',
              link,
              idempotencyKey: null,
              reportedBy: actors.pipeline,
              violation: false,
              unmetConditions: [],
            },
          },
        ]);
        return;
      }
      case 'check': {
        const id = randomUUID();
        const itemVersion = step.scope === 'flow' ? undefined : version;
        const evidenceLink = step.evidence
          ? `https://ci.example.com/${flow.name}/evidence/${step.itemId}/${version}`
          : null;
        await writer.add('promotion_checklist_completions', [
          id,
          flow.entityRef,
          step.env,
          step.checklist,
          step.itemId,
          itemVersion ?? '',
          actors.owner,
          at,
          evidenceLink,
          '',
        ]);
        await append(state, at, [
          {
            type: 'checklist.completed',
            environmentId: step.env,
            version: itemVersion,
            actor: actors.owner,
            summary: `Completed ${step.checklist} item '${step.itemId}' on ${
              step.env
            } for ${itemVersion ?? 'the flow'}`,
            payload: {
              completionId: id,
              kind: step.checklist,
              itemId: step.itemId,
              scope: step.scope,
              version: itemVersion ?? null,
              completedBy: actors.owner,
              evidenceLink,
              note: null,
            },
          },
        ]);
        return;
      }
      case 'sign-off': {
        const id = randomUUID();
        const comment = `Results of ${version} on ${step.env} confirmed with the partner team`;
        await writer.add('promotion_sign_offs', [
          id,
          flow.entityRef,
          step.env,
          version,
          actors.signer,
          at,
          comment,
        ]);
        await append(state, at, [
          {
            type: 'sign-off.given',
            environmentId: step.env,
            version,
            actor: actors.signer,
            summary: comment,
            payload: {
              signOffId: id,
              version,
              signedOffBy: actors.signer,
              comment,
            },
          },
        ]);
        return;
      }
      case 'request': {
        await writeRequest(state, step.env, version, at);
        return;
      }
      case 'approve': {
        const request = state.request!;
        state.request = undefined;
        const decisionId = randomUUID();
        const standingId = randomUUID();
        const comment = `Approved for ${step.env}: release notes and test evidence reviewed`;
        const approvers = [actors.approver];
        await writer.add('promotion_requests', [
          request.id,
          flow.entityRef,
          step.env,
          version,
          'approved',
          JSON.stringify(request.dossier),
          request.hash,
          1,
          actors.owner,
          request.createdAt,
          at,
          request.expiresAt,
          at,
          request.id,
        ]);
        await writer.add('promotion_decisions', [
          decisionId,
          request.id,
          1,
          request.hash,
          'approve',
          actors.approver,
          at,
          comment,
        ]);
        await writer.add('promotion_standing_approvals', [
          standingId,
          flow.entityRef,
          step.env,
          request.id,
          at,
          JSON.stringify(approvers),
        ]);
        const about = { environmentId: step.env, version };
        await append(state, at, [
          {
            type: 'decision.recorded',
            ...about,
            actor: actors.approver,
            summary: decisionSummary('approve', comment),
            payload: {
              requestId: request.id,
              decisionId,
              decision: 'approve',
              decidedBy: actors.approver,
              comment,
              revision: 1,
              dossierHash: request.hash,
            },
          },
          {
            type: 'request.approved',
            ...about,
            actor: actors.approver,
            summary: `Promotion of ${version} into ${
              step.env
            } approved by ${approvers.join(', ')}`,
            payload: {
              requestId: request.id,
              status: 'approved',
              revision: 1,
              approvers,
              minApprovers: 1,
              dossierHash: request.hash,
            },
          },
          {
            type: 'standing-approval.granted',
            ...about,
            actor: actors.approver,
            summary: `Standing approval of ${flow.entityRef} into ${
              step.env
            } granted by ${approvers.join(', ')}`,
            payload: {
              standingApprovalId: standingId,
              requestId: request.id,
              grantedBy: approvers,
            },
          },
        ]);
        return;
      }
      default:
        throw new Error(`unknown step ${JSON.stringify(step)}`);
    }
  };

  /**
   * The request.created event; the row is written with its final state:
   * by the approve step for an approved one, here for a pending one.
   */
  const writeRequest = async (
    state: FlowState,
    env: string,
    version: string,
    at: Date,
    pending = false,
  ) => {
    const { flow } = state;
    const dossier = dossierFor(flow, version, env);
    const hash = dossierHash(dossier);
    const id = randomUUID();
    const expiresAt = new Date(
      at.getTime() + options.requestExpirySeconds * 1000,
    );
    state.request = { id, dossier, hash, createdAt: at, expiresAt };
    if (pending) {
      await writer.add('promotion_requests', [
        id,
        flow.entityRef,
        env,
        version,
        'pending',
        JSON.stringify(dossier),
        hash,
        1,
        actors.owner,
        at,
        at,
        expiresAt,
        null,
        '',
      ]);
    }
    await append(state, at, [
      {
        type: 'request.created',
        environmentId: env,
        version,
        actor: actors.owner,
        summary: `Requested promotion of ${version} into ${env}: ${dossier.why}`,
        payload: {
          requestId: id,
          status: 'pending',
          revision: 1,
          requestedBy: actors.owner,
          dossier,
          dossierHash: hash,
          expiresAt: expiresAt.toISOString(),
        },
      },
    ]);
  };

  let stepNo = 0;
  let nextReport = Date.now() + 15_000;
  try {
    await client.query('begin');
    for (let j = 0; j < maxSteps; j++) {
      for (const state of states) {
        const step = state.steps[j];
        if (!step) {
          continue;
        }
        const at = new Date(Math.floor(firstEventAt.getTime() + stepNo * dt));
        stepNo += 1;
        await runStep(state, step, at);
      }
      if (Date.now() > nextReport) {
        log(
          `  ... ${seq} events (${Math.round(
            (stepNo / totalSteps) * 100,
          )}% of the history, ${Math.round((Date.now() - started) / 1000)} s)`,
        );
        nextReport = Date.now() + 15_000;
      }
    }
    // The inbox: a pending request into gateEnv for every inbox flow's
    // last version, made in the last hour.
    const inboxStates = states.filter(s => s.flow.inbox);
    for (const [i, state] of inboxStates.entries()) {
      const at = new Date(
        now - 3600_000 + Math.floor((i * 3000_000) / inboxStates.length),
      );
      await writeRequest(state, gateEnv, state.flow.lastVersion, at, true);
      state.request = undefined;
    }
    await writer.flush(true);

    // The heads of the flow chains, signed as appendEvents signs them.
    const heads = states.map(state => {
      const head = {
        entityRef: state.flow.entityRef,
        chainSeq: state.chainSeq,
        seq: state.lastSeq,
        link: state.link,
      };
      const signed = keyring.sign(chainHeadText(head));
      return [
        head.entityRef,
        head.chainSeq,
        head.seq,
        head.link,
        signed.keyId,
        signed.mac,
      ];
    });
    for (let i = 0; i < heads.length; i += 5000) {
      const part = heads.slice(i, i + 5000);
      await client.query(
        'insert into promotion_audit_chains (entity_ref, chain_seq, seq, link, key_id, mac) ' +
          'select * from unnest($1::text[], $2::int8[], $3::int8[], $4::text[], $5::text[], $6::text[])',
        [0, 1, 2, 3, 4, 5].map(c => part.map(h => h[c])),
      );
    }
    // Appends continue after the seeded events.
    await client.query(
      `select setval(pg_get_serial_sequence('promotion_audit_events', 'seq'), $1::bigint, true)`,
      [seq],
    );
    await client.query('commit');
    await client.query('analyze');
  } catch (error) {
    await client.query('rollback').catch(() => {});
    throw error;
  } finally {
    await client.end();
  }

  return {
    flows: states.map(s => s.flow),
    events: seq,
    rows: writer.counts,
    firstEventAt,
    lastEventAt,
    elapsedMs: Date.now() - started,
  };
}
