import { setupServer } from 'msw/node';
import { http, HttpResponse } from 'msw';
import { run } from './index';

const BASE = 'http://backstage.test/api/promotion';
const FLOW = `${BASE}/flows/default/component/payments-export`;
const server = setupServer();

beforeAll(() => server.listen({ onUnhandledRequest: 'error' }));
afterEach(() => server.resetHandlers());
afterAll(() => server.close());

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  return {
    io: { out: (l: string) => out.push(l), err: (l: string) => err.push(l) },
    out,
    err,
  };
}

const env = {
  PROMOTION_URL: 'http://backstage.test',
  PROMOTION_TOKEN: 'secret',
};
const gateArgs = [
  '--flow',
  'component:default/payments-export',
  '--environment',
  'production',
  '--version',
  '1.4.0',
];

function closed(
  conditions: Array<{ code: string; message: string; requestId?: string }>,
) {
  return {
    entityRef: 'component:default/payments-export',
    environmentId: 'production',
    version: '1.4.0',
    open: false,
    unmetConditions: conditions,
  };
}

describe('promotion-gate', () => {
  it('check exits 0 when the gate is open and sends the token and query', async () => {
    let seen: Request | undefined;
    server.use(
      http.get(`${FLOW}/gate`, ({ request }) => {
        seen = request;
        return HttpResponse.json({ ...closed([]), open: true });
      }),
    );
    const { io, out } = capture();
    await expect(
      run(['node', 'promotion-gate', 'check', ...gateArgs], { env, io }),
    ).resolves.toBe(0);
    expect(seen!.headers.get('authorization')).toBe('Bearer secret');
    expect(new URL(seen!.url).searchParams.get('environment')).toBe(
      'production',
    );
    expect(new URL(seen!.url).searchParams.get('version')).toBe('1.4.0');
    expect(out[0]).toMatch(/^Gate OPEN/);
  });

  it('check exits 0 when the gate is open by break-glass and says what it overrides', async () => {
    server.use(
      http.get(`${FLOW}/gate`, () =>
        HttpResponse.json({
          ...closed([]),
          open: true,
          approvedBy: 'break-glass',
          breakGlassId: 'bg-1',
          overriddenConditions: [
            { code: 'approval-required', message: 'Production needs approval.' },
          ],
        }),
      ),
    );
    const { io, out } = capture();
    await expect(
      run(['node', 'promotion-gate', 'check', ...gateArgs], { env, io }),
    ).resolves.toBe(0);
    expect(out).toEqual([
      'Gate OPEN by break-glass bg-1: component:default/payments-export version 1.4.0 -> production, once, as an emergency deployment; it overrides:',
      '  - Production needs approval.',
      'The deployment is flagged and opens a retrospective review.',
    ]);
  });

  it('check exits 1 when closed and prints every open condition', async () => {
    server.use(
      http.get(`${FLOW}/gate`, () =>
        HttpResponse.json(
          closed([
            {
              code: 'approval-required',
              message: 'Production needs approval.',
            },
            { code: 'sign-off-missing', message: 'No sign-off.' },
          ]),
        ),
      ),
    );
    const { io, out } = capture();
    await expect(
      run(['node', 'promotion-gate', 'check', ...gateArgs], { env, io }),
    ).resolves.toBe(1);
    expect(out).toEqual([
      expect.stringMatching(/^Gate CLOSED/),
      '  - Production needs approval.',
      '  - No sign-off.',
    ]);
  });

  it('check exits 4 when a freeze window closes the gate and prints the frozen sentence', async () => {
    const freeze = {
      environmentId: 'production',
      reason: 'quarter-end close',
      timeZone: 'Europe/Paris',
      start: '2026-12-26T00:00:00+01:00',
      end: '2026-12-28T06:00:00+01:00',
      active: true,
      message: 'Frozen until Mon 06:00 Europe/Paris: quarter-end close',
    };
    const sentence =
      'Production is frozen until Mon 06:00 Europe/Paris: quarter-end close';
    server.use(
      http.get(`${FLOW}/gate`, () =>
        HttpResponse.json({
          ...closed([{ code: 'frozen', message: sentence }]),
          freeze,
        }),
      ),
    );
    const { io, out } = capture();
    await expect(
      run(['node', 'promotion-gate', 'check', ...gateArgs], { env, io }),
    ).resolves.toBe(4);
    expect(out).toEqual([
      'Gate CLOSED, frozen until 2026-12-28T06:00:00+01:00: component:default/payments-export version 1.4.0 -> production',
      `  - ${sentence}`,
    ]);

    // --json prints the window for a pipeline to read, with the same exit code.
    const json = capture();
    await expect(
      run(['node', 'promotion-gate', 'check', ...gateArgs, '--json'], {
        env,
        io: json.io,
      }),
    ).resolves.toBe(4);
    expect(JSON.parse(json.out.join('\n')).freeze).toEqual(freeze);
  });

  it('exits 2 with a clear message for a wrong token', async () => {
    server.use(
      http.get(`${FLOW}/gate`, () =>
        HttpResponse.json(
          { error: { name: 'AuthenticationError', message: 'Illegal token' } },
          { status: 401 },
        ),
      ),
    );
    const { io, err } = capture();
    await expect(
      run(['node', 'promotion-gate', 'check', ...gateArgs], { env, io }),
    ).resolves.toBe(2);
    expect(err.join('\n')).toMatch(/rejected the token \(401/);
  });

  it('exits 2 naming the flow when it is unknown', async () => {
    server.use(
      http.get(`${FLOW}/gate`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotFoundError',
              message: 'No entity named component:default/payments-export',
            },
          },
          { status: 404 },
        ),
      ),
    );
    const { io, err } = capture();
    await expect(
      run(['node', 'promotion-gate', 'check', ...gateArgs], { env, io }),
    ).resolves.toBe(2);
    expect(err.join('\n')).toMatch(
      /Unknown flow component:default\/payments-export/,
    );
  });

  it('exits 2 with the backend message for an unknown environment', async () => {
    server.use(
      http.get(`${FLOW}/gate`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'InputError',
              message: 'environment: unknown environment "prod"',
            },
          },
          { status: 400 },
        ),
      ),
    );
    const { io, err } = capture();
    await expect(
      run(['node', 'promotion-gate', 'check', ...gateArgs], { env, io }),
    ).resolves.toBe(2);
    expect(err.join('\n')).toMatch(/400.*unknown environment "prod"/);
  });

  it('exits 2 when the backend is unreachable', async () => {
    server.use(http.get('http://127.0.0.1:9/*', () => HttpResponse.error()));
    const { io, err } = capture();
    const code = await run(['node', 'promotion-gate', 'check', ...gateArgs], {
      env: { ...env, PROMOTION_URL: 'http://127.0.0.1:9' },
      io,
    });
    expect(code).toBe(2);
    expect(err.join('\n')).toMatch(
      /Cannot reach the Promotion backend at http:\/\/127\.0\.0\.1:9/,
    );
  });

  it('retries a 503 after its Retry-After, then answers', async () => {
    let calls = 0;
    server.use(
      http.get(`${FLOW}/gate`, () => {
        calls += 1;
        return calls < 3
          ? HttpResponse.json(
              {
                error: {
                  name: 'ServiceUnavailableError',
                  message:
                    'The promotion database is unavailable; try again shortly',
                },
              },
              { status: 503, headers: { 'Retry-After': '2' } },
            )
          : HttpResponse.json({ ...closed([]), open: true });
      }),
    );
    const sleeps: number[] = [];
    const { io } = capture();
    const code = await run(['node', 'promotion-gate', 'check', ...gateArgs], {
      env,
      io,
      sleep: async ms => {
        sleeps.push(ms);
      },
    });
    expect(code).toBe(0);
    expect(sleeps).toEqual([2000, 2000]);
  });

  it('exits 3 when the backend stays unavailable, saying to try again', async () => {
    let calls = 0;
    server.use(
      http.get(`${FLOW}/gate`, () => {
        calls += 1;
        return HttpResponse.json(
          {
            error: {
              name: 'ServiceUnavailableError',
              message:
                'The promotion database is unavailable; try again shortly',
            },
          },
          { status: 503, headers: { 'Retry-After': '5' } },
        );
      }),
    );
    const { io, err } = capture();
    const code = await run(['node', 'promotion-gate', 'check', ...gateArgs], {
      env,
      io,
      sleep: async () => {},
    });
    expect(code).toBe(3);
    expect(calls).toBe(4);
    expect(err.join('\n')).toMatch(
      /unavailable \(503\): The promotion database is unavailable; try again shortly; try again later/,
    );
  });

  it('exits 2 when the token or URL is missing', async () => {
    const { io, err } = capture();
    await expect(
      run(['node', 'promotion-gate', 'check', ...gateArgs], {
        env: { PROMOTION_URL: 'http://backstage.test' },
        io,
      }),
    ).resolves.toBe(2);
    expect(err.join('\n')).toMatch(/--token/);
  });

  it('wait polls until the gate opens', async () => {
    let calls = 0;
    server.use(
      http.get(`${FLOW}/gate`, () => {
        calls += 1;
        return calls < 3
          ? HttpResponse.json(
              closed([
                {
                  code: 'approval-pending',
                  message: 'Waiting for approval.',
                  requestId: 'r1',
                },
              ]),
            )
          : HttpResponse.json({ ...closed([]), open: true });
      }),
    );
    const { io, out } = capture();
    const sleeps: number[] = [];
    const code = await run(
      [
        'node',
        'promotion-gate',
        'wait',
        ...gateArgs,
        '--interval',
        '5s',
        '--timeout',
        '1h',
      ],
      {
        env,
        io,
        sleep: async ms => {
          sleeps.push(ms);
        },
      },
    );
    expect(code).toBe(0);
    expect(calls).toBe(3);
    expect(sleeps).toEqual([5000, 5000]);
    expect(out.at(-1)).toMatch(/^Gate OPEN/);
  });

  it('wait exits 1 when the awaited request is rejected', async () => {
    let calls = 0;
    server.use(
      http.get(`${FLOW}/gate`, () => {
        calls += 1;
        return calls === 1
          ? HttpResponse.json(
              closed([
                {
                  code: 'approval-pending',
                  message: 'Waiting for approval.',
                  requestId: 'r1',
                },
              ]),
            )
          : HttpResponse.json(
              closed([
                { code: 'approval-required', message: 'Needs approval.' },
              ]),
            );
      }),
      http.get(`${BASE}/requests/r1`, () =>
        HttpResponse.json({
          id: 'r1',
          status: 'rejected',
          version: '1.4.0',
          environmentId: 'production',
          decisions: [
            {
              decision: 'reject',
              decidedBy: 'user:default/dana',
              comment: 'Release notes missing',
            },
          ],
        }),
      ),
    );
    const { io, out } = capture();
    const code = await run(
      ['node', 'promotion-gate', 'wait', ...gateArgs, '--interval', '1s'],
      { env, io, sleep: async () => {} },
    );
    expect(code).toBe(1);
    expect(out.at(-1)).toBe(
      'Promotion request r1 was rejected by user:default/dana: Release notes missing',
    );
  });

  it('wait exits 1 after the timeout', async () => {
    server.use(
      http.get(`${FLOW}/gate`, () =>
        HttpResponse.json(
          closed([{ code: 'approval-required', message: 'Needs approval.' }]),
        ),
      ),
    );
    const { io, out } = capture();
    let t = 0;
    const code = await run(
      [
        'node',
        'promotion-gate',
        'wait',
        ...gateArgs,
        '--interval',
        '10s',
        '--timeout',
        '30s',
      ],
      {
        env,
        io,
        sleep: async ms => {
          t += ms;
        },
      },
    );
    expect(code).toBe(1);
    expect(out.at(-1)).toMatch(/^Timed out/);
    expect(t).toBeLessThanOrEqual(30_000);
  });

  it('report posts the deployment and warns about a violation', async () => {
    let body: any;
    server.use(
      http.post(`${FLOW}/deployments`, async ({ request }) => {
        body = await request.json();
        return HttpResponse.json(
          {
            replayed: false,
            deployment: {
              id: 'd1',
              version: '1.4.0',
              environmentId: 'production',
              status: 'succeeded',
              violation: true,
              unmetConditions: [
                {
                  code: 'approval-required',
                  message: 'Production needs approval.',
                },
              ],
            },
          },
          { status: 201 },
        );
      }),
    );
    const { io, out, err } = capture();
    const code = await run(
      [
        'node',
        'promotion-gate',
        'report',
        ...gateArgs,
        '--status',
        'succeeded',
        '--idempotency-key',
        'run-42',
        '--link',
        'https://ci.example.com/run/42',
      ],
      { env, io },
    );
    expect(code).toBe(0);
    expect(body).toEqual({
      environment: 'production',
      version: '1.4.0',
      status: 'succeeded',
      idempotencyKey: 'run-42',
      link: 'https://ci.example.com/run/42',
    });
    expect(out[0]).toMatch(/^Recorded deployment d1/);
    expect(err.join('\n')).toMatch(/violation[\s\S]*Production needs approval/);
  });

  it('report refuses an unknown status before calling the backend', async () => {
    const { io, err } = capture();
    await expect(
      run(
        ['node', 'promotion-gate', 'report', ...gateArgs, '--status', 'maybe'],
        { env, io },
      ),
    ).resolves.toBe(2);
    expect(err.join('\n')).toMatch(/--status/);
  });

  it('rollback posts the rollback and asks for an incident report', async () => {
    let body: any;
    server.use(
      http.post(`${FLOW}/rollbacks`, async ({ request }) => {
        body = await request.json();
        return HttpResponse.json(
          {
            id: 'rb1',
            environmentId: 'production',
            fromVersion: '2.0.0',
            toVersion: '1.4.0',
          },
          { status: 201 },
        );
      }),
    );
    const { io, out, err } = capture();
    const code = await run(
      [
        'node',
        'promotion-gate',
        'rollback',
        '--flow',
        'payments-export',
        '--environment',
        'production',
        '--reason',
        'Errors after deploy',
        '--to-version',
        '1.4.0',
      ],
      { env, io },
    );
    expect(code).toBe(0);
    expect(body).toEqual({
      environment: 'production',
      reason: 'Errors after deploy',
      toVersion: '1.4.0',
    });
    expect(out[0]).toMatch(/Recorded rollback rb1/);
    expect(err.join('\n')).toMatch(/incident report/);
  });

  const attestArgs = [
    'node',
    'promotion-gate',
    'attest',
    '--flow',
    'payments-export',
    '--environment',
    'test',
    '--item',
    'tests-passing',
    '--version',
    '1.4.0',
    '--evidence',
    'https://ci.example.com/runs/7/report',
  ];

  it('attest completes the item with its evidence and result, and exits 0', async () => {
    let body: unknown;
    let seen: Request | undefined;
    server.use(
      http.post(
        `${FLOW}/environments/test/checklist/tests-passing`,
        async ({ request }) => {
          seen = request;
          body = await request.json();
          return HttpResponse.json(
            {
              id: 'c1',
              entityRef: 'component:default/payments-export',
              environmentId: 'test',
              kind: 'validation',
              itemId: 'tests-passing',
              version: '1.4.0',
              completedBy: 'service:pipeline',
              completedAt: '2026-03-02T10:00:00.000Z',
              evidenceLink: 'https://ci.example.com/runs/7/report',
              result: '1,284 passed',
            },
            { status: 201 },
          );
        },
      ),
    );
    const { io, out } = capture();
    const code = await run([...attestArgs, '--result', '1,284 passed'], {
      env,
      io,
    });
    expect(code).toBe(0);
    expect(seen!.headers.get('authorization')).toBe('Bearer secret');
    expect(body).toEqual({
      version: '1.4.0',
      evidenceLink: 'https://ci.example.com/runs/7/report',
      result: '1,284 passed',
    });
    expect(out).toEqual([
      'Attested item tests-passing: component:default/payments-export version 1.4.0 on test, by service:pipeline: 1,284 passed (evidence: https://ci.example.com/runs/7/report)',
    ]);
  });

  it('attest exits 2 with the backend’s sentence when the item is not the pipeline’s', async () => {
    server.use(
      http.post(`${FLOW}/environments/test/checklist/tests-passing`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotAllowedError',
              message:
                '"Tests passing" is completed by people (attestedBy: person): a pipeline cannot attest it',
            },
          },
          { status: 403 },
        ),
      ),
    );
    const { io, err } = capture();
    expect(await run(attestArgs, { env, io })).toBe(2);
    expect(err).toEqual([
      'promotion-gate: The token is not allowed to do this (403 Forbidden): "Tests passing" is completed by people (attestedBy: person): a pipeline cannot attest it',
    ]);
  });

  it('attest needs --evidence and exits 2 without it', async () => {
    const { io, err } = capture();
    expect(await run(attestArgs.slice(0, -2), { env, io })).toBe(2);
    expect(err.join('\n')).toMatch(/--evidence/);
  });

  it('attest sends a post-deployment item to its checklist, and exits 3 while the backend is unavailable', async () => {
    let calls = 0;
    server.use(
      http.post(
        `${FLOW}/environments/test/post-deployment/tests-passing`,
        () => {
          calls++;
          return HttpResponse.json(
            { error: { name: 'ServiceUnavailableError', message: 'down' } },
            { status: 503, headers: { 'Retry-After': '1' } },
          );
        },
      ),
    );
    const { io } = capture();
    expect(
      await run([...attestArgs, '--post-deployment'], {
        env,
        io,
        sleep: async () => {},
      }),
    ).toBe(3);
    expect(calls).toBe(4);
  });
});
