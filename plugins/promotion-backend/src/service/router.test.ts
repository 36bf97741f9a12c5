import { createTestDatabases } from '../database/__testUtils__/testDatabases';
import {
  AuditEvent,
  FlowState,
  PromotionRequest,
} from '@promotion/plugin-promotion-common';
import { USERS } from './__testUtils__/promotionTestBackend';
import { testClock } from './__testUtils__/testClock';
import {
  BASE,
  codes,
  dossier,
  flowPath,
  promotionBackendOn,
} from './__testUtils__/apiHelpers';

jest.setTimeout(60_000);

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3']);

describe.each(databases.eachSupportedId())(
  'Promotion API on %p',
  databaseId => {
    const { started, api, pipeline, deploy, gate, check } = promotionBackendOn(
      databases,
      databaseId,
    );

    afterEach(() => jest.useRealTimers());

    it('takes a flow up the ladder: checklists, sign-off, one-time approval, standing approval, rollback', async () => {
      const flow = 'payments-sftp';

      // Dev has no gate: the pipeline deploys 1.0.0.
      const dev1 = await deploy(flow, 'dev', '1.0.0');
      expect(dev1).toMatchObject({
        entityRef: 'component:default/payments-sftp',
        violation: false,
        unmetConditions: [],
        reportedBy: 'service:external:test-service',
      });

      // Test is closed until the Dev checklist is complete.
      let result = await gate(flow, 'test', '1.0.0');
      expect(result.open).toBe(false);
      expect(codes(result)).toEqual(['checklist-incomplete']);
      expect(result.unmetConditions[0].message).toContain(
        'Code reviewed and merged',
      );

      // Version-scoped items need the version, flow-scoped items refuse one.
      let res = await check(flow, 'dev', 'code-reviewed', {});
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('body.version: Required');
      res = await check(flow, 'dev', 'release-notes', { version: '1.0.0' });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('body.version: must be absent');
      res = await check(flow, 'dev', 'no-such-item', { version: '1.0.0' });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('no-such-item');

      res = await check(flow, 'dev', 'code-reviewed', {
        version: '1.0.0',
        evidenceLink: 'https://git.example.com/pr/42',
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        itemId: 'code-reviewed',
        version: '1.0.0',
        completedBy: USERS.alice,
      });
      res = await check(flow, 'dev', 'release-notes', { note: 'In the wiki' });
      expect(res.status).toBe(201);
      expect(res.body.version).toBeUndefined();

      result = await gate(flow, 'test', '1.0.0');
      expect(result).toMatchObject({ open: true, unmetConditions: [] });
      await deploy(flow, 'test', '1.0.0');

      // Production: the Test checklist, the sign-off and the approval are missing.
      result = await gate(flow, 'prod', '1.0.0');
      expect(codes(result)).toEqual([
        'checklist-incomplete',
        'sign-off-missing',
        'approval-required',
      ]);

      res = await check(flow, 'test', 'e2e', { version: '1.0.0' });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('body.evidenceLink');
      res = await check(flow, 'test', 'e2e', {
        version: '1.0.0',
        evidenceLink: 'ftp://ci.example.com/run/1',
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('body.evidenceLink');
      res = await check(flow, 'test', 'e2e', {
        version: '1.0.0',
        evidenceLink: 'https://ci.example.com/run/1',
      });
      expect(res.status).toBe(201);

      res = await api(USERS.carol).post(
        `${flowPath(flow)}/environments/test/sign-offs`,
        { version: '1.0.0' },
      );
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('body.comment: Required');
      res = await api(USERS.carol).post(
        `${flowPath(flow)}/environments/test/sign-offs`,
        { version: '1.0.0', comment: 'Results confirmed with the bank' },
      );
      expect(res.status).toBe(201);
      expect(res.body.signedOffBy).toBe(USERS.carol);

      // Only the approval is left.
      result = await gate(flow, 'prod', '1.0.0');
      expect(codes(result)).toEqual(['approval-required']);

      // The developer requests it; the directors are told.
      const sentBefore = started.recordings.notifications.length;
      res = await api(USERS.alice).post(`${flowPath(flow)}/requests`, {
        environment: 'prod',
        version: '1.0.0',
        dossier: dossier(),
      });
      expect(res.status).toBe(201);
      const promotion: PromotionRequest = res.body;
      expect(promotion).toMatchObject({
        status: 'pending',
        requestedBy: USERS.alice,
      });
      expect(
        Date.parse(promotion.expiresAt) - Date.parse(promotion.createdAt),
      ).toBeGreaterThan(13 * 24 * 3600 * 1000);
      expect(started.recordings.notifications.slice(sentBefore)).toEqual([
        expect.objectContaining({
          recipients: expect.objectContaining({
            type: 'entity',
            entityRef: ['group:default/directors'],
          }),
        }),
      ]);
      expect(started.recordings.signals).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ channel: 'promotion:inbox' }),
          expect.objectContaining({
            channel: 'promotion:component:default/payments-sftp',
            message: { entityRef: 'component:default/payments-sftp' },
          }),
        ]),
      );

      // A second pending request for the same version is a conflict.
      res = await api(USERS.alice).post(`${flowPath(flow)}/requests`, {
        environment: 'prod',
        version: '1.0.0',
        dossier: dossier(),
      });
      expect(res.status).toBe(409);

      result = await gate(flow, 'prod', '1.0.0');
      expect(result.unmetConditions).toEqual([
        expect.objectContaining({
          code: 'approval-pending',
          requestId: promotion.id,
        }),
      ]);

      // A waiting pipeline reads the request's status with its token.
      res = await pipeline().get(`${BASE}/requests/${promotion.id}`);
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('pending');

      // The director sees it in the inbox; the developer does not.
      res = await api(USERS.dave).get(`${BASE}/inbox`);
      expect(res.status).toBe(200);
      expect(res.body.items).toEqual([
        expect.objectContaining({
          request: expect.objectContaining({ id: promotion.id }),
          environmentTitle: 'Production',
          approvals: 0,
          requiredApprovals: 1,
        }),
      ]);
      res = await api(USERS.alice).get(`${BASE}/inbox`);
      expect(res.body.items).toEqual([]);

      // The requester may not approve: told first that it is their own request.
      res = await api(USERS.alice).post(
        `${BASE}/requests/${promotion.id}/decisions`,
        { decision: 'approve', comment: 'Looks good to me' },
      );
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(
        'You requested this promotion, so you cannot approve it',
      );
      // Someone else who is no approver is told so.
      res = await api(USERS.carol).post(
        `${BASE}/requests/${promotion.id}/decisions`,
        { decision: 'approve', comment: 'Looks good to me' },
      );
      expect(res.status).toBe(403);
      expect(res.body.error.message).not.toContain('You requested');

      // The director approves with a written comment.
      res = await api(USERS.dave).post(
        `${BASE}/requests/${promotion.id}/decisions`,
        { decision: 'approve' },
      );
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('body.comment: Required');
      const decisionsSentBefore = started.recordings.notifications.length;
      res = await api(USERS.dave).post(
        `${BASE}/requests/${promotion.id}/decisions`,
        {
          decision: 'approve',
          comment: 'Validated on Test, approved for Production',
          dossierHash: promotion.dossierHash,
        },
      );
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('approved');
      expect(
        started.recordings.notifications.slice(decisionsSentBefore),
      ).toEqual([
        expect.objectContaining({
          recipients: expect.objectContaining({
            entityRef: [USERS.alice, 'group:default/team-payments'],
          }),
        }),
        // The approvers' "Approval requested" is replaced by the outcome.
        {
          recipients: {
            type: 'entity',
            entityRef: ['group:default/directors'],
            excludeEntityRef: USERS.alice,
          },
          payload: expect.objectContaining({
            title:
              'Decided: payments-sftp 1.0.0 into Production was approved by director-dave',
            scope: `promotion-request:${promotion.id}`,
          }),
        },
      ]);

      result = await gate(flow, 'prod', '1.0.0');
      expect(result).toMatchObject({
        open: true,
        approvedBy: 'standing-approval',
      });
      const prod1 = await deploy(flow, 'prod', '1.0.0');
      expect(prod1.violation).toBe(false);

      // Post-deployment: the log watch waits 15 minutes, uptime does not.
      res = await api(USERS.alice).post(
        `${flowPath(flow)}/environments/prod/post-deployment/monitor-logs`,
        { version: '1.0.0' },
      );
      expect(res.status).toBe(409);
      expect(res.body.error.message).toMatch(/remaining/);
      res = await api(USERS.alice).post(
        `${flowPath(flow)}/environments/prod/post-deployment/uptime-green`,
        { version: '1.0.0' },
      );
      expect(res.status).toBe(201);
      res = await api(USERS.alice).post(
        `${flowPath(flow)}/environments/prod/post-deployment/uptime-green`,
        { version: '9.9.9' },
      );
      expect(res.status).toBe(409);
      // The next version may enter Production once 1.0.0's checklist is
      // complete: 15 minutes later, the log watch.
      testClock.stop();
      testClock.advance(15 * 60_000);
      res = await api(USERS.alice).post(
        `${flowPath(flow)}/environments/prod/post-deployment/monitor-logs`,
        { version: '1.0.0' },
      );
      expect(res.status).toBe(201);

      // 2.0.0 climbs without a request: the standing approval covers it.
      await deploy(flow, 'dev', '2.0.0');
      expect(
        (await check(flow, 'dev', 'code-reviewed', { version: '2.0.0' }))
          .status,
      ).toBe(201);
      await deploy(flow, 'test', '2.0.0');
      expect(
        (
          await check(flow, 'test', 'e2e', {
            version: '2.0.0',
            evidenceLink: 'https://ci.example.com/run/2',
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await api(USERS.carol).post(
            `${flowPath(flow)}/environments/test/sign-offs`,
            { version: '2.0.0', comment: 'Confirmed' },
          )
        ).status,
      ).toBe(201);
      result = await gate(flow, 'prod', '2.0.0');
      expect(result).toMatchObject({
        open: true,
        approvedBy: 'standing-approval',
      });
      expect((await deploy(flow, 'prod', '2.0.0')).violation).toBe(false);

      // A rollback goes back to 1.0.0, revokes the standing approval and tells the approvers.
      const rollbackSentBefore = started.recordings.notifications.length;
      res = await pipeline().post(`${flowPath(flow)}/rollbacks`, {
        environment: 'prod',
        reason: 'Transfers failing',
      });
      expect(res.status).toBe(201);
      expect(res.body).toMatchObject({
        fromVersion: '2.0.0',
        toVersion: '1.0.0',
        incidentReportRequested: true,
        revokedStandingApprovals: [
          expect.objectContaining({ environmentId: 'prod' }),
        ],
      });
      expect(
        started.recordings.notifications.slice(rollbackSentBefore),
      ).toEqual([
        expect.objectContaining({
          recipients: expect.objectContaining({
            entityRef: ['group:default/directors'],
          }),
          payload: expect.objectContaining({ severity: 'critical' }),
        }),
      ]);

      // The flow re-enters the process from the top.
      result = await gate(flow, 'prod', '2.0.0');
      expect(result.open).toBe(false);
      expect(codes(result)).toEqual(['approval-revoked']);

      res = await pipeline().get(flowPath(flow));
      expect(res.status).toBe(200);
      const state: FlowState = res.body;
      expect(state.environments.map(e => e.currentVersion)).toEqual([
        '2.0.0',
        '2.0.0',
        '1.0.0',
      ]);
      expect(state.environments[2].standingApproval?.revokedAt).toBeDefined();
      expect(state.rollbacks).toHaveLength(1);

      // The flow's history, newest first.
      res = await api(USERS.alice).get(`${flowPath(flow)}/events?limit=5`);
      expect(res.status).toBe(200);
      expect(res.body.items).toHaveLength(5);
      expect(res.body.nextCursor).toBeDefined();
      expect(res.body.items[0].seq).toBeGreaterThan(res.body.items[4].seq);

      // Nothing left to roll back on an empty environment.
      res = await pipeline().post(`${flowPath('ledger')}/rollbacks`, {
        environment: 'prod',
        reason: 'Nothing there',
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('Nothing is deployed');
    });

    it('replays an idempotent deployment and refuses a conflicting one', async () => {
      const body = {
        environment: 'dev',
        version: '5.0.0',
        status: 'succeeded',
        idempotencyKey: 'run-5',
      };
      const first = await pipeline().post(
        `${flowPath('ledger')}/deployments`,
        body,
      );
      expect(first.status).toBe(201);
      const again = await pipeline().post(
        `${flowPath('ledger')}/deployments`,
        body,
      );
      expect(again.status).toBe(200);
      expect(again.body).toMatchObject({
        replayed: true,
        deployment: { id: first.body.deployment.id },
      });
      const conflicting = await pipeline().post(
        `${flowPath('ledger')}/deployments`,
        { ...body, status: 'failed' },
      );
      expect(conflicting.status).toBe(409);
    });

    it('exports, lists and verifies the audit trail; sends each committed event to the auditor once', async () => {
      const csv = await api(USERS.ann).get(`${BASE}/audit/export?format=csv`);
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      expect(csv.headers['content-disposition']).toContain('attachment');
      const csvLines = csv.text.trim().split('\n');
      expect(csvLines[0]).toBe(
        'seq,id,type,occurredAt,actor,entityRef,environmentId,version,summary,payload,previousHash,hash',
      );

      const ndjson = await api(USERS.ann).get(
        `${BASE}/audit/export?format=ndjson`,
      );
      expect(ndjson.status).toBe(200);
      expect(ndjson.headers['content-type']).toMatch(/^application\/x-ndjson/);
      const events: AuditEvent[] = ndjson.text
        .trim()
        .split('\n')
        .map(line => JSON.parse(line));
      expect(events.length).toBeGreaterThan(20);
      expect(events.map(e => e.seq)).toEqual(events.map((_, i) => i + 1));
      expect(events.map(e => e.type)).toEqual(
        expect.arrayContaining([
          'deployment.recorded',
          'checklist.completed',
          'sign-off.given',
          'request.created',
          'decision.recorded',
          'standing-approval.granted',
          'rollback.recorded',
        ]),
      );

      // Every committed event went to the auditor service, once; refused changes sent none.
      const sentToAuditor = started.recordings.auditorEvents
        .map(e => [e.meta?.seq, e.eventId])
        .sort((a, b) => Number(a[0]) - Number(b[0]));
      expect(sentToAuditor).toEqual(events.map(e => [e.seq, e.type]));
      expect(started.recordings.auditorEvents[0]).toMatchObject({
        severityLevel: 'medium',
        meta: expect.objectContaining({ seq: 1 }),
      });

      const page = await api(USERS.ann).get(`${BASE}/audit/events?limit=3`);
      expect(page.status).toBe(200);
      expect(page.body.items).toHaveLength(3);
      expect(page.body.items[0].seq).toBe(events.length);

      const verification = await api(USERS.ann).get(`${BASE}/audit/verify`);
      expect(verification.status).toBe(200);
      expect(verification.body).toMatchObject({
        intact: true,
        eventsChecked: events.length,
      });

      // The audit trail is not for everyone.
      const denied = await api(USERS.alice).get(`${BASE}/audit/verify`);
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toContain('promotion.audit.read');
    });
  },
);
