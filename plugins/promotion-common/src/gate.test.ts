import { countingApprovers } from './approvals';
import {
  currentVersionIn,
  evaluateGate,
  nextStepFor,
  postDeploymentItemAvailableAt,
  refName,
  refsNamedByGate,
} from './gate';
import {
  BreakGlass,
  ChecklistCompletion,
  FlowFacts,
  PromotionPolicy,
} from './types';
import {
  codes,
  completion,
  decision,
  deployment,
  entityRef,
  facts,
  gate,
  postDeploymentDone,
  readyForProduction,
  regulated,
  request,
  signOff,
  standard,
  standingApproval,
  validated,
} from './__fixtures__/flowFacts';

describe('evaluateGate with break-glass', () => {
  const breakGlass = (parts: Partial<BreakGlass> = {}): BreakGlass => ({
    id: 'bg-1',
    entityRef,
    environmentId: 'production',
    version: '1.4.0',
    status: 'approved',
    reason: 'Bank down',
    incidentLink: 'https://incidents.example.com/1',
    declaredBy: 'user:default/alice',
    declaredAt: '2025-03-01T09:00:00.000Z',
    approvalsNeeded: 1,
    expiresAt: '2099-01-01T00:00:00.000Z',
    overriddenConditions: [],
    ...parts,
  });
  const closed = () => facts({ deployments: [deployment('dev', '1.4.0')] });

  it('opens a closed gate for exactly its version, listing what it overrides', () => {
    const unmet = gate('production', closed()).unmetConditions;
    expect(unmet.length).toBeGreaterThan(1);
    expect(
      gate('production', { ...closed(), breakGlasses: [breakGlass()] }),
    ).toEqual({
      entityRef,
      environmentId: 'production',
      version: '1.4.0',
      open: true,
      unmetConditions: [],
      approvedBy: 'break-glass',
      overriddenConditions: unmet,
      breakGlassId: 'bg-1',
    });
    expect(
      gate(
        'production',
        { ...closed(), breakGlasses: [breakGlass()] },
        standard,
        '1.5.0',
      ).open,
    ).toBe(false);
  });

  it('ignores a declaration that is pending, rejected, used, expired, for another environment or for another flow', () => {
    for (const other of [
      breakGlass({ status: 'pending' }),
      breakGlass({ status: 'rejected' }),
      breakGlass({ status: 'used', deploymentId: 'd-1' }),
      breakGlass({ expiresAt: '2020-01-01T00:00:00.000Z' }),
      breakGlass({ environmentId: 'test' }),
      breakGlass({ entityRef: 'component:default/other' }),
    ]) {
      expect(
        gate('production', { ...closed(), breakGlasses: [other] }).open,
      ).toBe(false);
    }
  });

  it('is not used where the gate is open anyway', () => {
    const result = gate('production', {
      ...readyForProduction(),
      standingApprovals: [standingApproval('production')],
      breakGlasses: [breakGlass()],
    });
    expect(result.open).toBe(true);
    expect(result.approvedBy).toBe('standing-approval');
    expect(result.breakGlassId).toBeUndefined();
  });
});

describe('evaluateGate', () => {
  describe('the first environment', () => {
    it('is open without any facts when it needs no approval', () => {
      expect(gate('dev', facts())).toEqual({
        entityRef,
        environmentId: 'dev',
        version: '1.4.0',
        open: true,
        unmetConditions: [],
        approvedBy: 'none',
      });
    });

    it('still applies its own approval rule', () => {
      const policy: PromotionPolicy = {
        ...standard,
        environments: [
          {
            ...standard.environments[0],
            approval: {
              mode: 'every',
              approvers: ['group:default/approvers'],
              minApprovers: 1,
              allowSelfApproval: false,
            },
          },
          ...standard.environments.slice(1),
        ],
      };
      const result = gate('dev', facts(), policy);
      expect(result.open).toBe(false);
      expect(result.approvedBy).toBeUndefined();
      expect(result.unmetConditions).toEqual([
        {
          code: 'approval-required',
          environmentId: 'dev',
          message:
            'Dev needs an approval for version 1.4.0: request promotion and wait for an approver.',
        },
      ]);
    });
  });

  it('reports an environment that is not on the ladder', () => {
    expect(gate('staging', readyForProduction())).toEqual({
      entityRef,
      environmentId: 'staging',
      version: '1.4.0',
      open: false,
      unmetConditions: [
        {
          code: 'unknown-environment',
          environmentId: 'staging',
          message:
            'Environment "staging" is not on the ladder of the Standard release ladder (standard) policy.',
        },
      ],
    });
  });

  it('opens Production once Dev and Test are done and a standing approval exists', () => {
    const result = gate('production', {
      ...readyForProduction(),
      standingApprovals: [standingApproval('production')],
    });
    expect(result.unmetConditions).toEqual([]);
    expect(result.open).toBe(true);
    expect(result.approvedBy).toBe('standing-approval');
  });

  describe('(1) deployment to every earlier environment', () => {
    it('needs the version deployed to the previous environment', () => {
      const flow = readyForProduction();
      flow.deployments = flow.deployments.filter(
        d => d.environmentId !== 'test',
      );
      flow.standingApprovals = [standingApproval('production')];
      expect(gate('production', flow).unmetConditions).toEqual([
        {
          code: 'previous-deployment-missing',
          environmentId: 'test',
          message: 'Version 1.4.0 has not been deployed successfully to Test.',
        },
      ]);
    });

    it('needs the version deployed to environments further down too', () => {
      const flow = readyForProduction();
      flow.deployments = flow.deployments.filter(
        d => d.environmentId !== 'dev',
      );
      flow.standingApprovals = [standingApproval('production')];
      expect(codes(gate('production', flow))).toEqual([
        ['previous-deployment-missing', 'dev'],
      ]);
    });

    it('does not count failed deployments or other versions', () => {
      const flow = readyForProduction();
      flow.deployments = [
        deployment('dev', '1.4.0'),
        deployment('test', '1.4.0', { status: 'failed' }),
        deployment('test', '1.3.0'),
      ];
      flow.standingApprovals = [standingApproval('production')];
      expect(codes(gate('production', flow))).toEqual([
        ['previous-deployment-missing', 'test'],
      ]);
    });

    it('reports a version that was rolled back', () => {
      const flow = readyForProduction();
      flow.deployments = [
        deployment('dev', '1.4.0'),
        deployment('test', '1.4.0', {
          rolledBackAt: '2025-03-02T08:00:00.000Z',
          rollbackId: 'rollback-1',
        }),
        deployment('test', '1.4.0', {
          reportedAt: '2025-03-02T10:00:00.000Z',
          rolledBackAt: '2025-03-02T14:30:00.000Z',
          rollbackId: 'rollback-2',
        }),
      ];
      flow.standingApprovals = [standingApproval('production')];
      expect(gate('production', flow).unmetConditions).toEqual([
        {
          code: 'version-rolled-back',
          environmentId: 'test',
          message:
            'Version 1.4.0 was rolled back from Test on 2025-03-02 14:30 UTC: it must be deployed there successfully again.',
        },
      ]);
    });

    it('accepts a version deployed again after its rollback', () => {
      const flow = readyForProduction();
      flow.deployments = [
        deployment('dev', '1.4.0'),
        deployment('test', '1.4.0', {
          rolledBackAt: '2025-03-02T08:00:00.000Z',
        }),
        deployment('test', '1.4.0', {
          reportedAt: '2025-03-02T10:00:00.000Z',
        }),
      ];
      flow.standingApprovals = [standingApproval('production')];
      expect(gate('production', flow).open).toBe(true);
    });
  });

  describe('(2) the previous environment checklist', () => {
    it('lists the missing items by title, with their ids', () => {
      const flow = readyForProduction();
      flow.checklistCompletions = flow.checklistCompletions.filter(
        c => !['smoke-tests', 'alerts'].includes(c.itemId),
      );
      flow.standingApprovals = [standingApproval('production')];
      expect(gate('production', flow).unmetConditions).toEqual([
        {
          code: 'checklist-incomplete',
          environmentId: 'test',
          itemIds: ['smoke-tests', 'alerts'],
          message:
            'Test checklist is incomplete for version 1.4.0: Smoke tests passed, Alerts configured.',
        },
      ]);
    });

    it('needs version-scoped items completed for this version', () => {
      const flow = readyForProduction(standard, '1.3.0');
      flow.deployments = [
        deployment('dev', '1.4.0'),
        deployment('test', '1.4.0'),
      ];
      flow.signOffs = [signOff('test', '1.4.0')];
      flow.standingApprovals = [standingApproval('production')];
      const result = gate('production', flow);
      expect(codes(result)).toEqual([['checklist-incomplete', 'test']]);
      // The flow-scoped item, completed once for the flow, still counts.
      expect(result.unmetConditions[0].itemIds).toEqual([
        'smoke-tests',
        'end-to-end-tests',
        'no-regressions',
        'logging',
        'alerts',
        'permissions',
        'multi-tenant-isolation',
        'integration-dependencies',
      ]);
    });

    it('needs flow-scoped items completed for the flow, not for one version', () => {
      const flow = readyForProduction();
      flow.checklistCompletions = flow.checklistCompletions.map(c =>
        c.itemId === 'config-mirrors-production'
          ? { ...c, version: '1.4.0' }
          : c,
      );
      flow.standingApprovals = [standingApproval('production')];
      const result = gate('production', flow);
      expect(result.unmetConditions).toEqual([
        expect.objectContaining({
          code: 'checklist-incomplete',
          itemIds: ['config-mirrors-production'],
        }),
      ]);
    });

    it('accepts flow-scoped completions read from a database as null', () => {
      const flow = readyForProduction();
      flow.checklistCompletions = flow.checklistCompletions.map(c =>
        c.itemId === 'config-mirrors-production'
          ? ({ ...c, version: null } as unknown as ChecklistCompletion)
          : c,
      );
      flow.standingApprovals = [standingApproval('production')];
      expect(gate('production', flow).open).toBe(true);
    });

    it('does not count post-deployment completions or other environments', () => {
      const flow = readyForProduction();
      flow.checklistCompletions = flow.checklistCompletions.map(c =>
        c.itemId === 'logging' ? { ...c, kind: 'post-deployment' } : c,
      );
      flow.checklistCompletions.push(
        completion('dev', 'validation', 'alerts', '1.4.0'),
      );
      flow.checklistCompletions = flow.checklistCompletions.filter(
        c => !(c.itemId === 'alerts' && c.environmentId === 'test'),
      );
      flow.standingApprovals = [standingApproval('production')];
      expect(gate('production', flow).unmetConditions[0].itemIds).toEqual([
        'logging',
        'alerts',
      ]);
    });

    it('only looks at the previous environment, not those below it', () => {
      const flow = readyForProduction();
      flow.checklistCompletions = flow.checklistCompletions.filter(
        c => c.environmentId !== 'dev',
      );
      flow.standingApprovals = [standingApproval('production')];
      expect(gate('production', flow).open).toBe(true);
    });
  });

  describe('(3) the previous environment sign-off', () => {
    it('is needed where the policy requires one', () => {
      const flow = readyForProduction();
      flow.signOffs = [signOff('test', '1.3.0'), signOff('dev', '1.4.0')];
      flow.standingApprovals = [standingApproval('production')];
      expect(gate('production', flow).unmetConditions).toEqual([
        {
          code: 'sign-off-missing',
          environmentId: 'test',
          message: 'The owner has not signed off Test for version 1.4.0.',
        },
      ]);
    });

    it('is not needed where the policy does not require one', () => {
      const flow = facts({
        deployments: [deployment('dev', '1.4.0')],
        checklistCompletions: validated(standard, 'dev', '1.4.0'),
      });
      expect(gate('test', flow)).toMatchObject({
        open: true,
        approvedBy: 'none',
      });
    });
  });

  describe('(4) the previous environment post-deployment checklist', () => {
    const productionDone = () => {
      const flow = readyForProduction();
      flow.deployments.push(deployment('production', '1.4.0'));
      flow.standingApprovals = [standingApproval('production')];
      flow.checklistCompletions.push(
        ...postDeploymentDone(standard, 'production', '1.4.0'),
      );
      return flow;
    };

    it('opens DR once Production post-deployment checklist is complete', () => {
      expect(gate('dr', productionDone())).toMatchObject({
        open: true,
        unmetConditions: [],
        approvedBy: 'none',
      });
    });

    it('lists the missing post-deployment items', () => {
      const flow = productionDone();
      flow.checklistCompletions = flow.checklistCompletions.filter(
        c =>
          !(
            c.kind === 'post-deployment' &&
            ['monitor-logs', 'tickets-closed'].includes(c.itemId)
          ),
      );
      // A completion for another version does not count.
      flow.checklistCompletions.push(
        completion('production', 'post-deployment', 'monitor-logs', '1.3.0'),
      );
      expect(gate('dr', flow).unmetConditions).toEqual([
        {
          code: 'post-deployment-incomplete',
          environmentId: 'production',
          itemIds: ['monitor-logs', 'tickets-closed'],
          message:
            'Production post-deployment checklist is incomplete for version 1.4.0: Application logs monitored for errors, Related tickets closed.',
        },
      ]);
    });
  });

  describe('(5) approval mode once', () => {
    it('needs a standing approval', () => {
      const result = gate('production', readyForProduction());
      expect(result.open).toBe(false);
      expect(result.approvedBy).toBeUndefined();
      expect(result.unmetConditions).toEqual([
        {
          code: 'approval-required',
          environmentId: 'production',
          message:
            'Production needs a one-time approval: request promotion and wait for an approver.',
        },
      ]);
    });

    it('does not count a standing approval of another environment', () => {
      const flow = readyForProduction();
      flow.standingApprovals = [standingApproval('test')];
      expect(codes(gate('production', flow))).toEqual([
        ['approval-required', 'production'],
      ]);
    });

    it('reports a revoked standing approval with when, who and why', () => {
      const flow = readyForProduction();
      flow.standingApprovals = [
        standingApproval('production', {
          revokedAt: '2025-03-05T08:15:00.000Z',
          revokedBy: 'user:default/sre',
          revokeReason: 'rollback of 1.3.0',
        }),
        standingApproval('production', {
          revokedAt: '2025-02-01T08:15:00.000Z',
          revokedBy: 'user:default/director',
        }),
      ];
      expect(gate('production', flow).unmetConditions).toEqual([
        {
          code: 'approval-revoked',
          environmentId: 'production',
          message:
            'The standing approval for Production was revoked on 2025-03-05 08:15 UTC by sre (rollback of 1.3.0): request promotion again and wait for an approver.',
        },
      ]);
    });

    it('opens again once a new standing approval is granted', () => {
      const flow = readyForProduction();
      flow.standingApprovals = [
        standingApproval('production', {
          revokedAt: '2025-03-05T08:15:00.000Z',
        }),
        standingApproval('production', {
          grantedAt: '2025-03-06T08:15:00.000Z',
        }),
      ];
      expect(gate('production', flow)).toMatchObject({
        open: true,
        approvedBy: 'standing-approval',
      });
    });

    it('reports a pending request for the version instead', () => {
      const flow = readyForProduction();
      flow.standingApprovals = [
        standingApproval('production', {
          revokedAt: '2025-03-05T08:15:00.000Z',
        }),
      ];
      flow.requests = [request('production', '1.4.0')];
      expect(gate('production', flow).unmetConditions).toEqual([
        {
          code: 'approval-pending',
          environmentId: 'production',
          requestId: 'req-1',
          message:
            'Waiting for approval: 0 of 1 approval on the request by dev of 2025-03-04 08:00 UTC for version 1.4.0 into Production.',
        },
      ]);
    });

    it('counts a pending request for another version, since the approval is for the flow', () => {
      const flow = readyForProduction();
      flow.requests = [request('production', '1.3.9', { id: 'req-older' })];
      expect(gate('production', flow).unmetConditions).toEqual([
        expect.objectContaining({
          code: 'approval-pending',
          requestId: 'req-older',
        }),
      ]);
    });

    it('ignores a pending request that has expired', () => {
      const flow = readyForProduction();
      flow.requests = [
        request('production', '1.4.0', {
          expiresAt: '2025-03-10T11:59:59.000Z',
        }),
      ];
      expect(codes(gate('production', flow))).toEqual([
        ['approval-required', 'production'],
      ]);
    });

    it('does not count an approved request without a standing approval', () => {
      const flow = readyForProduction();
      flow.requests = [request('production', '1.4.0', { status: 'approved' })];
      expect(codes(gate('production', flow))).toEqual([
        ['approval-required', 'production'],
      ]);
    });
  });

  describe('(5) approval mode every', () => {
    it('opens with an approved request for exactly this version', () => {
      const flow = readyForProduction(regulated);
      flow.requests = [request('production', '1.4.0', { status: 'approved' })];
      expect(gate('production', flow, regulated)).toMatchObject({
        open: true,
        unmetConditions: [],
        approvedBy: 'request',
      });
    });

    it('does not count an approval of another version or a standing approval', () => {
      const flow = readyForProduction(regulated);
      flow.requests = [request('production', '1.3.0', { status: 'approved' })];
      flow.standingApprovals = [standingApproval('production')];
      expect(gate('production', flow, regulated).unmetConditions).toEqual([
        {
          code: 'approval-required',
          environmentId: 'production',
          message:
            'Production needs an approval for version 1.4.0: request promotion and wait for an approver.',
        },
      ]);
    });

    it('says when the last request was rejected', () => {
      const flow = readyForProduction(regulated);
      flow.requests = [request('production', '1.4.0', { status: 'rejected' })];
      expect(gate('production', flow, regulated).unmetConditions).toEqual([
        expect.objectContaining({
          code: 'approval-required',
          message:
            'Production needs an approval for version 1.4.0: the last request was rejected; request promotion again and wait for an approver.',
        }),
      ]);
    });

    it('shows the progress of a pending request with partial quorum', () => {
      const flow = readyForProduction(regulated);
      flow.requests = [
        request('production', '1.4.0', {
          decisions: [
            decision('user:default/director'),
            // The same approver twice counts once.
            decision('user:default/director'),
          ],
        }),
      ];
      expect(gate('production', flow, regulated).unmetConditions).toEqual([
        {
          code: 'approval-pending',
          environmentId: 'production',
          requestId: 'req-1',
          message:
            'Waiting for approval: 1 of 2 approvals on the request by dev of 2025-03-04 08:00 UTC for version 1.4.0 into Production.',
        },
      ]);
    });

    it('does not count voided decisions, decisions on an older dossier or self-approval', () => {
      const flow = readyForProduction(regulated);
      flow.requests = [
        request('production', '1.4.0', {
          decisions: [
            decision('user:default/director', {
              dossierHash: 'hash-1',
              voidedAt: '2025-03-04T08:30:00.000Z',
            }),
            decision('user:default/cfo', { dossierHash: 'hash-1' }),
            decision('user:default/dev'),
            decision('user:default/ciso', { decision: 'reject' }),
            decision('user:default/auditor', {
              voidedAt: '2025-03-04T08:30:00.000Z',
            }),
          ],
        }),
      ];
      expect(gate('production', flow, regulated).unmetConditions).toEqual([
        expect.objectContaining({
          code: 'approval-pending',
          message:
            'Waiting for approval: 0 of 2 approvals on the request by dev of 2025-03-04 08:00 UTC for version 1.4.0 into Production.',
        }),
      ]);
    });

    it('does not count a pending request for another version', () => {
      const flow = readyForProduction(regulated);
      flow.requests = [request('production', '1.3.0')];
      expect(codes(gate('production', flow, regulated))).toEqual([
        ['approval-required', 'production'],
      ]);
    });

    it('picks the newest pending request for the version', () => {
      const flow = readyForProduction(regulated);
      flow.requests = [
        request('production', '1.4.0', { id: 'req-old' }),
        request('production', '1.4.0', {
          id: 'req-new',
          createdAt: '2025-03-05T08:00:00.000Z',
        }),
      ];
      expect(gate('production', flow, regulated).unmetConditions[0]).toEqual(
        expect.objectContaining({ requestId: 'req-new' }),
      );
    });
  });

  describe('people in its words', () => {
    const names: Record<string, string> = {
      'user:default/dev': 'Dana Dev',
      'user:default/sre': 'Sam Reyes',
    };
    const displayName = (ref: string) => names[ref] ?? `unknown ${ref}`;
    const worded = (flowFacts: FlowFacts, policy = standard) =>
      evaluateGate({
        entityRef,
        policy,
        facts: flowFacts,
        environmentId: 'production',
        version: '1.4.0',
        now: new Date('2025-03-10T12:00:00.000Z'),
        displayName,
      });

    it('names the requester of a pending request as the lookup does, and keeps its id for machines', () => {
      const flow = readyForProduction(regulated);
      flow.requests = [
        request('production', '1.4.0', {
          id: 'req-7',
          decisions: [decision('user:default/director')],
        }),
      ];
      expect(worded(flow, regulated).unmetConditions).toEqual([
        {
          code: 'approval-pending',
          environmentId: 'production',
          requestId: 'req-7',
          message:
            'Waiting for approval: 1 of 2 approvals on the request by Dana Dev of 2025-03-04 08:00 UTC for version 1.4.0 into Production.',
        },
      ]);
    });

    it('names who revoked a standing approval as the lookup does', () => {
      const flow = readyForProduction();
      flow.standingApprovals = [
        standingApproval('production', {
          revokedAt: '2025-03-05T08:15:00.000Z',
          revokedBy: 'user:default/sre',
        }),
      ];
      expect(worded(flow).unmetConditions).toEqual([
        expect.objectContaining({
          code: 'approval-revoked',
          message:
            'The standing approval for Production was revoked on 2025-03-05 08:15 UTC by Sam Reyes: request promotion again and wait for an approver.',
        }),
      ]);
    });

    it('names a service by its subject without a lookup', () => {
      const flow = readyForProduction();
      flow.standingApprovals = [
        standingApproval('production', {
          revokedAt: '2025-03-05T08:15:00.000Z',
          revokedBy: 'service:external:ci',
        }),
      ];
      expect(gate('production', flow).unmetConditions[0].message).toContain(
        ' by external:ci (service): ',
      );
    });

    it('lists the refs its sentences may name: revokers and requesters of pending requests', () => {
      const flow = facts({
        standingApprovals: [
          standingApproval('production', {
            revokedAt: '2025-03-05T08:15:00.000Z',
            revokedBy: 'user:default/sre',
          }),
          standingApproval('production'),
        ],
        requests: [
          request('production', '1.4.0'),
          request('production', '1.4.0', { id: 'req-2' }),
          request('production', '1.3.0', {
            status: 'approved',
            requestedBy: 'user:default/old',
          }),
        ],
      });
      expect(refsNamedByGate(flow)).toEqual([
        'user:default/sre',
        'user:default/dev',
      ]);
    });
  });

  describe('combined conditions', () => {
    it('lists every unmet condition in ladder order', () => {
      expect(codes(gate('production', facts()))).toEqual([
        ['previous-deployment-missing', 'dev'],
        ['previous-deployment-missing', 'test'],
        ['checklist-incomplete', 'test'],
        ['sign-off-missing', 'test'],
        ['approval-required', 'production'],
      ]);
      expect(codes(gate('dr', facts()))).toEqual([
        ['previous-deployment-missing', 'dev'],
        ['previous-deployment-missing', 'test'],
        ['previous-deployment-missing', 'production'],
        ['post-deployment-incomplete', 'production'],
      ]);
    });

    it('reports a rolled-back version together with a pending approval', () => {
      const flow = readyForProduction(regulated);
      flow.deployments[0].rolledBackAt = '2025-03-02T08:00:00.000Z';
      flow.signOffs = [];
      flow.requests = [
        request('production', '1.4.0', {
          decisions: [decision('user:default/director')],
        }),
      ];
      const result = gate('production', flow, regulated);
      expect(result.open).toBe(false);
      expect(codes(result)).toEqual([
        ['version-rolled-back', 'dev'],
        ['sign-off-missing', 'test'],
        ['approval-pending', 'production'],
      ]);
    });

    it('reports how the approval rule is met even while other conditions are not', () => {
      const result = gate('production', {
        ...facts(),
        standingApprovals: [standingApproval('production')],
      });
      expect(result.open).toBe(false);
      expect(result.approvedBy).toBe('standing-approval');
    });
  });

  it('ignores facts recorded for another flow', () => {
    const other = (items: any[]) =>
      items.map(item => ({ ...item, entityRef: 'component:default/other' }));
    const ready = readyForProduction();
    const flow = facts({
      deployments: other(ready.deployments),
      checklistCompletions: other(ready.checklistCompletions),
      signOffs: other(ready.signOffs),
      standingApprovals: other([standingApproval('production')]),
    });
    expect(codes(gate('production', flow))).toEqual([
      ['previous-deployment-missing', 'dev'],
      ['previous-deployment-missing', 'test'],
      ['checklist-incomplete', 'test'],
      ['sign-off-missing', 'test'],
      ['approval-required', 'production'],
    ]);
  });

  it('uses the current time when none is given', () => {
    const flow = readyForProduction();
    flow.requests = [
      request('production', '1.4.0', { expiresAt: '2000-01-01T00:00:00Z' }),
    ];
    const result = evaluateGate({
      entityRef,
      policy: standard,
      facts: flow,
      environmentId: 'production',
      version: '1.4.0',
    });
    expect(result.unmetConditions[0].code).toBe('approval-required');
  });
});

describe('currentVersionIn', () => {
  it('is the newest successful deployment that was not rolled back', () => {
    const flow = facts({
      deployments: [
        deployment('test', '1.2.0', { reportedAt: '2025-03-01T10:00:00Z' }),
        deployment('test', '1.3.0', { reportedAt: '2025-03-02T10:00:00Z' }),
        deployment('test', '1.4.0', {
          reportedAt: '2025-03-03T10:00:00Z',
          rolledBackAt: '2025-03-03T11:00:00Z',
        }),
        deployment('test', '1.5.0', {
          reportedAt: '2025-03-04T10:00:00Z',
          status: 'failed',
        }),
        deployment('dev', '1.6.0', { reportedAt: '2025-03-05T10:00:00Z' }),
      ],
    });
    expect(currentVersionIn(flow, 'test')?.version).toBe('1.3.0');
    expect(currentVersionIn(flow, 'dev')?.version).toBe('1.6.0');
    expect(currentVersionIn(flow, 'production')).toBeUndefined();
  });

  it('compares times, not strings', () => {
    const flow = facts({
      deployments: [
        deployment('test', '1.3.0', { reportedAt: '2025-03-02T10:00:00Z' }),
        deployment('test', '1.2.0', {
          reportedAt: '2025-03-02T09:00:00.000-05:00',
        }),
      ],
    });
    expect(currentVersionIn(flow, 'test')?.version).toBe('1.2.0');
  });
});

describe('nextStepFor', () => {
  const at = (day: number) => `2025-03-0${day}T10:00:00Z`;

  it('is nothing before the first deployment', () => {
    expect(nextStepFor(standard, facts())).toBeUndefined();
  });

  it('takes the version of the lowest environment one rung up', () => {
    const flow = facts({
      deployments: [
        deployment('dev', '1.4.0', { reportedAt: at(1) }),
        deployment('test', '1.4.0', { reportedAt: at(2) }),
        deployment('production', '1.4.0', { reportedAt: at(3) }),
        deployment('dev', '1.5.0', { reportedAt: at(4) }),
      ],
    });
    expect(nextStepFor(standard, flow)).toEqual({
      environmentId: 'test',
      version: '1.5.0',
    });
  });

  it('moves up once the version reached the environment above', () => {
    const flow = facts({
      deployments: [
        deployment('dev', '1.5.0', { reportedAt: at(1) }),
        deployment('test', '1.5.0', { reportedAt: at(2) }),
        deployment('production', '1.4.0', { reportedAt: at(1) }),
      ],
    });
    expect(nextStepFor(standard, flow)).toEqual({
      environmentId: 'production',
      version: '1.5.0',
    });
  });

  it('is nothing when every environment holds the same version', () => {
    const flow = facts({
      deployments: ['dev', 'test', 'production', 'dr'].map((env, i) =>
        deployment(env, '1.5.0', { reportedAt: at(i + 1) }),
      ),
    });
    expect(nextStepFor(standard, flow)).toBeUndefined();
  });

  it('offers a rolled-back version again', () => {
    const flow = facts({
      deployments: [
        deployment('dev', '1.5.0', { reportedAt: at(3) }),
        deployment('test', '1.4.0', { reportedAt: at(1) }),
        deployment('test', '1.5.0', {
          reportedAt: at(4),
          rolledBackAt: at(5),
        }),
      ],
    });
    expect(nextStepFor(standard, flow)).toEqual({
      environmentId: 'test',
      version: '1.5.0',
    });
  });

  it('never suggests a downgrade', () => {
    const flow = facts({
      deployments: [
        deployment('dev', '1.4.0', { reportedAt: at(1) }),
        deployment('dev', '1.5.0', {
          reportedAt: at(3),
          rolledBackAt: at(5),
        }),
        deployment('test', '1.5.0', { reportedAt: at(4) }),
      ],
    });
    expect(nextStepFor(standard, flow)).toEqual({
      environmentId: 'production',
      version: '1.5.0',
    });
  });
});

describe('postDeploymentItemAvailableAt', () => {
  it('is the deployment time plus the minimum wait', () => {
    const [monitorLogs, criticalPaths] =
      standard.environments[2].postDeployment;
    const production = deployment('production', '1.4.0', {
      reportedAt: '2025-03-01T10:00:00.000Z',
    });
    expect(
      postDeploymentItemAvailableAt(production, monitorLogs).toISOString(),
    ).toBe('2025-03-01T10:15:00.000Z');
    expect(
      postDeploymentItemAvailableAt(production, criticalPaths).toISOString(),
    ).toBe('2025-03-01T10:00:00.000Z');
  });
});

describe('refName', () => {
  it('is the name part of an entity ref, the subject of a service, or the text itself', () => {
    expect(refName('user:default/alice')).toBe('alice');
    expect(refName('group:team-a/approvers')).toBe('approvers');
    expect(refName('service:external:ci')).toBe('external:ci (service)');
    expect(refName('')).toBe('');
  });
});

describe('countingApprovers', () => {
  it('counts the requester only where self-approval is allowed', () => {
    const pending = request('production', '1.4.0', {
      decisions: [decision('user:default/dev'), decision('user:default/ops')],
    });
    expect(countingApprovers(pending, { allowSelfApproval: false })).toEqual([
      'user:default/ops',
    ]);
    expect(countingApprovers(pending, { allowSelfApproval: true })).toEqual([
      'user:default/dev',
      'user:default/ops',
    ]);
  });
});
