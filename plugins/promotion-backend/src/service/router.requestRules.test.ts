import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
} from '../database/__testUtils__/testDatabases';
import {
  AuditEvent,
  GateCondition,
  PromotionRequest,
} from '@promotion/plugin-promotion-common';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import {
  PROMOTION_CONFIG,
  startPromotionBackend,
  USERS,
} from './__testUtils__/promotionTestBackend';
import {
  BASE,
  bodyOf,
  dossier,
  flowPath,
  promotionApi,
  promotionBackendOn,
  TestServer,
} from './__testUtils__/apiHelpers';

jest.setTimeout(60_000);

/*
 * The rules on requests and sign-offs for versions that never ran, and
 * superseded requests, through the real plugin and database: a request
 * needs the version to have passed every earlier environment, a sign-off
 * needs it deployed in that environment, and a pending request is closed as
 * superseded when its version reaches the environment anyway or a newer
 * version is requested.
 */

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3']);

const DIRECTORS = 'group:default/directors';

/** Everyone a notification goes to, excluded ones aside. */
function recipientsOf(notifications: NotificationSendOptions[]): string[] {
  return notifications.flatMap(n => {
    if (n.recipients.type !== 'entity') {
      return [];
    }
    const excluded = [n.recipients.excludeEntityRef ?? []].flat();
    return [n.recipients.entityRef]
      .flat()
      .filter(ref => !excluded.includes(ref));
  });
}

/** The calls the tests make, on a backend `promotionApi` reaches. */
function steps(api: ReturnType<typeof promotionApi>) {
  const { deploy, check } = api;
  const requestPath = (flow: string) => `${flowPath(flow)}/requests`;
  return {
    /** The developer requests `version` for `environment`; the response is the caller's to check. */
    request: (flow: string, environment: string, version: string) =>
      api
        .api(USERS.alice)
        .post(requestPath(flow), { environment, version, dossier: dossier() }),
    /** carol signs Test off for `version`; the response is the caller's to check. */
    signOff: (flow: string, version: string) =>
      api
        .api(USERS.carol)
        .post(`${flowPath(flow)}/environments/test/sign-offs`, {
          version,
          comment: `Test results of ${version} confirmed`,
        }),
    /** Dev and Test of the standard ladder: deployed, validated, signed off. */
    climbToTest: async (flow: string, version: string) => {
      await deploy(flow, 'dev', version);
      await bodyOf(check(flow, 'dev', 'code-reviewed', { version }));
      await deploy(flow, 'test', version);
      await bodyOf(
        check(flow, 'test', 'e2e', {
          version,
          evidenceLink: `https://ci.example.com/e2e/${version}`,
        }),
      );
      await bodyOf(
        api
          .api(USERS.carol)
          .post(`${flowPath(flow)}/environments/test/sign-offs`, {
            version,
            comment: `Test results of ${version} confirmed`,
          }),
      );
    },
    /** The flow's audit events, oldest first. */
    eventsOf: async (flow: string): Promise<AuditEvent[]> =>
      (
        (
          await bodyOf(
            api.api(USERS.alice).get(`${flowPath(flow)}/events?limit=500`),
            200,
          )
        ).items as AuditEvent[]
      ).sort((a, b) => a.seq - b.seq),
    requestById: (id: string): Promise<PromotionRequest> =>
      bodyOf(api.api(USERS.alice).get(`${BASE}/requests/${id}`), 200),
    /** The whole audit trail and the state rows, verified by the auditor. */
    verify: () => bodyOf(api.api(USERS.ann).get(`${BASE}/audit/verify`), 200),
    /** The requests waiting in the inbox of a director. */
    inboxIds: async (who: string = USERS.dave): Promise<string[]> =>
      (await bodyOf(api.api(who).get(`${BASE}/inbox`), 200)).items.map(
        (i: { request: PromotionRequest }) => i.request.id,
      ),
  };
}

describe.each(databases.eachSupportedId())(
  'Rules on requests and sign-offs on %p',
  databaseId => {
    const backend = promotionBackendOn(databases, databaseId);
    const { started, gate, deploy } = backend;
    const {
      request,
      signOff,
      climbToTest,
      eventsOf,
      requestById,
      verify,
      inboxIds,
    } = steps(backend);
    /** The notifications about one request sent since `count` were recorded. */
    const sentAbout = (requestId: string, count: number) =>
      started.recordings.notifications
        .slice(count)
        .filter(n => n.payload.scope?.includes(requestId));

    it('refuses a request for a version that has not passed the earlier environments, with the gate’s sentences', async () => {
      const flow = 'payments-sftp';
      // Bob's 9.0.0, deployed nowhere.
      let res = await request(flow, 'prod', '9.0.0');
      expect(res.status).toBe(409);
      const ladder = (await gate(flow, 'prod', '9.0.0')).unmetConditions;
      const earlier = ladder.filter(c => c.code !== 'approval-required');
      expect(earlier.map(c => c.code)).toEqual([
        'previous-deployment-missing',
        'previous-deployment-missing',
        'checklist-incomplete',
        'sign-off-missing',
      ]);
      expect(res.body.error.name).toBe('ConflictError');
      expect(res.body.error.unmetConditions).toEqual(earlier);
      expect(res.body.error.message).toBe(
        `Version 9.0.0 cannot be requested for Production before it has passed every earlier environment: ${earlier
          .map(c => c.message)
          .join(' ')}`,
      );
      expect(res.body.error.message).toContain(
        'Version 9.0.0 has not been deployed successfully to Dev.',
      );
      expect(await inboxIds()).toEqual([]);
      expect(
        (await eventsOf(flow)).filter(e => e.type === 'request.created'),
      ).toEqual([]);

      // Deployed to Dev and Test, but Test is neither validated nor signed off.
      await deploy(flow, 'dev', '9.0.0');
      await deploy(flow, 'test', '9.0.0');
      res = await request(flow, 'prod', '9.0.0');
      expect(res.status).toBe(409);
      expect(
        res.body.error.unmetConditions.map((c: GateCondition) => c.code),
      ).toEqual(['checklist-incomplete', 'sign-off-missing']);
      expect(res.body.error.message).toContain(
        'The owner has not signed off Test for version 9.0.0.',
      );

      // Once it has passed Test, only the approval is left: that is what the request is for.
      await climbToTest(flow, '9.1.0');
      res = await request(flow, 'prod', '9.1.0');
      expect(res.status).toBe(201);
      expect(await inboxIds()).toEqual([res.body.id]);
    });

    it('refuses a sign-off of a version that is not deployed in that environment', async () => {
      const flow = 'payments-sftp';
      let res = await signOff(flow, '7.7.7');
      expect(res.status).toBe(409);
      expect(res.body.error.message).toBe(
        'Version 7.7.7 has not been deployed successfully to Test: deploy it there before signing off.',
      );
      // Deployed to Dev is not deployed to Test; a failed deployment is none either.
      await deploy(flow, 'dev', '7.7.7');
      await deploy(flow, 'test', '7.7.7', { status: 'failed' });
      res = await signOff(flow, '7.7.7');
      expect(res.status).toBe(409);
      expect(
        (await eventsOf(flow)).filter(
          e => e.type === 'sign-off.given' && e.version === '7.7.7',
        ),
      ).toEqual([]);

      await deploy(flow, 'test', '7.7.7');
      res = await signOff(flow, '7.7.7');
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        version: '7.7.7',
        signedOffBy: USERS.carol,
      });
    });

    it('supersedes a pending request when its version reaches the environment through the closed gate', async () => {
      const flow = 'ledger';
      await climbToTest(flow, '2.1.0');
      const created = await bodyOf(request(flow, 'prod', '2.1.0'));
      expect(await inboxIds()).toContain(created.id);

      const sentBefore = started.recordings.notifications.length;
      const deployment = await deploy(flow, 'prod', '2.1.0');
      expect(deployment).toMatchObject({ violation: true });

      const superseded = await requestById(created.id);
      expect(superseded).toMatchObject({
        status: 'superseded',
        decidedAt: deployment.reportedAt,
        closedReason: expect.stringMatching(
          /^Version 2\.1\.0 reached Production on \d{1,2} [A-Z][a-z]{2} \d{4}, \d{2}:\d{2} UTC without this request's approval$/,
        ),
      });
      expect(await inboxIds()).not.toContain(created.id);

      // Recorded with the deployment, in its transaction: the next events of the flow.
      const events = await eventsOf(flow);
      const recorded = events.findIndex(
        e =>
          e.type === 'deployment.recorded' &&
          e.payload.deploymentId === deployment.id,
      );
      expect(events[recorded + 1]).toMatchObject({
        type: 'request.superseded',
        version: '2.1.0',
        environmentId: 'prod',
        actor: deployment.reportedBy,
        occurredAt: deployment.reportedAt,
        payload: {
          requestId: created.id,
          status: 'superseded',
          reason: superseded.closedReason,
          deploymentId: deployment.id,
        },
      });
      expect(started.recordings.auditorEvents.map(e => e.eventId)).toContain(
        'request.superseded',
      );

      // The requester and the approvers are told, once each.
      expect(recipientsOf(sentAbout(created.id, sentBefore)).sort()).toEqual(
        [USERS.alice, DIRECTORS].sort(),
      );

      // A request that is over cannot be decided any more.
      const decided = await backend
        .api(USERS.dave)
        .post(`${BASE}/requests/${created.id}/decisions`, {
          decision: 'approve',
          comment: 'Too late',
        });
      expect(decided.status).toBe(409);

      expect(await verify()).toMatchObject({ intact: true, breaks: [] });
    });

    it('supersedes the pending request for an older version when a newer one is requested', async () => {
      const flow = 'billing';
      await deploy(flow, 'dev', '2.1.0');
      await deploy(flow, 'dev', '2.2.0');
      const older: PromotionRequest = await bodyOf(
        request(flow, 'prod', '2.1.0'),
      );
      const sentBefore = started.recordings.notifications.length;
      const newer: PromotionRequest = await bodyOf(
        request(flow, 'prod', '2.2.0'),
      );
      expect(newer.status).toBe('pending');

      expect(await requestById(older.id)).toMatchObject({
        status: 'superseded',
        closedReason: 'Superseded by the request for version 2.2.0',
        decidedAt: newer.createdAt,
      });
      expect(await inboxIds()).toEqual(expect.arrayContaining([newer.id]));
      expect(await inboxIds()).not.toContain(older.id);

      const events = await eventsOf(flow);
      const created = events.findIndex(
        e => e.type === 'request.created' && e.payload.requestId === newer.id,
      );
      expect(events[created + 1]).toMatchObject({
        type: 'request.superseded',
        version: '2.1.0',
        actor: USERS.alice,
        payload: {
          requestId: older.id,
          reason: 'Superseded by the request for version 2.2.0',
          supersedingRequestId: newer.id,
        },
      });

      // The approvers of the older request and its requester are told, once each.
      expect(recipientsOf(sentAbout(older.id, sentBefore)).sort()).toEqual(
        [USERS.dave, USERS.erin, USERS.alice].sort(),
      );
      // The gate waits on the newer request only.
      expect((await gate(flow, 'prod', '2.1.0')).unmetConditions).toEqual([
        expect.objectContaining({ code: 'approval-required' }),
      ]);

      expect(await verify()).toMatchObject({ intact: true, breaks: [] });
    });
  },
);

describe.each(databases.eachSupportedId())(
  'supersedeOlderRequests: false on %p',
  databaseId => {
    let server: TestServer;
    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      ({ server } = await startPromotionBackend({
        knex,
        config: { ...PROMOTION_CONFIG, supersedeOlderRequests: false },
      }));
    }, DATABASE_HOOK_TIMEOUT_MS);
    const backend = promotionApi(() => server);
    const { request, requestById, inboxIds, verify } = steps(backend);

    it('keeps the request for the older version pending next to the newer one', async () => {
      const flow = 'billing';
      await backend.deploy(flow, 'dev', '2.1.0');
      await backend.deploy(flow, 'dev', '2.2.0');
      const older: PromotionRequest = await bodyOf(
        request(flow, 'prod', '2.1.0'),
      );
      const newer: PromotionRequest = await bodyOf(
        request(flow, 'prod', '2.2.0'),
      );
      expect(await requestById(older.id)).toMatchObject({
        status: 'pending',
      });
      expect((await requestById(older.id)).closedReason).toBeUndefined();
      expect((await inboxIds()).sort()).toEqual([older.id, newer.id].sort());
      expect(await verify()).toMatchObject({ intact: true, breaks: [] });
    });
  },
);
