import {
  AuditEvent,
  AuditEventType,
  ChecklistCompletion,
  ChecklistKind,
  Deployment,
  FlowFacts,
  GateCondition,
  PromotionPolicy,
  PromotionRequest,
  readPromotionConfig,
  Rollback,
  SignOff,
  StandingApproval,
} from '@promotion/plugin-promotion-common';
import { buildDeploymentTrail } from './deploymentTrail';
import {
  readTrailEvents,
  trailEventFilter,
  trailEventsUntil,
} from './trailEvents';

const FLOW = 'component:default/payments-sftp';
const ALICE = 'user:default/alice';
const CAROL = 'user:default/carol';
const DAVE = 'user:default/dave';
const ERIN = 'user:default/erin';
const CI = 'service:ci';

function policyOf(mode: 'once' | 'every'): PromotionPolicy {
  return readPromotionConfig({
    policies: {
      p: {
        environments: [
          { id: 'dev', title: 'Dev' },
          {
            id: 'test',
            title: 'Test',
            checklist: [
              { id: 'e2e', title: 'End-to-end tests', evidenceRequired: true },
              { id: 'config', title: 'Config mirrors prod', scope: 'flow' },
            ],
            signOff: { required: true },
          },
          {
            id: 'prod',
            title: 'Production',
            approval: {
              mode,
              approvers: ['group:default/directors'],
              minApprovers: mode === 'every' ? 2 : 1,
            },
            postDeployment: {
              checklist: [
                {
                  id: 'monitor-logs',
                  title: 'Monitor logs',
                  minimumWait: { minutes: 15 },
                },
                { id: 'tickets', title: 'Tickets closed' },
              ],
            },
          },
        ],
      },
    },
  }).policies.p;
}

/** Minutes after 2025-01-01 10:00 UTC. */
const at = (minutes: number) =>
  new Date(Date.UTC(2025, 0, 1, 10, 0) + minutes * 60_000).toISOString();

/**
 * Records a flow's history the way the store does: each fact, and the audit
 * event that records it with the next seq.
 */
class History {
  readonly facts: FlowFacts = {
    deployments: [],
    checklistCompletions: [],
    signOffs: [],
    standingApprovals: [],
    requests: [],
    rollbacks: [],
  };
  readonly events: AuditEvent[] = [];
  #ids = 0;

  id(prefix: string) {
    this.#ids += 1;
    return `${prefix}-${this.#ids}`;
  }

  event(
    type: AuditEventType,
    occurredAt: string,
    actor: string,
    about: { environmentId?: string; version?: string },
    payload: Record<string, unknown>,
  ): AuditEvent {
    const seq = this.events.length + 1;
    const event: AuditEvent = {
      seq,
      id: `event-${seq}`,
      type,
      entityRef: FLOW,
      ...about,
      actor,
      occurredAt,
      summary: type,
      payload,
      previousHash: 'x',
      hash: 'y',
    };
    this.events.push(event);
    return event;
  }

  deploy(
    environmentId: string,
    version: string,
    minutes: number,
    options: { unmetConditions?: GateCondition[]; status?: 'failed' } = {},
  ): Deployment {
    const unmetConditions = options.unmetConditions ?? [];
    const deployment: Deployment = {
      id: this.id('deployment'),
      entityRef: FLOW,
      environmentId,
      version,
      status: options.status ?? 'succeeded',
      link: `https://ci.example.com/${version}`,
      reportedBy: CI,
      reportedAt: at(minutes),
      violation: unmetConditions.length > 0,
      unmetConditions,
    };
    this.facts.deployments.push(deployment);
    this.event(
      'deployment.recorded',
      deployment.reportedAt,
      CI,
      { environmentId, version },
      { deploymentId: deployment.id, violation: deployment.violation },
    );
    return deployment;
  }

  complete(
    environmentId: string,
    kind: ChecklistKind,
    itemId: string,
    version: string | undefined,
    minutes: number,
    extra: { by?: string; evidenceLink?: string; note?: string } = {},
  ): ChecklistCompletion {
    const completion: ChecklistCompletion = {
      id: this.id('completion'),
      entityRef: FLOW,
      environmentId,
      kind,
      itemId,
      version,
      completedBy: extra.by ?? ALICE,
      completedAt: at(minutes),
      evidenceLink: extra.evidenceLink,
      note: extra.note,
    };
    this.facts.checklistCompletions.push(completion);
    this.event(
      'checklist.completed',
      completion.completedAt,
      completion.completedBy,
      { environmentId, version },
      {
        completionId: completion.id,
        kind,
        itemId,
        scope: version === undefined ? 'flow' : 'version',
        evidenceLink: extra.evidenceLink,
        note: extra.note,
      },
    );
    return completion;
  }

  /** The store keeps an undone completion as history, out of the facts. */
  undo(completion: ChecklistCompletion, minutes: number) {
    this.facts.checklistCompletions = this.facts.checklistCompletions.filter(
      c => c.id !== completion.id,
    );
    this.event(
      'checklist.undone',
      at(minutes),
      ALICE,
      {
        environmentId: completion.environmentId,
        version: completion.version,
      },
      {
        completionId: completion.id,
        kind: completion.kind,
        itemId: completion.itemId,
      },
    );
  }

  signOff(version: string, minutes: number, comment: string): SignOff {
    const signOff: SignOff = {
      id: this.id('sign-off'),
      entityRef: FLOW,
      environmentId: 'test',
      version,
      signedOffBy: CAROL,
      signedOffAt: at(minutes),
      comment,
    };
    this.facts.signOffs.push(signOff);
    this.event(
      'sign-off.given',
      signOff.signedOffAt,
      CAROL,
      { environmentId: 'test', version },
      { signOffId: signOff.id },
    );
    return signOff;
  }

  request(version: string, minutes: number): PromotionRequest {
    const request: PromotionRequest = {
      id: this.id('request'),
      entityRef: FLOW,
      environmentId: 'prod',
      version,
      status: 'pending',
      dossier: {
        whatChanged: `Changes in ${version}`,
        why: 'Partners asked for it',
        testResults: 'All green',
        releaseNotes: `Release ${version}`,
      },
      dossierHash: 'hash-1',
      revision: 1,
      requestedBy: ALICE,
      createdAt: at(minutes),
      updatedAt: at(minutes),
      expiresAt: at(minutes + 10_000),
      decisions: [],
    };
    this.facts.requests.push(request);
    this.event(
      'request.created',
      request.createdAt,
      ALICE,
      { environmentId: 'prod', version },
      { requestId: request.id, dossierHash: request.dossierHash },
    );
    return request;
  }

  edit(request: PromotionRequest, minutes: number) {
    for (const decision of request.decisions) {
      decision.voidedAt ??= at(minutes);
    }
    request.dossierHash = `hash-${request.revision + 1}`;
    request.revision += 1;
    this.event(
      'request.edited',
      at(minutes),
      ALICE,
      { environmentId: 'prod', version: request.version },
      { requestId: request.id, dossierHash: request.dossierHash },
    );
  }

  /** An approve decision; `approves` when it reaches the quorum (and grants the standing approval on `once`). */
  approve(
    request: PromotionRequest,
    by: string,
    minutes: number,
    comment: string,
    reaches?: 'request' | 'standing-approval',
  ): StandingApproval | undefined {
    const decision = {
      id: this.id('decision'),
      requestId: request.id,
      decision: 'approve' as const,
      decidedBy: by,
      decidedAt: at(minutes),
      comment,
      dossierHash: request.dossierHash,
    };
    request.decisions.push(decision);
    const about = { environmentId: 'prod', version: request.version };
    this.event('decision.recorded', decision.decidedAt, by, about, {
      requestId: request.id,
      decisionId: decision.id,
    });
    if (!reaches) {
      return undefined;
    }
    request.status = 'approved';
    request.decidedAt = decision.decidedAt;
    request.updatedAt = decision.decidedAt;
    this.event('request.approved', decision.decidedAt, by, about, {
      requestId: request.id,
    });
    if (reaches !== 'standing-approval') {
      return undefined;
    }
    const standing: StandingApproval = {
      id: this.id('standing'),
      entityRef: FLOW,
      environmentId: 'prod',
      requestId: request.id,
      grantedAt: decision.decidedAt,
      grantedBy: [by],
    };
    this.facts.standingApprovals.push(standing);
    this.event('standing-approval.granted', decision.decidedAt, by, about, {
      standingApprovalId: standing.id,
      requestId: request.id,
    });
    return standing;
  }

  revoke(standing: StandingApproval, minutes: number) {
    standing.revokedAt = at(minutes);
    standing.revokedBy = ALICE;
    this.event(
      'standing-approval.revoked',
      at(minutes),
      ALICE,
      { environmentId: 'prod' },
      { standingApprovalIds: [standing.id] },
    );
  }

  /** Production goes back from `fromVersion` to `toVersion`, as the store records it: the deployments of `fromVersion` there are rolled back and the standing approvals revoked. */
  rollback(fromVersion: string, toVersion: string, minutes: number): Rollback {
    const rollback: Rollback = {
      id: this.id('rollback'),
      entityRef: FLOW,
      environmentId: 'prod',
      fromVersion,
      toVersion,
      reason: 'Transfers failing',
      recordedBy: ALICE,
      recordedAt: at(minutes),
    };
    this.facts.rollbacks!.push(rollback);
    const rolledBack = this.facts.deployments.filter(
      d =>
        d.environmentId === 'prod' &&
        d.version === fromVersion &&
        !d.rolledBackAt,
    );
    for (const deployment of rolledBack) {
      deployment.rolledBackAt = rollback.recordedAt;
      deployment.rollbackId = rollback.id;
    }
    this.event(
      'rollback.recorded',
      rollback.recordedAt,
      ALICE,
      { environmentId: 'prod', version: fromVersion },
      {
        rollbackId: rollback.id,
        fromVersion,
        toVersion,
        deploymentIds: rolledBack.map(d => d.id),
      },
    );
    for (const standing of this.facts.standingApprovals) {
      if (!standing.revokedAt) {
        this.revoke(standing, minutes);
      }
    }
    return rollback;
  }

  /** 1.0.0 up to Test, validated and signed off, from minute 0 to 10. */
  validated(version: string, start: number) {
    this.deploy('dev', version, start);
    this.deploy('test', version, start + 1);
    this.complete('test', 'validation', 'e2e', version, start + 2, {
      evidenceLink: `https://ci.example.com/e2e/${version}`,
      note: '42 scenarios',
    });
    this.signOff(version, start + 3, `Results of ${version} confirmed`);
  }

  trail(deployment: Deployment, policy: PromotionPolicy) {
    return buildDeploymentTrail({
      entityRef: FLOW,
      policy,
      facts: this.facts,
      deployment,
      events: this.events.filter(trailEventFilter(policy, deployment)),
    });
  }
}

const seqOf = (history: History, type: AuditEventType, payloadId: string) =>
  history.events.find(
    e => e.type === type && Object.values(e.payload).includes(payloadId),
  )!.seq;

describe('buildDeploymentTrail', () => {
  it('answers who requested, approved, validated and signed off a one-time approval', () => {
    const policy = policyOf('once');
    const h = new History();
    const config = h.complete('test', 'validation', 'config', undefined, -5, {
      by: ERIN,
    });
    h.validated('1.0.0', 0);
    const request = h.request('1.0.0', 10);
    h.approve(request, DAVE, 11, 'Before the edit');
    h.edit(request, 12);
    const standing = h.approve(
      request,
      DAVE,
      13,
      'Validated on Test, go ahead',
      'standing-approval',
    )!;
    const deployment = h.deploy('prod', '1.0.0', 20);

    const trail = h.trail(deployment, policy);

    expect(trail).toMatchObject({
      entityRef: FLOW,
      environmentTitle: 'Production',
      deployment: { id: deployment.id, reportedBy: CI, violation: false },
      deploymentEvent: {
        seq: seqOf(h, 'deployment.recorded', deployment.id),
        type: 'deployment.recorded',
      },
    });
    // Who requested it, and the dossier the approval was given on.
    expect(trail.approval).toMatchObject({
      mode: 'once',
      basis: 'standing-approval',
      standingApproval: { id: standing.id, requestId: request.id },
      request: {
        id: request.id,
        requestedBy: ALICE,
        dossierHash: 'hash-2',
        dossier: { releaseNotes: 'Release 1.0.0' },
      },
    });
    // Who approved it: only the decision that counted (not the one voided by the edit).
    expect(trail.approval.approvals).toEqual([
      {
        decision: expect.objectContaining({
          decidedBy: DAVE,
          comment: 'Validated on Test, go ahead',
        }),
        auditEvent: expect.objectContaining({ type: 'decision.recorded' }),
      },
    ]);
    expect(trail.approval.auditEvents.map(e => e.type)).toEqual([
      'request.created',
      'request.edited',
      'request.approved',
      'standing-approval.granted',
    ]);
    // Who validated Test, with the evidence, and when it was signed off.
    expect(trail.validation).toMatchObject({
      environmentId: 'test',
      environmentTitle: 'Test',
      missing: [],
      later: [],
    });
    expect(
      trail.validation!.completions.map(e => [
        e.itemTitle,
        e.completion.completedBy,
        e.completion.evidenceLink,
        e.auditEvent?.seq,
      ]),
    ).toEqual([
      [
        'Config mirrors prod',
        ERIN,
        undefined,
        seqOf(h, 'checklist.completed', config.id),
      ],
      [
        'End-to-end tests',
        ALICE,
        'https://ci.example.com/e2e/1.0.0',
        expect.any(Number),
      ],
    ]);
    expect(trail.signOff).toMatchObject({
      environmentTitle: 'Test',
      required: true,
      signOffs: [
        {
          signOff: {
            signedOffBy: CAROL,
            signedOffAt: at(3),
            comment: 'Results of 1.0.0 confirmed',
          },
          auditEvent: { type: 'sign-off.given' },
        },
      ],
      later: [],
    });
  });

  it('points a later version deployed on the standing approval to the request that granted it', () => {
    const policy = policyOf('once');
    const h = new History();
    h.validated('1.0.0', 0);
    const request = h.request('1.0.0', 10);
    h.approve(request, DAVE, 11, 'Go', 'standing-approval');
    h.deploy('prod', '1.0.0', 20);
    h.validated('1.1.0', 30);
    const second = h.deploy('prod', '1.1.0', 40);

    const trail = h.trail(second, policy);

    expect(trail.approval).toMatchObject({
      basis: 'standing-approval',
      request: { id: request.id, version: '1.0.0', requestedBy: ALICE },
      approvals: [{ decision: { decidedBy: DAVE, comment: 'Go' } }],
    });
    // Validation and sign-off are those of 1.1.0, not 1.0.0.
    expect(
      trail.validation!.completions.map(e => e.completion.version),
    ).toEqual(['1.1.0']);
    expect(trail.validation!.missing).toEqual([
      { id: 'config', title: 'Config mirrors prod' },
    ]);
    expect(trail.signOff!.signOffs.map(e => e.signOff.version)).toEqual([
      '1.1.0',
    ]);
  });

  it('shows a deployment through a closed gate with its unmet conditions and no request', () => {
    const policy = policyOf('once');
    const h = new History();
    h.validated('1.0.0', 0);
    const request = h.request('1.0.0', 10);
    const standing = h.approve(request, DAVE, 11, 'Go', 'standing-approval')!;
    h.revoke(standing, 15);
    const unmet: GateCondition[] = [
      {
        code: 'approval-revoked',
        message: 'The standing approval for Production was revoked.',
        environmentId: 'prod',
      },
    ];
    const deployment = h.deploy('prod', '1.0.0', 20, {
      unmetConditions: unmet,
    });

    const trail = h.trail(deployment, policy);

    expect(trail.deployment).toMatchObject({
      violation: true,
      unmetConditions: unmet,
    });
    expect(trail.approval).toEqual({
      mode: 'once',
      basis: 'missing',
      approvals: [],
      auditEvents: [],
    });
  });

  it('does not count a standing approval granted after the deployment', () => {
    const policy = policyOf('once');
    const h = new History();
    h.validated('1.0.0', 0);
    const request = h.request('1.0.0', 10);
    const deployment = h.deploy('prod', '1.0.0', 15);
    h.approve(request, DAVE, 16, 'Too late', 'standing-approval');

    expect(h.trail(deployment, policy).approval).toMatchObject({
      basis: 'missing',
      approvals: [],
    });
  });

  it('lists validation and sign-offs recorded after the deployment apart, as not preceding it', () => {
    const policy = policyOf('once');
    const h = new History();
    h.deploy('dev', '1.0.0', 0);
    h.deploy('test', '1.0.0', 1);
    const deployment = h.deploy('prod', '1.0.0', 5);
    const e2e = h.complete('test', 'validation', 'e2e', '1.0.0', 6, {
      evidenceLink: 'https://ci.example.com/late',
    });
    h.signOff('1.0.0', 7, 'Signed off afterwards');

    const trail = h.trail(deployment, policy);

    expect(trail.validation).toMatchObject({
      completions: [],
      missing: [
        { id: 'e2e', title: 'End-to-end tests' },
        { id: 'config', title: 'Config mirrors prod' },
      ],
      later: [{ completion: { id: e2e.id }, itemTitle: 'End-to-end tests' }],
    });
    expect(trail.signOff).toMatchObject({
      signOffs: [],
      later: [{ signOff: { comment: 'Signed off afterwards' } }],
    });
  });

  it('orders by the audit trail when a fact has the same timestamp as the deployment', () => {
    const policy = policyOf('once');
    const h = new History();
    h.deploy('test', '1.0.0', 0);
    const before = h.complete('test', 'validation', 'config', undefined, 5);
    const deployment = h.deploy('prod', '1.0.0', 5);
    const after = h.complete('test', 'validation', 'e2e', '1.0.0', 5);

    const trail = h.trail(deployment, policy);

    expect(trail.validation!.completions.map(e => e.completion.id)).toEqual([
      before.id,
    ]);
    expect(trail.validation!.later.map(e => e.completion.id)).toEqual([
      after.id,
    ]);
  });

  it('counts a completion undone after the deployment, and not one undone before it', () => {
    const policy = policyOf('once');
    const h = new History();
    h.deploy('test', '1.0.0', 0);
    const config = h.complete('test', 'validation', 'config', undefined, 1, {
      note: 'Checked the Helm values',
    });
    const e2e = h.complete('test', 'validation', 'e2e', '1.0.0', 2, {
      evidenceLink: 'https://ci.example.com/e2e/old',
    });
    h.undo(e2e, 3);
    const deployment = h.deploy('prod', '1.0.0', 10);
    h.undo(config, 20);
    const redone = h.complete('test', 'validation', 'config', undefined, 21);

    const trail = h.trail(deployment, policy);

    expect(trail.validation!.completions).toEqual([
      {
        completion: expect.objectContaining({
          id: config.id,
          itemId: 'config',
          completedBy: ALICE,
          completedAt: at(1),
          note: 'Checked the Helm values',
        }),
        itemTitle: 'Config mirrors prod',
        auditEvent: expect.objectContaining({
          seq: seqOf(h, 'checklist.completed', config.id),
        }),
        undoneAt: at(20),
      },
    ]);
    expect(trail.validation!.completions[0].completion.version).toBeUndefined();
    expect(trail.validation!.missing).toEqual([
      { id: 'e2e', title: 'End-to-end tests' },
    ]);
    expect(trail.validation!.later.map(e => e.completion.id)).toEqual([
      redone.id,
    ]);
  });

  it('on `every`, names the approved request for exactly that version, with the approvals that counted', () => {
    const policy = policyOf('every');
    const h = new History();
    h.validated('1.0.0', 0);
    const other = h.request('0.9.0', 5);
    h.approve(other, DAVE, 6, 'Old one');
    const request = h.request('1.0.0', 10);
    h.approve(request, ALICE, 11, 'My own');
    h.approve(request, DAVE, 12, 'Fine');
    h.approve(request, ERIN, 13, 'Fine too', 'request');
    const deployment = h.deploy('prod', '1.0.0', 20);

    const trail = h.trail(deployment, policy);

    expect(trail.approval.basis).toBe('request');
    expect(trail.approval.request?.id).toBe(request.id);
    expect(trail.approval.standingApproval).toBeUndefined();
    // The requester's own approval does not count where the policy forbids it.
    expect(
      trail.approval.approvals.map(a => [
        a.decision.decidedBy,
        a.decision.comment,
      ]),
    ).toEqual([
      [DAVE, 'Fine'],
      [ERIN, 'Fine too'],
    ]);
    expect(trail.approval.auditEvents.map(e => e.type)).toEqual([
      'request.created',
      'request.approved',
    ]);
  });

  it('on `every`, does not count a request approved after the deployment or one for another version', () => {
    const policy = policyOf('every');
    const h = new History();
    h.validated('1.0.0', 0);
    const other = h.request('0.9.0', 5);
    h.approve(other, DAVE, 6, 'A', undefined);
    h.approve(other, ERIN, 7, 'B', 'request');
    const request = h.request('1.0.0', 10);
    h.approve(request, DAVE, 11, 'Fine');
    const deployment = h.deploy('prod', '1.0.0', 15);
    h.approve(request, ERIN, 16, 'Late', 'request');

    expect(h.trail(deployment, policy).approval).toEqual({
      mode: 'every',
      basis: 'missing',
      approvals: [],
      auditEvents: [],
    });
  });

  it('on the first environment: no approval needed, nothing to validate before', () => {
    const policy = policyOf('once');
    const h = new History();
    const deployment = h.deploy('dev', '1.0.0', 0);

    const trail = h.trail(deployment, policy);

    expect(trail.approval).toEqual({
      mode: 'none',
      basis: 'none',
      approvals: [],
      auditEvents: [],
    });
    expect(trail.validation).toBeUndefined();
    expect(trail.signOff).toBeUndefined();
    expect(trail.postDeployment).toBeUndefined();
  });

  it('lists the post-deployment checklist of this deployment and what is still open', () => {
    const policy = policyOf('once');
    const h = new History();
    h.complete('prod', 'post-deployment', 'tickets', '1.0.0', -10);
    const first = h.deploy('prod', '1.0.0', 0);
    const tickets = h.complete(
      'prod',
      'post-deployment',
      'tickets',
      '1.0.0',
      5,
      {
        evidenceLink: 'https://jira.example.com/done',
      },
    );
    h.complete('prod', 'post-deployment', 'tickets', '1.1.0', 6);
    const second = h.deploy('prod', '1.0.0', 30);
    const monitor = h.complete(
      'prod',
      'post-deployment',
      'monitor-logs',
      '1.0.0',
      50,
    );

    const trail = h.trail(first, policy);
    expect(trail.postDeployment).toEqual({
      completions: [
        {
          completion: tickets,
          itemTitle: 'Tickets closed',
          auditEvent: expect.objectContaining({
            seq: seqOf(h, 'checklist.completed', tickets.id),
          }),
        },
      ],
      open: [
        { id: 'monitor-logs', title: 'Monitor logs', availableAt: at(15) },
      ],
    });

    // The next deployment of the same version has its own.
    expect(h.trail(second, policy).postDeployment).toEqual({
      completions: [expect.objectContaining({ completion: monitor })],
      open: [{ id: 'tickets', title: 'Tickets closed', availableAt: at(30) }],
    });

    const failed = h.deploy('prod', '1.2.0', 60, { status: 'failed' });
    expect(h.trail(failed, policy).postDeployment).toBeUndefined();
  });

  describe('after a rollback', () => {
    /** 1.0.0 and then 1.1.0 into Production on the standing approval; Production goes back to 1.0.0 at minute 50. */
    function rolledBack(mode: 'once' | 'every') {
      const h = new History();
      h.validated('1.0.0', 0);
      const request = h.request('1.0.0', 10);
      if (mode === 'once') {
        h.approve(request, DAVE, 11, 'Go', 'standing-approval');
      } else {
        h.approve(request, DAVE, 11, 'Go');
        h.approve(request, ERIN, 12, 'Go too', 'request');
      }
      const first = h.deploy('prod', '1.0.0', 20);
      h.validated('1.1.0', 30);
      if (mode === 'every') {
        const next = h.request('1.1.0', 35);
        h.approve(next, DAVE, 36, 'Go');
        h.approve(next, ERIN, 37, 'Go too', 'request');
      }
      h.deploy('prod', '1.1.0', 40);
      const rollback = h.rollback('1.1.0', '1.0.0', 50);
      return { h, first, rollback };
    }

    it('names the rollback, with its audit event, as what let its target back in with no approval', () => {
      const policy = policyOf('once');
      const { h, first, rollback } = rolledBack('once');
      const redeployed = h.deploy('prod', '1.0.0', 55);

      expect(h.trail(redeployed, policy).approval).toEqual({
        mode: 'once',
        basis: 'rollback-target',
        rollback,
        approvals: [],
        auditEvents: [
          expect.objectContaining({
            type: 'rollback.recorded',
            seq: seqOf(h, 'rollback.recorded', rollback.id),
          }),
        ],
      });
      // The first deployment of 1.0.0 went in on the standing approval: the
      // rollback came later.
      expect(h.trail(first, policy).approval).toMatchObject({
        basis: 'standing-approval',
      });
      expect(h.trail(first, policy).approval.rollback).toBeUndefined();
    });

    it('names the rollback on `every` too, before the old approved request of the version', () => {
      const policy = policyOf('every');
      const { h, rollback } = rolledBack('every');
      const redeployed = h.deploy('prod', '1.0.0', 55);

      expect(h.trail(redeployed, policy).approval).toMatchObject({
        mode: 'every',
        basis: 'rollback-target',
        rollback,
        approvals: [],
      });
      expect(h.trail(redeployed, policy).approval.request).toBeUndefined();
    });

    it('not once the next version has ended the rollback, nor for the reverted version', () => {
      const policy = policyOf('once');
      const { h } = rolledBack('once');
      const reverted = h.deploy('prod', '1.1.0', 52);
      expect(h.trail(reverted, policy).approval).toMatchObject({
        basis: 'missing',
      });

      h.validated('1.2.0', 60);
      h.deploy('prod', '1.2.0', 70);
      const afterwards = h.deploy('prod', '1.0.0', 80);
      expect(h.trail(afterwards, policy).approval).toEqual({
        mode: 'once',
        basis: 'missing',
        approvals: [],
        auditEvents: [],
      });
    });
  });

  it('keeps the environment id and no approval mode when the policy no longer has the environment', () => {
    const h = new History();
    const deployment = h.deploy('staging', '1.0.0', 0);

    const trail = h.trail(deployment, policyOf('once'));

    expect(trail.environmentTitle).toBe('staging');
    expect(trail.approval).toEqual({
      basis: 'missing',
      approvals: [],
      auditEvents: [],
    });
    expect(trail.validation).toBeUndefined();
  });
});

describe('trailEventFilter', () => {
  it('keeps only the events the trail of the deployment may cite', () => {
    const policy = policyOf('once');
    const h = new History();
    h.validated('1.0.0', 0);
    h.validated('2.0.0', 5);
    h.complete('test', 'validation', 'config', undefined, 9);
    h.complete('dev', 'validation', 'code', '1.0.0', 9);
    const request = h.request('1.0.0', 10);
    h.approve(request, DAVE, 11, 'Go', 'standing-approval');
    const deployment = h.deploy('prod', '1.0.0', 20);
    h.deploy('prod', '2.0.0', 21);
    h.complete('prod', 'post-deployment', 'tickets', '1.0.0', 22);
    h.complete('prod', 'post-deployment', 'tickets', '2.0.0', 22);

    const kept = h.events.filter(trailEventFilter(policy, deployment));

    expect(
      kept.map(e => [e.type, e.environmentId, e.version ?? 'flow']),
    ).toEqual([
      ['checklist.completed', 'test', '1.0.0'],
      ['sign-off.given', 'test', '1.0.0'],
      ['checklist.completed', 'test', 'flow'],
      ['request.created', 'prod', '1.0.0'],
      ['decision.recorded', 'prod', '1.0.0'],
      ['request.approved', 'prod', '1.0.0'],
      ['standing-approval.granted', 'prod', '1.0.0'],
      ['deployment.recorded', 'prod', '1.0.0'],
      ['checklist.completed', 'prod', '1.0.0'],
    ]);
  });
});

describe('trailEventsUntil', () => {
  it('reaches the last fact the trail lists after the deployment, and no further', () => {
    const policy = policyOf('once');
    const h = new History();
    h.validated('1.0.0', 0);
    const deployment = h.deploy('prod', '1.0.0', 20);
    expect(trailEventsUntil(policy, h.facts, deployment)).toEqual(
      new Date(at(20)),
    );

    h.complete('prod', 'post-deployment', 'tickets', '1.0.0', 40);
    h.signOff('1.0.0', 30, 'Again');
    h.complete('prod', 'post-deployment', 'tickets', '2.0.0', 90);
    h.signOff('2.0.0', 95, 'Other version');
    expect(trailEventsUntil(policy, h.facts, deployment)).toEqual(
      new Date(at(40)),
    );
  });
});

describe('readTrailEvents', () => {
  it('reads every page, keeping only the events asked for', async () => {
    const h = new History();
    for (let minute = 0; minute < 5; minute++) {
      h.deploy('dev', `1.0.${minute}`, minute);
    }
    const cursors: Array<string | undefined> = [];
    const fetchPage = async (cursor?: string) => {
      cursors.push(cursor);
      const start = cursor ? Number(cursor) : 0;
      const items = h.events.slice(start, start + 2);
      return {
        items,
        ...(start + 2 < h.events.length && { nextCursor: String(start + 2) }),
      };
    };

    const kept = await readTrailEvents(fetchPage, e => e.seq % 2 === 1);

    expect(cursors).toEqual([undefined, '2', '4']);
    expect(kept.map(e => e.seq)).toEqual([1, 3, 5]);
  });
});
