import { run } from '@promotion/promotion-gate';
import {
  MatchedOperation,
  OpenApiDocument,
  OpenApiSchemas,
  pointerSegment,
} from './__testUtils__/openApiSchemas';
import { buildOpenApiDocument } from './openApiDocument';

/*
 * The pipeline CLI (`@promotion/promotion-gate`) against this plugin's OpenAPI
 * document: the real `run()` of the CLI talks to a fetch that records every
 * request and answers with canned responses. Each request must be an
 * operation of the document that pipelines may call, with valid path and
 * query parameters and a body valid against the operation's requestBody
 * schema; each canned response must be valid against the operation's
 * response schema, so the canned answers cannot drift from the real ones.
 *
 * The test lives here, not in promotion-gate: the CLI stays free of
 * dependencies on the backend, and the backend only takes the CLI as a
 * devDependency (no cycle: the CLI depends on nothing of ours).
 */

const schemas = new OpenApiSchemas(
  buildOpenApiDocument() as unknown as OpenApiDocument,
);

const BACKEND = 'http://backstage.test';
const TOKEN = 'pipeline-token';
const ENTITY_REF = 'component:default/file-router';
const REQUEST_ID = '5f1c7a52-8d0e-4a39-9b7e-2f7d0c1e4a11';
const NOW = '2026-03-02T10:00:00.000Z';

interface RecordedRequest {
  method: string;
  url: URL;
  headers: Headers;
  body?: string;
  match?: MatchedOperation;
}

interface CannedResponse {
  status: number;
  body: unknown;
}

/** Where a request or a canned response disagrees with the document. */
type Problems = string[];

function describeErrors(errors: { instancePath: string; message?: string }[]) {
  return errors.map(e => `${e.instancePath || '/'} ${e.message}`).join('; ');
}

/** A fetch that records requests and answers per operationId, in order. */
function recordingFetch(answers: Record<string, CannedResponse[]>) {
  const requests: RecordedRequest[] = [];
  const problems: Problems = [];
  const fetchImpl = async (
    input: string | URL | Request,
    init: RequestInit = {},
  ): Promise<Response> => {
    const url = new URL(String(input));
    const method = (init.method ?? 'GET').toUpperCase();
    const request: RecordedRequest = {
      method,
      url,
      headers: new Headers(init.headers),
      body: init.body === undefined ? undefined : String(init.body),
      match: schemas.findOperation(method, url.pathname),
    };
    requests.push(request);
    const what = `${method} ${url.pathname}${url.search}`;
    if (!request.match) {
      problems.push(`${what}: no operation of the document`);
      return Response.json(
        { error: { name: 'NotFoundError', message: 'not in the document' } },
        { status: 404 },
      );
    }
    const { operation, pointer } = request.match;
    const answer = answers[operation.operationId]?.shift();
    if (!answer) {
      problems.push(`${what}: no canned answer for ${operation.operationId}`);
      return Response.json({}, { status: 500 });
    }
    const declared = operation.responses[String(answer.status)];
    const json = declared?.content?.['application/json'];
    if (!json) {
      problems.push(
        `${operation.operationId}: the document declares no JSON ${answer.status} response`,
      );
    } else {
      const checked = schemas.check(
        `${pointer}/responses/${answer.status}/content/${pointerSegment(
          'application/json',
        )}/schema`,
        answer.body,
      );
      if (!checked.valid) {
        problems.push(
          `canned ${answer.status} answer of ${
            operation.operationId
          } is invalid: ${describeErrors(checked.errors)}`,
        );
      }
    }
    return Response.json(answer.body, { status: answer.status });
  };
  return { fetch: fetchImpl as typeof fetch, requests, problems };
}

/** Checks one recorded request against the document. */
function checkRequest(request: RecordedRequest): Problems {
  const what = `${request.method} ${request.url.pathname}${request.url.search}`;
  const { match } = request;
  if (!match) {
    return [`${what}: no operation of the document`];
  }
  const problems: Problems = [];
  const { operation, pointer, pathParams } = match;
  const parameters = operation.parameters ?? [];

  if (!/services \(pipelines\)/.test(operation.description ?? '')) {
    problems.push(
      `${what}: ${operation.operationId} is not open to pipeline tokens`,
    );
  }
  if (request.headers.get('authorization') !== `Bearer ${TOKEN}`) {
    problems.push(`${what}: no bearer token`);
  }

  parameters.forEach((parameter, index) => {
    const at = `${pointer}/parameters/${index}/schema`;
    let value: unknown;
    if (parameter.in === 'path') {
      value = pathParams[parameter.name];
    } else if (parameter.in === 'query') {
      const raw = request.url.searchParams.get(parameter.name);
      if (raw === null) {
        if (parameter.required) {
          problems.push(`${what}: required query ${parameter.name} missing`);
        }
        return;
      }
      const type = parameter.schema.type;
      value = type === 'integer' || type === 'number' ? Number(raw) : raw;
    } else {
      return;
    }
    const checked = schemas.check(at, value);
    if (!checked.valid) {
      problems.push(
        `${what}: ${parameter.in} ${parameter.name}=${JSON.stringify(
          value,
        )}: ${describeErrors(checked.errors)}`,
      );
    }
  });
  const declaredQuery = new Set(
    parameters.filter(p => p.in === 'query').map(p => p.name),
  );
  for (const name of request.url.searchParams.keys()) {
    if (!declaredQuery.has(name)) {
      problems.push(`${what}: undeclared query parameter ${name}`);
    }
  }

  const content = operation.requestBody?.content;
  if (!content) {
    if (request.body !== undefined) {
      problems.push(`${what}: sends a body the operation does not take`);
    }
    return problems;
  }
  if (request.body === undefined) {
    if (operation.requestBody?.required) {
      problems.push(`${what}: the required body is missing`);
    }
    return problems;
  }
  const contentType = request.headers.get('content-type') ?? '';
  if (!content[contentType.split(';')[0].trim()]) {
    problems.push(`${what}: content type "${contentType}" is not declared`);
    return problems;
  }
  const body = JSON.parse(request.body);
  const at = `${pointer}/requestBody/content/${pointerSegment(
    'application/json',
  )}/schema`;
  const checked = schemas.check(at, body);
  if (!checked.valid) {
    problems.push(`${what}: body ${describeErrors(checked.errors)}`);
  }
  // The router strips unknown fields instead of refusing them, so a
  // misspelled optional field would be lost silently: refuse it here.
  const ref = content['application/json'].schema.$ref as string | undefined;
  const component = ref
    ? (schemas.document.components.schemas[
        ref.replace('#/components/schemas/', '')
      ] as { properties?: Record<string, unknown> })
    : undefined;
  const known = new Set(Object.keys(component?.properties ?? {}));
  for (const key of Object.keys(body)) {
    if (!known.has(key)) {
      problems.push(`${what}: body field ${key} is not in the document`);
    }
  }
  return problems;
}

async function runCli(
  args: string[],
  answers: Record<string, CannedResponse[]>,
) {
  const recorder = recordingFetch(answers);
  const out: string[] = [];
  const err: string[] = [];
  const code = await run(['node', 'promotion-gate', ...args], {
    env: { PROMOTION_URL: BACKEND, PROMOTION_TOKEN: TOKEN },
    io: { out: l => out.push(l), err: l => err.push(l) },
    fetch: recorder.fetch,
    sleep: async () => {},
  });
  const problems = [
    ...recorder.problems,
    ...recorder.requests.flatMap(checkRequest),
  ];
  const unused = Object.entries(answers).filter(([, q]) => q.length > 0);
  if (unused.length > 0) {
    problems.push(
      `canned answers never asked for: ${unused.map(([id]) => id).join(', ')}`,
    );
  }
  return {
    code,
    out,
    err,
    problems,
    operations: recorder.requests.map(r => r.match?.operation.operationId),
    requests: recorder.requests,
  };
}

// --- Canned answers, each checked against the document when used ------------

const gateArgs = [
  '--flow',
  ENTITY_REF,
  '--environment',
  'production',
  '--version',
  '1.4.0',
];

function gate(
  open: boolean,
  unmetConditions: Array<Record<string, unknown>> = [],
): CannedResponse {
  return {
    status: 200,
    body: {
      entityRef: ENTITY_REF,
      environmentId: 'production',
      version: '1.4.0',
      open,
      unmetConditions,
      approvedBy: open ? 'standing-approval' : 'none',
    },
  };
}

const pendingApproval = {
  code: 'approval-pending',
  message: 'Production approval for 1.4.0 is pending.',
  environmentId: 'production',
  requestId: REQUEST_ID,
};
const approvalRequired = {
  code: 'approval-required',
  message:
    'Production needs a one-time approval: request promotion and wait for an approver.',
  environmentId: 'production',
};

const deployment = {
  id: '0c2d4b0e-44a4-4f0e-8d47-1b1f6f3c2a90',
  entityRef: ENTITY_REF,
  environmentId: 'production',
  version: '1.4.0',
  status: 'succeeded',
  link: 'https://ci.example.com/runs/42',
  idempotencyKey: 'gh-42-1',
  reportedBy: 'service:pipeline',
  reportedAt: NOW,
  violation: true,
  unmetConditions: [approvalRequired],
};

const rejectedRequest = {
  id: REQUEST_ID,
  entityRef: ENTITY_REF,
  environmentId: 'production',
  version: '1.4.0',
  status: 'rejected',
  dossier: {
    whatChanged: 'Routing rules for partner B',
    why: 'Partner B onboarding',
    testResults: 'All green',
    releaseNotes: '',
  },
  dossierHash: 'a'.repeat(64),
  revision: 1,
  requestedBy: 'user:default/alice',
  createdAt: NOW,
  updatedAt: NOW,
  expiresAt: '2026-03-16T10:00:00.000Z',
  decidedAt: NOW,
  decisions: [
    {
      id: '9b0c1d2e-3f40-4152-8637-48596a7b8c9d',
      requestId: REQUEST_ID,
      decision: 'reject',
      decidedBy: 'user:default/dana',
      decidedAt: NOW,
      comment: 'Release notes missing',
      dossierHash: 'a'.repeat(64),
    },
  ],
};

const rollbackResult = {
  id: '3e5f7a9b-1c2d-4e6f-8a0b-c1d2e3f4a5b6',
  entityRef: ENTITY_REF,
  environmentId: 'production',
  fromVersion: '1.4.0',
  toVersion: '1.3.2',
  reason: 'Error rate doubled',
  incidentLink: 'https://incidents.example.com/INC-7',
  recordedBy: 'service:pipeline',
  recordedAt: NOW,
  revokedStandingApprovals: [
    {
      id: '7d8e9f0a-1b2c-4d3e-8f4a-5b6c7d8e9f0a',
      entityRef: ENTITY_REF,
      environmentId: 'production',
      requestId: REQUEST_ID,
      grantedAt: NOW,
      grantedBy: ['user:default/dana'],
      revokedAt: NOW,
      revokedBy: 'service:pipeline',
      revokeReason: 'Rollback: Error rate doubled',
    },
  ],
  incidentReportRequested: false,
};

describe('promotion-gate requests match the OpenAPI document', () => {
  it('check asks the gate with the flow in the path and environment and version in the query', async () => {
    const result = await runCli(['check', ...gateArgs], {
      getGate: [gate(false, [approvalRequired])],
    });
    expect(result.problems).toEqual([]);
    expect(result.code).toBe(1);
    expect(result.operations).toEqual(['getGate']);
    expect(result.requests[0].match?.pathParams).toEqual({
      namespace: 'default',
      kind: 'component',
      name: 'file-router',
    });

    const short = await runCli(
      [
        'check',
        '--flow',
        'payments-export',
        '--environment',
        'dev',
        '--version',
        'v2.0.0+build.7',
        '--json',
      ],
      { getGate: [gate(true)] },
    );
    expect(short.problems).toEqual([]);
    expect(short.code).toBe(0);
    expect(short.requests[0].url.searchParams.get('version')).toBe(
      'v2.0.0+build.7',
    );
  });

  it('wait polls the gate and reads the awaited promotion request', async () => {
    const rejected = await runCli(['wait', ...gateArgs, '--interval', '1s'], {
      getGate: [
        gate(false, [pendingApproval]),
        gate(false, [approvalRequired]),
      ],
      getPromotionRequest: [{ status: 200, body: rejectedRequest }],
    });
    expect(rejected.problems).toEqual([]);
    expect(rejected.code).toBe(1);
    expect(rejected.operations).toEqual([
      'getGate',
      'getGate',
      'getPromotionRequest',
    ]);
    expect(rejected.out.at(-1)).toBe(
      `Promotion request ${REQUEST_ID} was rejected by user:default/dana: Release notes missing`,
    );

    const opened = await runCli(['wait', ...gateArgs, '--interval', '1s'], {
      getGate: [gate(false, [pendingApproval]), gate(true)],
    });
    expect(opened.problems).toEqual([]);
    expect(opened.code).toBe(0);
  });

  it('report records a deployment with every option and with none', async () => {
    const full = await runCli(
      [
        'report',
        ...gateArgs,
        '--status',
        'succeeded',
        '--link',
        'https://ci.example.com/runs/42',
        '--idempotency-key',
        'gh-42-1',
      ],
      {
        recordDeployment: [
          { status: 201, body: { deployment, replayed: false } },
        ],
      },
    );
    expect(full.problems).toEqual([]);
    expect(full.code).toBe(0);
    expect(JSON.parse(full.requests[0].body!)).toEqual({
      environment: 'production',
      version: '1.4.0',
      status: 'succeeded',
      link: 'https://ci.example.com/runs/42',
      idempotencyKey: 'gh-42-1',
    });
    expect(full.err.join('\n')).toContain('recorded as a violation');

    const minimal = await runCli(
      ['report', ...gateArgs, '--status', 'failed'],
      {
        recordDeployment: [
          {
            status: 200,
            body: {
              deployment: {
                ...deployment,
                status: 'failed',
                link: undefined,
                idempotencyKey: undefined,
                violation: false,
                unmetConditions: [],
              },
              replayed: true,
            },
          },
        ],
      },
    );
    expect(minimal.problems).toEqual([]);
    expect(minimal.code).toBe(0);
    expect(JSON.parse(minimal.requests[0].body!)).toEqual({
      environment: 'production',
      version: '1.4.0',
      status: 'failed',
    });
  });

  it('rollback records a rollback with every option and with none', async () => {
    const full = await runCli(
      [
        'rollback',
        '--flow',
        ENTITY_REF,
        '--environment',
        'production',
        '--reason',
        'Error rate doubled',
        '--from-version',
        '1.4.0',
        '--to-version',
        '1.3.2',
        '--incident-link',
        'https://incidents.example.com/INC-7',
      ],
      { recordRollback: [{ status: 201, body: rollbackResult }] },
    );
    expect(full.problems).toEqual([]);
    expect(full.code).toBe(0);
    expect(JSON.parse(full.requests[0].body!)).toEqual({
      environment: 'production',
      reason: 'Error rate doubled',
      fromVersion: '1.4.0',
      toVersion: '1.3.2',
      incidentLink: 'https://incidents.example.com/INC-7',
    });

    const minimal = await runCli(
      [
        'rollback',
        '--flow',
        ENTITY_REF,
        '--environment',
        'production',
        '--reason',
        'Error rate doubled',
      ],
      {
        recordRollback: [
          {
            status: 201,
            body: {
              ...rollbackResult,
              toVersion: undefined,
              incidentLink: undefined,
              revokedStandingApprovals: [],
              incidentReportRequested: true,
            },
          },
        ],
      },
    );
    expect(minimal.problems).toEqual([]);
    expect(minimal.code).toBe(0);
  });

  it('attest completes a validation or a post-deployment checklist item with its evidence', async () => {
    const attestation = {
      id: '1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d',
      entityRef: ENTITY_REF,
      environmentId: 'test',
      kind: 'validation',
      itemId: 'tests-passing',
      version: '1.4.0',
      completedBy: 'service:pipeline',
      completedAt: NOW,
      evidenceLink: 'https://ci.example.com/runs/42/report',
      result: 'All tests passing — 1,284 passed',
    };
    const full = await runCli(
      [
        'attest',
        '--flow',
        ENTITY_REF,
        '--environment',
        'test',
        '--version',
        '1.4.0',
        '--item',
        'tests-passing',
        '--evidence',
        'https://ci.example.com/runs/42/report',
        '--result',
        'All tests passing — 1,284 passed',
      ],
      { completeChecklistItem: [{ status: 201, body: attestation }] },
    );
    expect(full.problems).toEqual([]);
    expect(full.code).toBe(0);
    expect(full.requests[0].match?.pathParams).toMatchObject({
      environment: 'test',
      itemId: 'tests-passing',
    });
    expect(JSON.parse(full.requests[0].body!)).toEqual({
      version: '1.4.0',
      evidenceLink: 'https://ci.example.com/runs/42/report',
      result: 'All tests passing — 1,284 passed',
    });

    const postDeployment = await runCli(
      [
        'attest',
        '--flow',
        ENTITY_REF,
        '--environment',
        'production',
        '--version',
        '1.4.0',
        '--item',
        'uptime-green',
        '--post-deployment',
        '--evidence',
        'https://status.example.com/file-router',
      ],
      {
        completePostDeploymentItem: [
          {
            status: 201,
            body: {
              ...attestation,
              environmentId: 'production',
              kind: 'post-deployment',
              itemId: 'uptime-green',
              evidenceLink: 'https://status.example.com/file-router',
              result: undefined,
            },
          },
        ],
      },
    );
    expect(postDeployment.problems).toEqual([]);
    expect(postDeployment.code).toBe(0);
    expect(postDeployment.operations).toEqual(['completePostDeploymentItem']);
  });

  it('finds requests and answers that do not match the document', async () => {
    const recorder = recordingFetch({
      recordDeployment: [{ status: 201, body: { deployment: {} } }],
    });
    await recorder.fetch(
      `${BACKEND}/api/promotion/flows/default/component/file-router/deployments`,
      {
        method: 'POST',
        headers: {
          Authorization: `Bearer ${TOKEN}`,
          'Content-Type': 'application/json',
        },
        body: JSON.stringify({
          environment: 'production',
          version: '1.4.0',
          status: 'done',
          idempotency_key: 'k',
        }),
      },
    );
    await recorder.fetch(
      `${BACKEND}/api/promotion/flows/default/component/file-router/gate?environment=production&v=1`,
      { headers: { Authorization: `Bearer ${TOKEN}` } },
    );
    await recorder.fetch(`${BACKEND}/api/promotion/requests/r1`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    await recorder.fetch(`${BACKEND}/api/promotion/inbox`, {
      headers: { Authorization: `Bearer ${TOKEN}` },
    });
    await recorder.fetch(`${BACKEND}/api/promotion/flows/default/component`);
    const problems = [
      ...recorder.problems,
      ...recorder.requests.flatMap(checkRequest),
    ].join('\n');
    expect(problems).toMatch(
      /canned 201 answer of recordDeployment is invalid/,
    );
    expect(problems).toMatch(/deployments: body \/status must be equal to one/);
    expect(problems).toMatch(
      /body field idempotency_key is not in the document/,
    );
    expect(problems).toMatch(/required query version missing/);
    expect(problems).toMatch(/undeclared query parameter v/);
    expect(problems).toMatch(/path id="r1": .*must match format "uuid"/);
    expect(problems).toMatch(/getInbox is not open to pipeline tokens/);
    expect(problems).toMatch(/component: no operation of the document/);
  });
});
