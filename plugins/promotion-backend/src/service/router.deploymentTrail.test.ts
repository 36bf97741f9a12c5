import { createTestDatabases } from '../database/__testUtils__/testDatabases';
import {
  AuditEvent,
  AuditEventRef,
  DeploymentTrail,
  PromotionRequest,
} from '@promotion/plugin-promotion-common';
import { USERS } from './__testUtils__/promotionTestBackend';
import { testClock } from './__testUtils__/testClock';
import {
  BASE,
  bodyOf,
  dossier,
  flowPath,
  promotionBackendOn,
} from './__testUtils__/apiHelpers';

jest.setTimeout(60_000);

/*
 * GET /flows/:namespace/:kind/:name/deployments/:deploymentId/trail through
 * the real plugin and database: the one-time approval story of the
 * governance documents, asked the auditor's questions afterwards.
 */

const trailPath = (name: string, deploymentId: string) =>
  `${flowPath(name)}/deployments/${deploymentId}/trail`;

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3']);

describe.each(databases.eachSupportedId())(
  'The deployment trail on %p',
  databaseId => {
    const backend = promotionBackendOn(databases, databaseId);
    const { api } = backend;

    /** A successful deployment the pipeline reports with a link to its run. */
    const deploy = (flow: string, environment: string, version: string) =>
      backend.deploy(flow, environment, version, {
        link: `https://ci.example.com/${flow}/${environment}/${version}`,
      });
    /** Posts as `who`; returns the body once the status is `status`. */
    const post = (who: string, path: string, body: object, status = 201) =>
      bodyOf(api(who).post(path, body), status);
    const check = (
      flow: string,
      environment: string,
      itemId: string,
      body: object,
    ) => bodyOf(backend.check(flow, environment, itemId, body));
    const signOff = (flow: string, version: string, comment: string) =>
      post(USERS.carol, `${flowPath(flow)}/environments/test/sign-offs`, {
        version,
        comment,
      });
    /** Dev and Test of the standard ladder, validated and signed off. */
    const climbToTest = async (flow: string, version: string) => {
      await deploy(flow, 'dev', version);
      await check(flow, 'dev', 'code-reviewed', { version });
      await deploy(flow, 'test', version);
      await check(flow, 'test', 'e2e', {
        version,
        evidenceLink: `https://ci.example.com/e2e/${version}`,
        note: `${version}: 42 scenarios green`,
      });
      await signOff(flow, version, `Test results of ${version} confirmed`);
    };
    const trailOf = async (
      flow: string,
      deploymentId: string,
      who: string = USERS.alice,
    ): Promise<DeploymentTrail> => {
      const res = await api(who).get(trailPath(flow, deploymentId));
      expect({ status: res.status, body: res.body }).toMatchObject({
        status: 200,
      });
      return res.body;
    };
    /** The flow's audit events, by seq, as the history and the export show them. */
    const eventsOf = async (flow: string) => {
      const res = await api(USERS.alice).get(
        `${flowPath(flow)}/events?limit=500`,
      );
      expect(res.status).toBe(200);
      return new Map<number, AuditEvent>(
        (res.body.items as AuditEvent[]).map(e => [e.seq, e]),
      );
    };
    /** The recorded event a reference points to: same id and type, and the payload names the fact. */
    const expectCites = (
      events: Map<number, AuditEvent>,
      ref: AuditEventRef | undefined,
      type: AuditEvent['type'],
      payload: Record<string, unknown>,
    ) => {
      expect(ref).toBeDefined();
      const event = events.get(ref!.seq);
      expect(event).toMatchObject({ id: ref!.id, type, payload });
      expect(ref).toEqual({
        seq: event!.seq,
        id: event!.id,
        type: event!.type,
        occurredAt: event!.occurredAt,
      });
    };

    let promotion: PromotionRequest;

    afterEach(() => jest.useRealTimers());

    it('answers who requested, approved, validated and signed off the first Production deployment', async () => {
      const flow = 'payments-sftp';
      await deploy(flow, 'dev', '1.0.0');
      await check(flow, 'dev', 'code-reviewed', { version: '1.0.0' });
      await check(flow, 'dev', 'release-notes', { note: 'In the wiki' });
      await deploy(flow, 'test', '1.0.0');
      const e2e = await check(flow, 'test', 'e2e', {
        version: '1.0.0',
        evidenceLink: 'https://ci.example.com/e2e/1.0.0',
        note: 'Partner upload checked',
      });
      const carols = await signOff(
        flow,
        '1.0.0',
        'Results confirmed with the bank',
      );
      promotion = await post(USERS.alice, `${flowPath(flow)}/requests`, {
        environment: 'prod',
        version: '1.0.0',
        dossier: dossier(),
      });
      const approved: PromotionRequest = await post(
        USERS.dave,
        `${BASE}/requests/${promotion.id}/decisions`,
        {
          decision: 'approve',
          comment: 'Validated on Test, approved for Production',
        },
        200,
      );
      expect(approved.status).toBe('approved');
      const deployment = await deploy(flow, 'prod', '1.0.0');

      // Facts recorded after the deployment: not validation that preceded it.
      const lateSignOff = await signOff(flow, '1.0.0', 'Signed again later');
      const uptime = await post(
        USERS.alice,
        `${flowPath(flow)}/environments/prod/post-deployment/uptime-green`,
        { version: '1.0.0', evidenceLink: 'https://status.example.com' },
      );

      const trail = await trailOf(flow, deployment.id);
      const events = await eventsOf(flow);

      expect(trail).toMatchObject({
        entityRef: 'component:default/payments-sftp',
        environmentTitle: 'Production',
        deployment: {
          id: deployment.id,
          version: '1.0.0',
          status: 'succeeded',
          reportedBy: 'service:external:test-service',
          link: 'https://ci.example.com/payments-sftp/prod/1.0.0',
          violation: false,
          unmetConditions: [],
        },
      });
      expectCites(events, trail.deploymentEvent, 'deployment.recorded', {
        deploymentId: deployment.id,
      });

      // Who requested it, with the dossier and its hash.
      expect(trail.approval).toMatchObject({
        mode: 'once',
        basis: 'standing-approval',
        standingApproval: { requestId: promotion.id, grantedBy: [USERS.dave] },
        request: {
          id: promotion.id,
          requestedBy: USERS.alice,
          dossierHash: promotion.dossierHash,
          dossier: {
            why: 'Transfers to the bank time out',
            releaseNotes: 'Adds SFTP retries',
          },
        },
      });
      expect(trail.approval.auditEvents.map(e => e.type)).toEqual([
        'request.created',
        'request.approved',
        'standing-approval.granted',
      ]);
      expectCites(events, trail.approval.auditEvents[0], 'request.created', {
        requestId: promotion.id,
      });

      // Who approved it, when, and what they wrote.
      expect(trail.approval.approvals).toHaveLength(1);
      const [approval] = trail.approval.approvals;
      expect(approval.decision).toMatchObject({
        decidedBy: USERS.dave,
        comment: 'Validated on Test, approved for Production',
        decidedAt: approved.decidedAt,
      });
      expectCites(events, approval.auditEvent, 'decision.recorded', {
        decisionId: approval.decision.id,
        decision: 'approve',
      });

      // Who validated the Test results, with the evidence.
      expect(trail.validation).toMatchObject({
        environmentId: 'test',
        environmentTitle: 'Test',
        missing: [],
        later: [],
      });
      expect(trail.validation!.completions).toHaveLength(1);
      const [validated] = trail.validation!.completions;
      expect(validated).toMatchObject({
        itemTitle: 'End-to-end tests passed',
        completion: {
          id: e2e.id,
          completedBy: USERS.alice,
          completedAt: e2e.completedAt,
          evidenceLink: 'https://ci.example.com/e2e/1.0.0',
          note: 'Partner upload checked',
        },
      });
      expectCites(events, validated.auditEvent, 'checklist.completed', {
        completionId: e2e.id,
      });

      // When sign-off was given; the later one is listed apart.
      expect(trail.signOff).toMatchObject({
        environmentTitle: 'Test',
        required: true,
        signOffs: [
          {
            signOff: {
              id: carols.id,
              signedOffBy: USERS.carol,
              signedOffAt: carols.signedOffAt,
              comment: 'Results confirmed with the bank',
            },
          },
        ],
        later: [{ signOff: { id: lateSignOff.id } }],
      });
      expectCites(
        events,
        trail.signOff!.signOffs[0].auditEvent,
        'sign-off.given',
        { signOffId: carols.id },
      );
      expectCites(
        events,
        trail.signOff!.later[0].auditEvent,
        'sign-off.given',
        { signOffId: lateSignOff.id },
      );
      expect(trail.signOff!.later[0].auditEvent!.seq).toBeGreaterThan(
        trail.deploymentEvent!.seq,
      );

      // The post-deployment checklist: done, and still open.
      expect(trail.postDeployment).toMatchObject({
        completions: [
          {
            itemTitle: 'Uptime monitoring green',
            completion: {
              id: uptime.id,
              completedBy: USERS.alice,
              evidenceLink: 'https://status.example.com',
            },
          },
        ],
        open: [
          {
            id: 'monitor-logs',
            title: 'Monitor logs',
            availableAt: new Date(
              Date.parse(deployment.reportedAt) + 15 * 60_000,
            ).toISOString(),
          },
        ],
      });
      expectCites(
        events,
        trail.postDeployment!.completions[0].auditEvent,
        'checklist.completed',
        { completionId: uptime.id, kind: 'post-deployment' },
      );
    });

    it('points a later version deployed on the standing approval to the original request', async () => {
      const flow = 'payments-sftp';
      await climbToTest(flow, '1.1.0');
      // 1.0.0's post-deployment checklist, complete 15 minutes after its
      // deployment, lets the next version into Production.
      testClock.stop();
      testClock.advance(15 * 60_000);
      await post(
        USERS.alice,
        `${flowPath(flow)}/environments/prod/post-deployment/monitor-logs`,
        { version: '1.0.0' },
      );
      const deployment = await deploy(flow, 'prod', '1.1.0');

      const trail = await trailOf(flow, deployment.id);

      expect(trail.deployment.violation).toBe(false);
      expect(trail.approval).toMatchObject({
        basis: 'standing-approval',
        request: {
          id: promotion.id,
          version: '1.0.0',
          requestedBy: USERS.alice,
        },
        approvals: [
          {
            decision: {
              decidedBy: USERS.dave,
              comment: 'Validated on Test, approved for Production',
            },
          },
        ],
      });
      // Validated and signed off for 1.1.0, not 1.0.0.
      expect(trail.validation!.completions).toEqual([
        expect.objectContaining({
          completion: expect.objectContaining({
            version: '1.1.0',
            evidenceLink: 'https://ci.example.com/e2e/1.1.0',
          }),
        }),
      ]);
      expect(trail.signOff!.signOffs).toEqual([
        expect.objectContaining({
          signOff: expect.objectContaining({
            version: '1.1.0',
            comment: 'Test results of 1.1.0 confirmed',
          }),
        }),
      ]);
    });

    it('shows a deployment through a closed gate with the violation and no request', async () => {
      const flow = 'ledger';
      const deployment = await deploy(flow, 'prod', '7.0.0');
      expect(deployment.violation).toBe(true);

      const trail = await trailOf(flow, deployment.id);

      expect(trail.deployment).toMatchObject({
        violation: true,
        unmetConditions: deployment.unmetConditions,
      });
      expect(trail.deployment.unmetConditions.map(c => c.code)).toEqual(
        expect.arrayContaining([
          'previous-deployment-missing',
          'approval-required',
        ]),
      );
      expect(trail.approval).toEqual({
        mode: 'once',
        basis: 'missing',
        approvals: [],
        auditEvents: [],
      });
      expect(trail.validation).toMatchObject({
        completions: [],
        missing: [{ id: 'e2e', title: 'End-to-end tests passed' }],
      });
      expect(trail.signOff).toMatchObject({ required: true, signOffs: [] });
    });

    it('lets a pipeline and a reader of the flow read it', async () => {
      const flow = 'ledger';
      const deployment = await deploy(flow, 'dev', '7.1.0');

      const byPipeline = await trailOf(flow, deployment.id, 'service');
      expect(byPipeline.deployment.id).toBe(deployment.id);
      expect(byPipeline.approval.basis).toBe('none');
      expect(byPipeline.validation).toBeUndefined();

      const byGuest = await trailOf(flow, deployment.id, USERS.gary);
      expect(byGuest.deployment.id).toBe(deployment.id);

      const anonymous = await api('none').get(trailPath(flow, deployment.id));
      expect(anonymous.status).toBe(401);
    });

    it('answers 404 for an unknown deployment or one of another flow, 400 for an id that is no UUID', async () => {
      const flow = 'ledger';
      const theirs = await deploy('payments-sftp', 'dev', '9.0.0');

      let res = await api(USERS.alice).get(
        trailPath(flow, '0b5e3c1a-6f2d-4e8b-9a7c-3d1f2e4b5a69'),
      );
      expect(res.status).toBe(404);
      expect(res.body.error).toMatchObject({
        name: 'NotFoundError',
        message: expect.stringContaining(
          'No deployment 0b5e3c1a-6f2d-4e8b-9a7c-3d1f2e4b5a69 of component:default/ledger',
        ),
      });

      res = await api(USERS.alice).get(trailPath(flow, theirs.id));
      expect(res.status).toBe(404);
      expect(res.body.error.name).toBe('NotFoundError');
      // The same id under its own flow is found.
      expect((await trailOf('payments-sftp', theirs.id)).deployment.id).toBe(
        theirs.id,
      );

      res = await api(USERS.alice).get(trailPath(flow, 'not-a-uuid'));
      expect(res.status).toBe(400);
      expect(res.body.error).toMatchObject({
        name: 'InputError',
        message: expect.stringContaining('path.deploymentId'),
      });

      res = await api(USERS.alice).get(trailPath('no-annotation', theirs.id));
      expect(res.status).toBe(404);
    });
  },
);
