import {
  EnvironmentDefinition,
  PromotionRequest,
  readPromotionConfig,
} from '@promotion/plugin-promotion-common';
import {
  approverEligibility,
  currentApprovers,
  decisionEligibility,
} from './approvers';

const production = (approval: Record<string, unknown>): EnvironmentDefinition =>
  readPromotionConfig({
    policies: {
      p: {
        environments: [{ id: 'prod', title: 'Production', approval }],
      },
    },
  }).policies.p.environments[0];

const dave = {
  userEntityRef: 'user:default/director-dave',
  ownershipEntityRefs: [
    'user:default/director-dave',
    'group:default/directors',
  ],
};
const alice = {
  userEntityRef: 'user:default/dev-alice',
  ownershipEntityRefs: ['user:default/dev-alice', 'group:default/team'],
};

const pending = (
  overrides: Partial<PromotionRequest> = {},
): PromotionRequest => ({
  id: 'r1',
  entityRef: 'component:default/payments-sftp',
  environmentId: 'prod',
  version: '1.0.0',
  status: 'pending',
  dossier: { whatChanged: 'a', why: 'b', testResults: '', releaseNotes: '' },
  dossierHash: 'h2',
  revision: 2,
  requestedBy: alice.userEntityRef,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  expiresAt: '2025-01-15T00:00:00.000Z',
  decisions: [],
  ...overrides,
});

describe('approverEligibility', () => {
  it('admits approvers named directly or through a group, in any letter case', () => {
    const byGroup = production({
      mode: 'once',
      approvers: ['group:Directors'],
    });
    expect(approverEligibility(byGroup, dave)).toEqual({ allowed: true });
    expect(approverEligibility(byGroup, alice)).toEqual({
      allowed: false,
      kind: 'forbidden',
      reason:
        'you are not an approver for Production (approvers: group:default/directors)',
    });
    const byUser = production({
      mode: 'every',
      approvers: ['user:default/dev-alice'],
    });
    expect(approverEligibility(byUser, alice).allowed).toBe(true);
  });

  it('admits nobody where no approval is needed', () => {
    expect(
      approverEligibility(production({ mode: 'none' }), dave),
    ).toMatchObject({ allowed: false, reason: 'Production needs no approval' });
  });
});

describe('decisionEligibility', () => {
  const environment = production({
    mode: 'once',
    approvers: ['group:default/directors', 'user:default/dev-alice'],
  });

  it('refuses the requester approving their own request unless the policy allows it', () => {
    expect(
      decisionEligibility({
        environment,
        request: pending(),
        identity: alice,
        decision: 'approve',
      }),
    ).toEqual({
      allowed: false,
      kind: 'forbidden',
      reason: 'you requested this promotion, so you cannot approve it',
    });
    expect(
      decisionEligibility({
        environment: production({
          mode: 'once',
          approvers: ['user:default/dev-alice'],
          allowSelfApproval: true,
        }),
        request: pending(),
        identity: alice,
        decision: 'approve',
      }),
    ).toEqual({ allowed: true });
  });

  it('calls deciding a finished request, or approving twice, a conflict', () => {
    expect(
      decisionEligibility({
        environment,
        request: pending({ status: 'withdrawn' }),
        identity: dave,
        decision: 'reject',
      }),
    ).toMatchObject({ allowed: false, kind: 'conflict' });
    const approvedOnce = pending({
      decisions: [
        {
          id: 'd1',
          requestId: 'r1',
          decision: 'approve',
          decidedBy: dave.userEntityRef,
          decidedAt: '2025-01-01T01:00:00.000Z',
          comment: 'ok',
          dossierHash: 'h2',
        },
      ],
    });
    expect(
      decisionEligibility({
        environment,
        request: approvedOnce,
        identity: dave,
        decision: 'approve',
      }),
    ).toEqual({
      allowed: false,
      kind: 'conflict',
      reason: 'you have already approved this dossier',
    });
  });
});

describe('currentApprovers', () => {
  it('counts each person once, and only approvals of the current dossier', () => {
    const decision = (
      id: string,
      decidedBy: string,
      dossierHash: string,
      voidedAt?: string,
    ) => ({
      id,
      requestId: 'r1',
      decision: 'approve' as const,
      decidedBy,
      decidedAt: '2025-01-01T01:00:00.000Z',
      comment: 'ok',
      dossierHash,
      ...(voidedAt && { voidedAt }),
    });
    const request = pending({
      decisions: [
        decision('d1', 'user:default/a', 'h1', '2025-01-02T00:00:00.000Z'),
        decision('d2', 'user:default/b', 'h2'),
        decision('d3', 'user:default/B', 'h2'),
        decision('d4', 'user:default/c', 'h2'),
      ],
    });
    expect(currentApprovers(request)).toEqual([
      'user:default/b',
      'user:default/c',
    ]);
  });
});
