import type { Entity } from '@backstage/catalog-model';
import type {
  AuditEventRef,
  AuditEventType,
  DeploymentTrail,
  EnvironmentDefinition,
  FlowPermissions,
  FlowState,
  PromotionRequest,
  Insights,
} from '@promotion/plugin-promotion-common';
import type { InsightsQuery, PromotionApi } from '../api';

export const ENTITY_REF = 'component:default/payments-sftp';

export const entity: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'payments-sftp',
    namespace: 'default',
    annotations: { 'promotion.io/policy': 'standard' },
  },
  spec: { type: 'service', owner: 'group:default/payments' },
  relations: [
    { type: 'dependsOn', targetRef: 'component:default/ledger' },
    { type: 'dependsOn', targetRef: 'resource:default/payments-db' },
  ],
};

export const entityWithoutAnnotation: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: { name: 'legacy', namespace: 'default' },
  spec: { type: 'service', owner: 'group:default/payments' },
};

const dev: EnvironmentDefinition = {
  id: 'dev',
  title: 'Dev',
  checklist: [
    {
      id: 'code-reviewed',
      title: 'Code reviewed and merged',
      scope: 'version',
      evidenceRequired: false,
      resetOnRollback: true,
    },
  ],
  signOff: { required: false },
  approval: {
    mode: 'none',
    approvers: [],
    minApprovers: 1,
    allowSelfApproval: false,
  },
  postDeployment: [],
  postDeploymentRules: { blocksNextVersion: false, dueWithinSeconds: 86400 },
  rollback: { earlierVersionsDeployable: false },
};

const test: EnvironmentDefinition = {
  id: 'test',
  title: 'Test',
  checklist: [
    {
      id: 'smoke-tests',
      title: 'Smoke tests',
      scope: 'version',
      evidenceRequired: true,
      resetOnRollback: true,
    },
    {
      id: 'e2e-tests',
      title: 'End-to-end tests',
      scope: 'version',
      evidenceRequired: false,
      resetOnRollback: true,
    },
    {
      id: 'logging',
      title: 'Logging configured',
      scope: 'flow',
      evidenceRequired: false,
      resetOnRollback: true,
    },
  ],
  signOff: { required: true },
  approval: {
    mode: 'none',
    approvers: [],
    minApprovers: 1,
    allowSelfApproval: false,
  },
  postDeployment: [],
  postDeploymentRules: { blocksNextVersion: false, dueWithinSeconds: 86400 },
  rollback: { earlierVersionsDeployable: false },
};

const production: EnvironmentDefinition = {
  id: 'production',
  title: 'Production',
  checklist: [],
  signOff: { required: false },
  approval: {
    mode: 'once',
    approvers: ['group:default/directors'],
    minApprovers: 2,
    allowSelfApproval: false,
  },
  postDeployment: [
    {
      id: 'monitor-logs',
      title: 'Monitor logs',
      minimumWaitSeconds: 900,
      evidenceRequired: false,
    },
    {
      id: 'uptime-green',
      title: 'Uptime green',
      minimumWaitSeconds: 0,
      evidenceRequired: false,
    },
  ],
  // Off here so that the tab's tests can climb versions without waiting; the
  // rule has its own tests.
  postDeploymentRules: { blocksNextVersion: false, dueWithinSeconds: 86400 },
  rollback: { earlierVersionsDeployable: false },
};

export function pendingRequest(
  overrides: Partial<PromotionRequest> = {},
): PromotionRequest {
  return {
    id: 'r1',
    entityRef: ENTITY_REF,
    environmentId: 'production',
    version: '1.4.0',
    status: 'pending',
    dossier: {
      whatChanged: 'New **SFTP** retry logic',
      why: 'Partners asked for it',
      testResults: '- [x] Smoke tests',
      releaseNotes: 'Retries failed uploads',
    },
    dossierHash: 'hash-2',
    revision: 2,
    requestedBy: 'user:default/alice',
    createdAt: '2024-05-01T10:00:00.000Z',
    updatedAt: '2024-05-01T10:00:00.000Z',
    // Open whenever the tests run; the expiry tests set the clock past it.
    expiresAt: '2099-05-08T10:00:00.000Z',
    decisions: [
      {
        id: 'd1',
        requestId: 'r1',
        decision: 'approve',
        decidedBy: 'user:default/bob',
        decidedAt: '2024-05-01T11:00:00.000Z',
        comment: 'Fine by me',
        dossierHash: 'hash-2',
      },
      {
        id: 'd0',
        requestId: 'r1',
        decision: 'approve',
        decidedBy: 'user:default/carol',
        decidedAt: '2024-05-01T10:30:00.000Z',
        comment: 'Before the edit',
        dossierHash: 'hash-1',
        voidedAt: '2024-05-01T10:45:00.000Z',
      },
    ],
    ...overrides,
  };
}

/** Deployed to production `secondsAgo` seconds ago. */
export function flowState(options: { secondsAgo?: number } = {}): FlowState {
  const reportedAt = new Date(
    Date.now() - (options.secondsAgo ?? 3600) * 1000,
  ).toISOString();
  return {
    entityRef: ENTITY_REF,
    policy: {
      name: 'standard',
      title: 'Standard release process',
      environments: [dev, test, production],
    },
    environments: [
      {
        environment: dev,
        currentVersion: '1.4.0',
        checklist: [
          {
            id: 'c1',
            entityRef: ENTITY_REF,
            environmentId: 'dev',
            kind: 'validation',
            itemId: 'code-reviewed',
            version: '1.4.0',
            completedBy: 'user:default/alice',
            completedAt: '2024-04-30T09:00:00.000Z',
            evidenceLink: 'https://git.example.com/pr/42',
          },
        ],
        postDeployment: [],
        signOffs: [],
      },
      {
        environment: test,
        currentVersion: '1.4.0',
        checklist: [
          {
            id: 'c2',
            entityRef: ENTITY_REF,
            environmentId: 'test',
            kind: 'validation',
            itemId: 'smoke-tests',
            version: '1.4.0',
            completedBy: 'user:default/alice',
            completedAt: '2024-04-30T10:00:00.000Z',
            evidenceLink: 'https://ci.example.com/run/7',
            note: 'All green',
          },
        ],
        postDeployment: [],
        signOffs: [],
      },
      {
        environment: production,
        currentVersion: '1.3.0',
        currentDeployment: {
          id: 'dep-9',
          entityRef: ENTITY_REF,
          environmentId: 'production',
          version: '1.3.0',
          status: 'succeeded',
          reportedBy: 'service:ci',
          reportedAt,
          violation: false,
          unmetConditions: [],
        },
        checklist: [],
        postDeployment: [],
        signOffs: [],
        standingApproval: {
          id: 'sa1',
          entityRef: ENTITY_REF,
          environmentId: 'production',
          grantedAt: '2024-03-01T10:00:00.000Z',
          grantedBy: ['user:default/bob'],
          revokedAt: '2024-04-01T10:00:00.000Z',
          revokedBy: 'user:default/bob',
          revokeReason: 'Incident INC-7',
        },
      },
    ],
    nextGate: {
      entityRef: ENTITY_REF,
      environmentId: 'production',
      version: '1.4.0',
      open: false,
      unmetConditions: [
        {
          code: 'checklist-incomplete',
          message:
            'The Test checklist is incomplete for 1.4.0: End-to-end tests, Logging configured.',
          environmentId: 'test',
          itemIds: ['e2e-tests', 'logging'],
        },
        {
          code: 'sign-off-missing',
          message: 'Test has not been signed off for 1.4.0.',
          environmentId: 'test',
        },
        {
          code: 'approval-revoked',
          message:
            'The standing approval for Production was revoked: 1.4.0 needs a new approval.',
          environmentId: 'production',
        },
      ],
    },
    pendingRequests: [],
    rollbacks: [],
  };
}

/**
 * The trail of the Production deployment of `flowState()` (1.3.0): Alice
 * requested it, Bob approved it, Alice validated Test with evidence and
 * Carol signed it off, all before the deployment.
 */
export function deploymentTrail(
  overrides: Partial<DeploymentTrail> = {},
): DeploymentTrail {
  const deployed = flowState().environments[2].currentDeployment!;
  const event = (
    seq: number,
    type: AuditEventType,
    occurredAt: string,
  ): AuditEventRef => ({ seq, id: `event-${seq}`, type, occurredAt });
  const request = pendingRequest({
    id: 'r0',
    version: '1.3.0',
    status: 'approved',
    dossierHash: 'hash-9',
    decisions: [
      {
        id: 'd9',
        requestId: 'r0',
        decision: 'approve',
        decidedBy: 'user:default/bob',
        decidedAt: '2024-03-01T10:00:00.000Z',
        comment: 'Dossier read, tests in order',
        dossierHash: 'hash-9',
      },
    ],
  });
  return {
    entityRef: ENTITY_REF,
    environmentTitle: 'Production',
    deployment: {
      ...deployed,
      link: 'https://ci.example.com/deploy/9',
    },
    deploymentEvent: event(
      40,
      'deployment.recorded',
      '2024-03-01T12:00:00.000Z',
    ),
    approval: {
      mode: 'once',
      basis: 'standing-approval',
      standingApproval: {
        id: 'sa1',
        entityRef: ENTITY_REF,
        environmentId: 'production',
        requestId: 'r0',
        grantedAt: '2024-03-01T10:00:00.000Z',
        grantedBy: ['user:default/bob'],
      },
      request,
      approvals: [
        {
          decision: request.decisions[0],
          auditEvent: event(
            31,
            'decision.recorded',
            '2024-03-01T10:00:00.000Z',
          ),
        },
      ],
      auditEvents: [
        event(30, 'request.created', '2024-02-28T09:00:00.000Z'),
        event(32, 'request.approved', '2024-03-01T10:00:00.000Z'),
        event(33, 'standing-approval.granted', '2024-03-01T10:00:00.000Z'),
      ],
    },
    validation: {
      environmentId: 'test',
      environmentTitle: 'Test',
      completions: [
        {
          completion: {
            id: 'c7',
            entityRef: ENTITY_REF,
            environmentId: 'test',
            kind: 'validation',
            itemId: 'smoke-tests',
            version: '1.3.0',
            completedBy: 'user:default/alice',
            completedAt: '2024-02-27T10:00:00.000Z',
            evidenceLink: 'https://ci.example.com/run/5',
            note: 'All green',
          },
          itemTitle: 'Smoke tests',
          auditEvent: event(
            21,
            'checklist.completed',
            '2024-02-27T10:00:00.000Z',
          ),
        },
      ],
      missing: [],
      later: [],
    },
    signOff: {
      environmentId: 'test',
      environmentTitle: 'Test',
      required: true,
      signOffs: [
        {
          signOff: {
            id: 's1',
            entityRef: ENTITY_REF,
            environmentId: 'test',
            version: '1.3.0',
            signedOffBy: 'user:default/carol',
            signedOffAt: '2024-02-27T16:00:00.000Z',
            comment: 'Results confirmed with the partners',
          },
          auditEvent: event(25, 'sign-off.given', '2024-02-27T16:00:00.000Z'),
        },
      ],
      later: [],
    },
    postDeployment: { completions: [], open: [] },
    ...overrides,
  };
}

export function allowAll(): FlowPermissions {
  const yes = { allowed: true };
  return {
    recordDeployment: yes,
    completeChecklist: yes,
    signOff: yes,
    request: yes,
    approve: yes,
    revoke: yes,
    rollback: yes,
    readAudit: yes,
  };
}

/**
 * A fake PromotionApi: every method a jest mock with a sensible default;
 * pass overrides (plain functions or jest mocks) for what a test needs.
 */
export function createFakePromotionApi(
  overrides: Partial<PromotionApi> = {},
): jest.Mocked<PromotionApi> {
  const defaults: PromotionApi = {
    getFlow: async () => flowState(),
    getFlowPermissions: async () => allowAll(),
    getGate: async () => flowState().nextGate!,
    getFlowEvents: async () => ({ items: [] }),
    recordDeployment: async () => {
      throw new Error('not used by the UI');
    },
    getDeploymentTrail: async () => deploymentTrail(),
    completeChecklistItem: async (item, completion) => ({
      id: 'completion',
      entityRef: item.entityRef,
      environmentId: item.environmentId,
      kind: item.kind,
      itemId: item.itemId,
      version: completion.version,
      completedBy: 'user:default/dave',
      completedAt: new Date().toISOString(),
      evidenceLink: completion.evidenceLink,
      note: completion.note,
    }),
    undoChecklistItem: async () => {},
    signOff: async (entityRef, environmentId, signOff) => ({
      id: 'sign-off',
      entityRef,
      environmentId,
      version: signOff.version,
      signedOffBy: 'user:default/dave',
      signedOffAt: new Date().toISOString(),
      comment: signOff.comment,
    }),
    revokeStandingApproval: async () => [],
    recordRollback: async (entityRef, rollback) => ({
      id: 'rollback',
      entityRef,
      environmentId: rollback.environment,
      fromVersion: rollback.fromVersion ?? '',
      toVersion: rollback.toVersion,
      reason: rollback.reason,
      incidentLink: rollback.incidentLink,
      recordedBy: 'user:default/dave',
      recordedAt: new Date().toISOString(),
      revokedStandingApprovals: [],
      incidentReportRequested: !rollback.incidentLink,
    }),
    createRequest: async () => pendingRequest(),
    getRequest: async () => pendingRequest(),
    editRequest: async () => pendingRequest(),
    withdrawRequest: async () => pendingRequest({ status: 'withdrawn' }),
    decide: async () => pendingRequest(),
    getInbox: async () => ({ items: [] }),
    declareBreakGlass: async () => {
      throw new Error('declareBreakGlass: pass an override');
    },
    decideBreakGlass: async () => {
      throw new Error('decideBreakGlass: pass an override');
    },
    closeBreakGlassReview: async () => {
      throw new Error('closeBreakGlassReview: pass an override');
    },
    getBreakGlassInbox: async () => ({ items: [] }),
    getAuditEvents: async () => ({ items: [] }),
    exportAuditEvents: async () => new Blob(['']),
    verifyAuditChain: async () => ({
      intact: true,
      eventsChecked: 0,
      verifiedAt: new Date().toISOString(),
    }),
    getVerificationReport: async range => ({
      from: range.from ?? '',
      to: range.to ?? '',
      generatedAt: new Date().toISOString(),
      deploymentsChecked: 0,
      violations: [],
      pending: [],
      checks: [],
    }),
    downloadVerificationReport: async () => new Blob(['']),
    getInsights: async query => emptyInsights(query),
    downloadInsights: async () => new Blob(['']),
  };
  const methods = { ...defaults, ...overrides } as Record<
    string,
    (...args: any[]) => any
  >;
  return Object.fromEntries(
    Object.entries(methods).map(([name, method]) => [
      name,
      jest.isMockFunction(method) ? method : jest.fn(method),
    ]),
  ) as unknown as jest.Mocked<PromotionApi>;
}

/** Insights of a range where nothing happened. */
export function emptyInsights(query: InsightsQuery = {}): Insights {
  const none = { productionDeployments: 0, rollbacks: 0, violations: 0, breakGlass: 0, changeFailureRate: null };
  return {
    from: query.from ?? '2026-11-01T00:00:00.000Z',
    to: query.to ?? '2026-11-30T23:59:59.999Z',
    generatedAt: '2026-11-30T23:59:59.999Z',
    ...(query.flow && { flow: query.flow }),
    productionEnvironments: ['production'],
    approvalLeadTime: { count: 0, medianMs: null, p90Ms: null },
    devToProduction: { count: 0, medianMs: null, p90Ms: null, versions: [] },
    weeks: [{ weekStart: '2026-11-23', ...none }],
    totals: none,
    waiting: { count: 0, oldestMs: null, medianAgeMs: null },
  };
}
