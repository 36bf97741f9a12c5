import request from 'supertest';
import {
  noneHeader,
  PROMOTION_CONFIG,
  Recordings,
  serviceHeader,
  startPromotionBackend,
  userHeader,
  USERS,
} from './service/__testUtils__/promotionTestBackend';
import { testClock as clock } from './service/__testUtils__/testClock';

// Each test starts a whole backend on a database; give it room on a busy
// machine.
jest.setTimeout(120_000);

const BASE = '/api/promotion';
const FLOW = `${BASE}/flows/default/component/payments-sftp`;

afterEach(() => {
  jest.useRealTimers();
});

function task(recordings: Recordings, id: string) {
  const found = recordings.tasks.find(t => t.id === id);
  if (!found) {
    throw new Error(`No task ${id} was scheduled`);
  }
  return found;
}

const run = (scheduled: Recordings['tasks'][number]) =>
  scheduled.fn(new AbortController().signal);

/**
 * 1.0.0 of the flow deployed to Dev and Test, Test validated and signed off:
 * it has passed every environment before Production, so it may be requested
 * there.
 */
async function readyForProduction(server: Parameters<typeof request>[0]) {
  for (const environment of ['dev', 'test']) {
    await request(server)
      .post(`${FLOW}/deployments`)
      .set('Authorization', serviceHeader())
      .send({ environment, version: '1.0.0', status: 'succeeded' })
      .expect(201);
  }
  await request(server)
    .post(`${FLOW}/environments/test/checklist/e2e`)
    .set('Authorization', userHeader(USERS.alice))
    .send({ version: '1.0.0', evidenceLink: 'https://ci.example.com/e2e/1' })
    .expect(201);
  await request(server)
    .post(`${FLOW}/environments/test/sign-offs`)
    .set('Authorization', userHeader(USERS.carol))
    .send({ version: '1.0.0', comment: 'Test results confirmed' })
    .expect(201);
}

describe('promotionPlugin', () => {
  describe('started with the standard configuration', () => {
    let server: Parameters<typeof request>[0];

    beforeAll(async () => {
      ({ server } = await startPromotionBackend());
    });

    it('serves /health without credentials', async () => {
      const res = await request(server)
        .get(`${BASE}/health`)
        .set('Authorization', noneHeader());
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ status: 'ok' });
    });

    it('serves the OpenAPI 3.1 document without credentials', async () => {
      const res = await request(server)
        .get(`${BASE}/openapi.json`)
        .set('Authorization', noneHeader());
      expect(res.status).toBe(200);
      expect(res.body.openapi).toBe('3.1.0');
      expect(Object.keys(res.body.paths)).toEqual(
        expect.arrayContaining([
          '/health',
          '/flows/{namespace}/{kind}/{name}',
          '/flows/{namespace}/{kind}/{name}/gate',
          '/flows/{namespace}/{kind}/{name}/deployments',
          '/flows/{namespace}/{kind}/{name}/environments/{environment}/checklist/{itemId}',
          '/requests/{id}/decisions',
          '/inbox',
          '/audit/export',
          '/reports/verification',
        ]),
      );
      expect(res.body.components.securitySchemes.bearerAuth).toMatchObject({
        type: 'http',
        scheme: 'bearer',
      });
      // The request body is the very schema the router validates with.
      expect(res.body.components.schemas.RecordDeploymentRequest).toMatchObject(
        {
          type: 'object',
          required: ['environment', 'version', 'status'],
          properties: {
            status: { enum: ['succeeded', 'failed'] },
            version: { minLength: 1, maxLength: 100 },
          },
        },
      );
      const gate = res.body.paths['/flows/{namespace}/{kind}/{name}/gate'].get;
      expect(gate.parameters).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            name: 'version',
            in: 'query',
            required: true,
          }),
        ]),
      );
      expect(gate.responses['200'].content['application/json'].schema).toEqual({
        $ref: '#/components/schemas/GateResult',
      });
    });

    it('refuses callers without credentials', async () => {
      for (const path of [FLOW, `${BASE}/inbox`, `${BASE}/audit/verify`]) {
        const res = await request(server)
          .get(path)
          .set('Authorization', noneHeader());
        expect(res.status).toBe(401);
      }
      const res = await request(server)
        .post(`${FLOW}/deployments`)
        .set('Authorization', noneHeader())
        .send({ environment: 'dev', version: '1', status: 'succeeded' });
      expect(res.status).toBe(401);
    });

    it('lets pipelines use the pipeline routes only', async () => {
      let res = await request(server)
        .get(`${FLOW}/gate?environment=dev&version=1.0.0`)
        .set('Authorization', serviceHeader());
      expect(res.status).toBe(200);
      res = await request(server)
        .post(`${FLOW}/requests`)
        .set('Authorization', serviceHeader())
        .send({});
      expect(res.status).toBe(403);
      res = await request(server)
        .get(`${BASE}/inbox`)
        .set('Authorization', serviceHeader());
      expect(res.status).toBe(403);
    });

    it('answers bad input with 400 naming the field, never 500', async () => {
      const post = (body: unknown) =>
        request(server)
          .post(`${FLOW}/deployments`)
          .set('Authorization', serviceHeader())
          .send(body as object);

      let res = await post({ environment: 'dev', status: 'bogus' });
      expect(res.status).toBe(400);
      expect(res.body.error.name).toBe('InputError');
      expect(res.body.error.message).toContain('body.version: Required');
      expect(res.body.error.message).toContain('body.status: Invalid option');

      res = await post({
        environment: 'dev',
        version: 'x'.repeat(101),
        status: 'succeeded',
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('body.version');

      res = await post({
        environment: 'dev',
        version: '1',
        status: 'succeeded',
        link: 'ftp://files.example.com/run/1',
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('body.link');

      res = await post({
        environment: 'nowhere',
        version: '1',
        status: 'succeeded',
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('unknown environment "nowhere"');

      res = await request(server)
        .post(`${FLOW}/deployments`)
        .set('Authorization', serviceHeader())
        .set('Content-Type', 'application/json')
        .send('{"environment":');
      expect(res.status).toBe(400);

      res = await request(server)
        .get(`${FLOW}/gate?environment=dev`)
        .set('Authorization', serviceHeader());
      expect(res.status).toBe(400);
      expect(res.body.error.message).toBe('query.version: Required');

      res = await request(server)
        .get(`${FLOW}/events?limit=0`)
        .set('Authorization', userHeader(USERS.alice));
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('query.limit');

      res = await request(server)
        .get(`${BASE}/requests/not-an-id`)
        .set('Authorization', userHeader(USERS.alice));
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('path.id');

      res = await request(server)
        .post(`${FLOW}/requests`)
        .set('Authorization', userHeader(USERS.alice))
        .send({ environment: 'prod', version: '1', dossier: { why: 'x' } });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(
        'body.dossier.whatChanged: Required',
      );
    });

    it('finds flows through the catalog and their policy annotation', async () => {
      const get = (name: string) =>
        request(server)
          .get(`${BASE}/flows/default/component/${name}`)
          .set('Authorization', userHeader(USERS.alice));

      let res = await get('does-not-exist');
      expect(res.status).toBe(404);
      expect(res.body.error.name).toBe('NotFoundError');

      res = await get('no-annotation');
      expect(res.status).toBe(404);
      expect(res.body.error.message).toContain(
        'add the annotation promotion.io/policy',
      );

      res = await get('odd-policy');
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('"nonexistent"');

      res = await get('payments-sftp');
      expect(res.status).toBe(200);
      expect(res.body.policy.name).toBe('standard');

      res = await request(server)
        .get(`${BASE}/requests/00000000-0000-4000-8000-000000000000`)
        .set('Authorization', userHeader(USERS.alice));
      expect(res.status).toBe(404);
    });

    it('authorizes every change with the permission framework', async () => {
      let res = await request(server)
        .post(`${FLOW}/deployments`)
        .set('Authorization', userHeader(USERS.gary))
        .send({ environment: 'dev', version: '1.0.0', status: 'succeeded' });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain('record deployments');

      res = await request(server)
        .get(FLOW)
        .set('Authorization', userHeader(USERS.gary));
      expect(res.status).toBe(200);

      res = await request(server)
        .get(`${FLOW}/permissions`)
        .set('Authorization', userHeader(USERS.gary));
      expect(res.status).toBe(200);
      expect(res.body.recordDeployment).toEqual({
        allowed: false,
        reason: expect.stringContaining('does not allow you'),
      });
      expect(res.body.readAudit.allowed).toBe(false);

      res = await request(server)
        .get(`${FLOW}/permissions`)
        .set('Authorization', userHeader(USERS.alice));
      expect(res.body.recordDeployment).toEqual({ allowed: true });
      expect(res.body.approve).toEqual({
        allowed: false,
        reason: expect.stringContaining('not an approver for Production'),
      });

      res = await request(server)
        .get(`${FLOW}/permissions`)
        .set('Authorization', userHeader(USERS.dave));
      expect(res.body.approve).toEqual({ allowed: true });
      expect(res.body.readAudit).toEqual({ allowed: true });
    });
  });

  it('keeps working when notifications cannot be delivered', async () => {
    const { server } = await startPromotionBackend({
      failNotifications: true,
    });
    await readyForProduction(server);
    const res = await request(server)
      .post(`${FLOW}/requests`)
      .set('Authorization', userHeader(USERS.alice))
      .send({
        environment: 'prod',
        version: '1.0.0',
        dossier: { whatChanged: 'A', why: 'B' },
      });
    expect(res.status).toBe(201);
    expect(res.body.dossier).toEqual({
      whatChanged: 'A',
      why: 'B',
      testResults: '',
      releaseNotes: '',
    });
  });

  it('expires overdue requests in a task scheduled once across replicas', async () => {
    const config = JSON.parse(JSON.stringify(PROMOTION_CONFIG));
    config.requestExpiry = { seconds: 1 };
    config.reminderInterval = { seconds: 1 };
    const { server, recordings } = await startPromotionBackend({ config });
    clock.stop();
    expect(recordings.tasks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: 'promotion-expire-requests',
          frequency: { minutes: 1 },
          timeout: { minutes: 1 },
          scope: 'global',
        }),
      ]),
    );
    const expire = task(recordings, 'promotion-expire-requests');

    await readyForProduction(server);
    const created = await request(server)
      .post(`${FLOW}/requests`)
      .set('Authorization', userHeader(USERS.alice))
      .send({
        environment: 'prod',
        version: '1.0.0',
        dossier: { whatChanged: 'A', why: 'B' },
      })
      .expect(201);

    clock.advance(1100);
    await run(expire);

    const res = await request(server)
      .get(`${BASE}/requests/${created.body.id}`)
      .set('Authorization', userHeader(USERS.alice));
    expect(res.body.status).toBe('expired');
    expect(recordings.auditorEvents.map(e => e.eventId)).toContain(
      'request.expired',
    );
    const inbox = await request(server)
      .get(`${BASE}/inbox`)
      .set('Authorization', userHeader(USERS.dave));
    expect(inbox.body.items).toEqual([]);

    // The requester is told, once.
    const expiredNotifications = recordings.notifications.filter(
      n => n.payload.scope === `promotion-request-expired:${created.body.id}`,
    );
    expect(expiredNotifications).toEqual([
      {
        recipients: { type: 'entity', entityRef: USERS.alice },
        payload: expect.objectContaining({
          title: 'Promotion request expired: payments-sftp 1.0.0 to Production',
          link: '/catalog/default/component/payments-sftp/promotion',
        }),
      },
    ]);
    await run(expire);
    expect(
      recordings.notifications.filter(
        n => n.payload.scope === `promotion-request-expired:${created.body.id}`,
      ),
    ).toHaveLength(1);
    // Due for a reminder too, but an expired request is no longer reminded of.
    await run(task(recordings, 'promotion-remind-approvers'));
    expect(
      recordings.notifications.filter(n =>
        n.payload.title.startsWith('Reminder: '),
      ),
    ).toEqual([]);
  });

  it("keeps the flows' entities fresh in a task of each instance, every half time to live: a flow read since costs no catalog lookup", async () => {
    const { server, recordings } = await startPromotionBackend();
    expect(recordings.tasks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          id: 'promotion-refresh-flow-entities',
          frequency: { milliseconds: 30_000 },
          scope: 'local',
        }),
      ]),
    );
    const lookups = (name: string) =>
      recordings.catalogCalls.filter(
        call =>
          call.method === 'getEntitiesByRefs' &&
          JSON.stringify(call.request).includes(`component:default/${name}`),
      );
    const read = async (name: string) => {
      const flow = `${BASE}/flows/default/component/${name}`;
      await request(server)
        .get(`${flow}/gate?environment=dev&version=1.0.0`)
        .set('Authorization', serviceHeader())
        .expect(200);
      await request(server)
        .get(flow)
        .set('Authorization', userHeader(USERS.alice))
        .expect(200);
    };

    // Before the task: the flow is looked up in the catalog.
    await read('payments-sftp');
    expect(lookups('payments-sftp')).toHaveLength(1);

    await run(task(recordings, 'promotion-refresh-flow-entities'));
    expect(
      recordings.catalogCalls.filter(call => call.method === 'queryEntities'),
    ).toHaveLength(1);
    await read('ledger');
    await read('billing');
    expect(lookups('ledger')).toEqual([]);
    expect(lookups('billing')).toEqual([]);
  });

  describe('reminders', () => {
    const remindConfig = () => {
      const config = JSON.parse(JSON.stringify(PROMOTION_CONFIG));
      config.reminderInterval = { seconds: 1 };
      return config;
    };

    async function requestProduction(server: Parameters<typeof request>[0]) {
      await readyForProduction(server);
      const created = await request(server)
        .post(`${FLOW}/requests`)
        .set('Authorization', userHeader(USERS.alice))
        .send({
          environment: 'prod',
          version: '1.0.0',
          dossier: { whatChanged: 'Retries', why: 'Timeouts' },
        })
        .expect(201);
      return created.body;
    }

    it('reminds the approvers of a pending request once per interval, in a task scheduled once across replicas', async () => {
      const { server, recordings } = await startPromotionBackend({
        config: remindConfig(),
      });
      clock.stop();
      expect(recordings.tasks).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            id: 'promotion-remind-approvers',
            frequency: { minutes: 1 },
            timeout: { minutes: 5 },
            scope: 'global',
          }),
        ]),
      );
      const remind = task(recordings, 'promotion-remind-approvers');
      const created = await requestProduction(server);
      // A reminder raises the approvers' notification of the request again.
      const reminders = () =>
        recordings.notifications.filter(
          n =>
            n.payload.scope === `promotion-request:${created.id}` &&
            n.payload.title.startsWith('Reminder: '),
        );

      // Not yet: the request is younger than the interval.
      await run(remind);
      expect(reminders()).toEqual([]);

      clock.advance(1100);
      await run(remind);
      expect(reminders()).toEqual([
        {
          recipients: {
            type: 'entity',
            entityRef: ['group:default/directors'],
            excludeEntityRef: USERS.alice,
          },
          payload: expect.objectContaining({
            title: expect.stringMatching(
              /^Reminder: payments-sftp 1\.0\.0 into Production is waiting for your approval since \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC$/,
            ),
            link: '/catalog/default/component/payments-sftp/promotion',
            topic: 'promotion-request',
          }),
        },
      ]);
      // Once per interval: running again at once reminds nobody.
      await run(remind);
      expect(reminders()).toHaveLength(1);

      clock.advance(1100);
      await run(remind);
      expect(reminders()).toHaveLength(2);
      expect(
        recordings.auditorEvents.filter(e => e.eventId === 'request.reminded'),
      ).toHaveLength(2);

      // Decided: no more reminders.
      await request(server)
        .post(`${BASE}/requests/${created.id}/decisions`)
        .set('Authorization', userHeader(USERS.dave))
        .send({ decision: 'approve', comment: 'Go' })
        .expect(200)
        .expect(res => expect(res.body.status).toBe('approved'));
      clock.advance(1100);
      await run(remind);
      expect(reminders()).toHaveLength(2);
    });

    it('records the reminder when the notifications backend is down', async () => {
      const { server, recordings } = await startPromotionBackend({
        config: remindConfig(),
        failNotifications: true,
      });
      clock.stop();
      const created = await requestProduction(server);
      clock.advance(1100);
      await run(task(recordings, 'promotion-remind-approvers'));
      const events = await request(server)
        .get(`${FLOW}/events`)
        .set('Authorization', userHeader(USERS.dave));
      expect(events.body.items).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            type: 'request.reminded',
            payload: expect.objectContaining({ requestId: created.id }),
          }),
        ]),
      );
    });
  });

  it('fails to start with a message naming the bad configuration key', async () => {
    const config = JSON.parse(JSON.stringify(PROMOTION_CONFIG));
    config.policies.standard.environments[2].approval.mode = 'sometimes';
    await expect(startPromotionBackend({ config })).rejects.toThrow(
      /promotion\.policies\.standard\.environments\[2\]\.approval\.mode/,
    );
  });
});
