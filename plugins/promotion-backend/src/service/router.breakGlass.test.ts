import { BreakGlass, GateResult } from '@promotion/plugin-promotion-common';
import type { Knex } from 'knex';
import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
} from '../database/__testUtils__/testDatabases';
import {
  BASE,
  bodyOf,
  codes,
  flowPath,
  promotionApi,
  TestServer,
} from './__testUtils__/apiHelpers';
import {
  PROMOTION_CONFIG,
  Recordings,
  startPromotionBackend,
  USERS,
} from './__testUtils__/promotionTestBackend';
import { testClock } from './__testUtils__/testClock';

jest.setTimeout(120_000);

/*
 * Break-glass through the real plugin and database, on every engine: an
 * emergency deployment past a closed gate is declared, approved by one
 * approver of the environment (none for the on-call), opens the gate for
 * exactly its version once, flags the deployment, and opens a retrospective
 * review that the verification report lists until an approver closes it.
 */

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3', 'MYSQL_8']);

/** Production of the standard ladder allows break-glass with one approval; of the regulated one, with none for the payments team (the on-call). */
const config = JSON.parse(JSON.stringify(PROMOTION_CONFIG));
config.notifications = { violationRecipients: ['group:default/auditors'] };
config.policies.standard.environments[2].breakGlass = {
  validFor: { hours: 2 },
};
config.policies.regulated.environments[1].breakGlass = {
  onCallGroups: ['group:default/team-payments'],
};

const HOUR = 60 * 60 * 1000;

describe.each(databases.eachSupportedId())('Break-glass on %p', databaseId => {
  let server: TestServer;
  let knex: Knex;
  let recordings: Recordings;
  beforeAll(async () => {
    knex = await databases.init(databaseId);
    ({ server, recordings } = await startPromotionBackend({ knex, config }));
  }, DATABASE_HOOK_TIMEOUT_MS);
  const { api, deploy, gate } = promotionApi(() => server);

  afterEach(() => jest.useRealTimers());

  const declare = (flow: string, body: object, as: string = USERS.alice) =>
    api(as).post(`${flowPath(flow)}/break-glass`, body);
  const decide = (
    flow: string,
    id: string,
    decision: 'approve' | 'reject',
    as: string,
  ) =>
    api(as).post(`${flowPath(flow)}/break-glass/${id}/decisions`, {
      decision,
      comment: decision === 'approve' ? 'Go, the bank is down' : 'Wait',
    });
  const closeReview = (flow: string, id: string, as: string) =>
    api(as).post(`${flowPath(flow)}/break-glass/${id}/review`, {
      comment: 'Reviewed: the hotfix was right; tests added afterwards',
    });
  const emergency = {
    environment: 'prod',
    version: '1.0.1',
    reason: 'Payments fail for every customer',
    incidentLink: 'https://incidents.example.com/INC-42',
  };
  const report = async () =>
    bodyOf(api(USERS.ann).get(`${BASE}/reports/verification`), 200);

  it('declares, approves once, opens the gate for one deployment, flags it and reviews it', async () => {
    const flow = 'payments-sftp';
    await deploy(flow, 'dev', '1.0.1');
    const closed: GateResult = await gate(flow, 'prod', '1.0.1');
    expect(closed.open).toBe(false);

    // Bad input is a 400 naming the field.
    const noReason = await declare(flow, { ...emergency, reason: ' ' });
    expect(noReason.status).toBe(400);
    expect(noReason.body.error.message).toContain('reason');
    const noLink = await declare(flow, {
      ...emergency,
      incidentLink: 'INC-42',
    });
    expect(noLink.status).toBe(400);
    expect(noLink.body.error.message).toContain('incidentLink');
    const intoDev = await declare(flow, { ...emergency, environment: 'dev' });
    expect(intoDev.status).toBe(400);
    expect(intoDev.body.error.message).toContain('allows no break-glass');
    const nowhere = await declare(flow, { ...emergency, environment: 'moon' });
    expect(nowhere.status).toBe(400);
    // The guest may not request promotions, so may not declare.
    expect((await declare(flow, emergency, USERS.gary)).status).toBe(403);

    // Two declarations at once: one is recorded, the other is a conflict.
    const notificationsBefore = recordings.notifications.length;
    const [one, other] = await Promise.all([
      declare(flow, emergency),
      declare(flow, emergency),
    ]);
    expect([one.status, other.status].sort()).toEqual([201, 409]);
    const declared: BreakGlass = [one, other].find(r => r.status === 201)!.body;
    expect(declared).toMatchObject({
      status: 'pending',
      approvalsNeeded: 1,
      declaredBy: USERS.alice,
      reason: emergency.reason,
      incidentLink: emergency.incidentLink,
    });
    // Approvers and compliance hear of it, in words.
    const told = recordings.notifications.slice(notificationsBefore);
    expect(told).toHaveLength(1);
    expect(told[0].recipients).toMatchObject({
      entityRef: ['group:default/directors', 'group:default/auditors'],
    });
    expect(told[0].payload.title).toBe(
      'Break-glass declared: payments-sftp 1.0.1 into Production',
    );
    expect(told[0].payload.description).toContain(emergency.reason);
    expect(told[0].payload.description).toContain(emergency.incidentLink);
    // A second declaration while one waits is a conflict.
    expect((await declare(flow, emergency)).status).toBe(409);
    // Declared is not approved: the gate stays closed.
    expect((await gate(flow, 'prod', '1.0.1')).open).toBe(false);

    // Not by the declarer, not by the guest, not by a non-approver.
    const own = await decide(flow, declared.id, 'approve', USERS.alice);
    expect(own.status).toBe(403);
    expect(own.body.error.message).toBe(
      'You declared this break-glass, so you cannot approve it',
    );
    expect(
      (await decide(flow, declared.id, 'approve', USERS.gary)).status,
    ).toBe(403);
    const carol = await decide(flow, declared.id, 'approve', USERS.carol);
    expect(carol.status).toBe(403);
    expect(carol.body.error.message).toContain('not an approver');

    // The approver's inbox lists it to decide.
    const inbox = await bodyOf(api(USERS.dave).get(`${BASE}/break-glass`), 200);
    expect(inbox.items).toEqual([
      expect.objectContaining({
        action: 'decide',
        environmentTitle: 'Production',
        breakGlass: expect.objectContaining({ id: declared.id }),
      }),
    ]);
    const declarerInbox = await bodyOf(
      api(USERS.alice).get(`${BASE}/break-glass`),
      200,
    );
    expect(declarerInbox.items).toEqual([]);

    // Two approvers at once: one wins, the other hears it is decided.
    const [first, second] = await Promise.all([
      decide(flow, declared.id, 'approve', USERS.dave),
      decide(flow, declared.id, 'approve', USERS.erin),
    ]);
    expect([first.status, second.status].sort()).toEqual([200, 409]);
    const approved = [first, second].find(r => r.status === 200)!.body;
    expect(approved.status).toBe('approved');

    const open: GateResult = await gate(flow, 'prod', '1.0.1');
    expect(open).toMatchObject({
      open: true,
      approvedBy: 'break-glass',
      breakGlassId: declared.id,
      unmetConditions: [],
    });
    // It still says what it overrides.
    expect(open.overriddenConditions!.map(c => c.code)).toEqual(
      expect.arrayContaining([
        'previous-deployment-missing',
        'approval-required',
      ]),
    );
    // Only for exactly that version.
    expect((await gate(flow, 'prod', '1.0.2')).open).toBe(false);
    const state = await bodyOf(api().get(flowPath(flow)), 200);
    expect(state.breakGlasses).toEqual([
      expect.objectContaining({ id: declared.id, status: 'approved' }),
    ]);

    // The pipeline deploys on it: no violation, flagged with the declaration.
    const beforeUse = recordings.notifications.length;
    const deployment = await deploy(flow, 'prod', '1.0.1');
    expect(deployment).toMatchObject({
      violation: false,
      unmetConditions: [],
      breakGlassId: declared.id,
    });
    const usedNotice = recordings.notifications.slice(beforeUse);
    expect(usedNotice.map(n => n.payload.title)).toContain(
      'Break-glass used: payments-sftp 1.0.1 went into Production',
    );
    // Used once: the gate is closed again for the next deployment.
    const after: GateResult = await gate(flow, 'prod', '1.0.1');
    expect(after.open).toBe(false);
    expect(codes(after)).toContain('approval-required');

    // The deployment's trail shows it.
    const trail = await bodyOf(
      api().get(`${flowPath(flow)}/deployments/${deployment.id}/trail`),
      200,
    );
    expect(trail.deployment.breakGlassId).toBe(declared.id);
    expect(trail.approval).toMatchObject({
      basis: 'break-glass',
      approvals: [],
    });
    expect(
      trail.approval.auditEvents.map((e: { type: string }) => e.type),
    ).toEqual([
      'break-glass.declared',
      'break-glass.approved',
      'break-glass.used',
    ]);

    // The report lists its open retrospective review, which fails a check.
    const withOpenReview = await report();
    const row = withOpenReview.violations.find(
      (v: { deploymentId: string }) => v.deploymentId === deployment.id,
    );
    expect(row.failedChecks).toEqual([
      expect.objectContaining({
        kind: 'break-glass-review-open',
        sentences: [
          expect.stringContaining('Its retrospective review is open'),
        ],
      }),
    ]);
    expect(
      withOpenReview.checks.find(
        (c: { kind: string }) => c.kind === 'break-glass-review-open',
      ),
    ).toMatchObject({ passed: false, failedDeployments: 1 });

    // The insights count the break-glass use in its week.
    const insights = await bodyOf(api(USERS.ann).get(`${BASE}/insights`), 200);
    expect(insights.totals.breakGlass).toBe(1);
    expect(
      insights.weeks.filter((w: { breakGlass: number }) => w.breakGlass > 0),
    ).toEqual([expect.objectContaining({ breakGlass: 1 })]);

    // The approver closes the review, once; a developer may not.
    const reviewInbox = await bodyOf(
      api(USERS.erin).get(`${BASE}/break-glass`),
      200,
    );
    expect(reviewInbox.items).toEqual([
      expect.objectContaining({
        action: 'review',
        breakGlass: expect.objectContaining({
          deploymentId: deployment.id,
          review: { status: 'open' },
        }),
      }),
    ]);
    expect((await closeReview(flow, declared.id, USERS.alice)).status).toBe(
      403,
    );
    const [closeA, closeB] = await Promise.all([
      closeReview(flow, declared.id, USERS.erin),
      closeReview(flow, declared.id, USERS.dave),
    ]);
    expect([closeA.status, closeB.status].sort()).toEqual([200, 409]);
    const closed2 = [closeA, closeB].find(r => r.status === 200)!.body;
    expect(closed2.review).toMatchObject({
      status: 'closed',
      comment: 'Reviewed: the hotfix was right; tests added afterwards',
    });
    const afterReview = await report();
    expect(
      afterReview.violations.find(
        (v: { deploymentId: string }) => v.deploymentId === deployment.id,
      ),
    ).toBeUndefined();
    expect(
      (await bodyOf(api(USERS.erin).get(`${BASE}/break-glass`), 200)).items,
    ).toEqual([]);

    // Every step is in the audit trail, and the rows are bound to it.
    const events = await bodyOf(api().get(`${flowPath(flow)}/events`), 200);
    expect(
      events.items
        .map((e: { type: string }) => e.type)
        .filter((t: string) => t.startsWith('break-glass.')),
    ).toEqual([
      'break-glass.review-closed',
      'break-glass.used',
      'break-glass.approved',
      'break-glass.declared',
    ]);
    const verified = await bodyOf(
      api(USERS.ann).get(`${BASE}/audit/verify`),
      200,
    );
    expect(verified.intact).toBe(true);

    // A direct database edit of a break-glass row is detected and named.
    await knex('promotion_break_glasses')
      .where({ id: declared.id })
      .update({ review_comment: 'Nothing to see' });
    const tampered = await bodyOf(
      api(USERS.ann).get(`${BASE}/audit/verify`),
      200,
    );
    expect(tampered.intact).toBe(false);
    expect(tampered.breaks).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          kind: 'state-altered',
          table: 'promotion_break_glasses',
          rowId: declared.id,
        }),
      ]),
    );
    // So is one of the deployment's flag.
    await knex('promotion_break_glasses').where({ id: declared.id }).update({
      review_comment: 'Reviewed: the hotfix was right; tests added afterwards',
    });
    await knex('promotion_deployments')
      .where({ id: deployment.id })
      .update({ break_glass_id: null });
    const unflagged = await bodyOf(
      api(USERS.ann).get(`${BASE}/audit/verify`),
      200,
    );
    expect(unflagged.breaks).toEqual([
      expect.objectContaining({
        kind: 'state-altered',
        table: 'promotion_deployments',
        rowId: deployment.id,
      }),
    ]);
    await knex('promotion_deployments')
      .where({ id: deployment.id })
      .update({ break_glass_id: declared.id });
  });

  it('needs no approval from the on-call, and refuses a break-glass where the gate is open', async () => {
    const flow = 'billing';
    await deploy(flow, 'dev', '2.0.0');
    const declared: BreakGlass = await bodyOf(
      declare(flow, { ...emergency, version: '2.0.0' }),
    );
    expect(declared).toMatchObject({ status: 'approved', approvalsNeeded: 0 });
    expect(await gate(flow, 'prod', '2.0.0')).toMatchObject({
      open: true,
      approvedBy: 'break-glass',
    });
    // Open already: nothing to break.
    const again = await declare(flow, { ...emergency, version: '2.0.0' });
    expect(again.status).toBe(409);
    expect(again.body.error.message).toContain(
      'An approved break-glass already opens the gate',
    );
    await deploy(flow, 'prod', '2.0.0');
    const openDev = await declare(flow, {
      ...emergency,
      environment: 'dev',
    });
    expect(openDev.status).toBe(400);
  });

  it('is refused once expired, and a rejection keeps the gate closed', async () => {
    testClock.stop();
    const flow = 'ledger';
    await deploy(flow, 'dev', '3.0.0');
    const late: BreakGlass = await bodyOf(
      declare(flow, { ...emergency, version: '3.0.0' }),
    );
    testClock.advance(2 * HOUR + 1000);
    const expired = await decide(flow, late.id, 'approve', USERS.dave);
    expect(expired.status).toBe(409);
    expect(expired.body.error.message).toContain('expired');

    const rejectedOne: BreakGlass = await bodyOf(
      declare(flow, { ...emergency, version: '3.0.0' }),
    );
    const rejected = await bodyOf(
      decide(flow, rejectedOne.id, 'reject', USERS.dave),
      200,
    );
    expect(rejected).toMatchObject({
      status: 'rejected',
      decidedBy: USERS.dave,
      decisionComment: 'Wait',
    });
    expect((await gate(flow, 'prod', '3.0.0')).open).toBe(false);
    expect(
      (await decide(flow, rejectedOne.id, 'approve', USERS.erin)).status,
    ).toBe(409);
    // Closing the review of a declaration no deployment used is a conflict.
    expect((await closeReview(flow, rejectedOne.id, USERS.erin)).status).toBe(
      409,
    );
    const unknown = await closeReview(
      flow,
      '00000000-0000-4000-8000-000000000000',
      USERS.erin,
    );
    expect(unknown.status).toBe(404);
    // An approved one past its time no longer opens the gate.
    const approvedOne: BreakGlass = await bodyOf(
      declare(flow, { ...emergency, version: '3.0.0' }),
    );
    await bodyOf(decide(flow, approvedOne.id, 'approve', USERS.erin), 200);
    expect((await gate(flow, 'prod', '3.0.0')).approvedBy).toBe('break-glass');
    testClock.advance(2 * HOUR + 1000);
    expect((await gate(flow, 'prod', '3.0.0')).open).toBe(false);
    const deployment = await deploy(flow, 'prod', '3.0.0');
    expect(deployment.violation).toBe(true);
    expect(deployment.breakGlassId).toBeUndefined();
  });
});
