import { readPromotionConfig } from '../config';
import { evaluateGate } from '../gate';
import {
  ChecklistCompletion,
  Decision,
  Deployment,
  FlowFacts,
  PromotionPolicy,
  PromotionRequest,
  Rollback,
  SignOff,
  StandingApproval,
} from '../types';
import { seedsPromotionConfig } from './promotionConfig';

/*
 * Recorded facts of one flow on the seeds' ladders, for the gate's tests:
 * builders that fill in what a test does not care about.
 */

export const config = readPromotionConfig(seedsPromotionConfig);
export const standard = config.policies.standard;
export const regulated = config.policies.regulated;
export const entityRef = 'component:default/payments-sftp';
export const now = new Date('2025-03-10T12:00:00Z');
let nextId = 1;

export function deployment(
  environmentId: string,
  version: string,
  overrides: Partial<Deployment> = {},
): Deployment {
  return {
    id: `deployment-${nextId++}`,
    entityRef,
    environmentId,
    version,
    status: 'succeeded',
    reportedBy: 'service:ci',
    reportedAt: '2025-03-01T10:00:00.000Z',
    violation: false,
    unmetConditions: [],
    ...overrides,
  };
}

export function completion(
  environmentId: string,
  kind: ChecklistCompletion['kind'],
  itemId: string,
  version?: string,
): ChecklistCompletion {
  return {
    id: `completion-${nextId++}`,
    entityRef,
    environmentId,
    kind,
    itemId,
    ...(version !== undefined && { version }),
    completedBy: 'user:default/dev',
    completedAt: '2025-03-01T11:00:00.000Z',
  };
}

/** Every validation item of an environment, completed for `version` (flow-scoped ones for the flow). */
export function validated(
  policy: PromotionPolicy,
  environmentId: string,
  version: string,
): ChecklistCompletion[] {
  const environment = policy.environments.find(e => e.id === environmentId)!;
  return environment.checklist.map(item =>
    completion(
      environmentId,
      'validation',
      item.id,
      item.scope === 'flow' ? undefined : version,
    ),
  );
}

export function postDeploymentDone(
  policy: PromotionPolicy,
  environmentId: string,
  version: string,
): ChecklistCompletion[] {
  const environment = policy.environments.find(e => e.id === environmentId)!;
  return environment.postDeployment.map(item =>
    completion(environmentId, 'post-deployment', item.id, version),
  );
}

export function signOff(environmentId: string, version: string): SignOff {
  return {
    id: `sign-off-${nextId++}`,
    entityRef,
    environmentId,
    version,
    signedOffBy: 'user:default/customer',
    signedOffAt: '2025-03-02T09:00:00.000Z',
    comment: 'Results look good.',
  };
}

export function standingApproval(
  environmentId: string,
  overrides: Partial<StandingApproval> = {},
): StandingApproval {
  return {
    id: `standing-${nextId++}`,
    entityRef,
    environmentId,
    grantedAt: '2025-03-03T09:00:00.000Z',
    grantedBy: ['user:default/director'],
    ...overrides,
  };
}

export function decision(
  decidedBy: string,
  overrides: Partial<Decision> = {},
): Decision {
  return {
    id: `decision-${nextId++}`,
    requestId: 'req-1',
    decision: 'approve',
    decidedBy,
    decidedAt: '2025-03-04T09:00:00.000Z',
    comment: 'Approved.',
    dossierHash: 'hash-2',
    ...overrides,
  };
}

export function request(
  environmentId: string,
  version: string,
  overrides: Partial<PromotionRequest> = {},
): PromotionRequest {
  return {
    id: 'req-1',
    entityRef,
    environmentId,
    version,
    status: 'pending',
    dossier: {
      whatChanged: 'New SFTP route',
      why: 'Customer onboarding',
      testResults: 'All green',
      releaseNotes: 'Adds the route',
    },
    dossierHash: 'hash-2',
    revision: 2,
    requestedBy: 'user:default/dev',
    createdAt: '2025-03-04T08:00:00.000Z',
    updatedAt: '2025-03-04T08:00:00.000Z',
    expiresAt: '2025-03-18T08:00:00.000Z',
    decisions: [],
    ...overrides,
  };
}

export function rollback(
  environmentId: string,
  fromVersion: string,
  overrides: Partial<Rollback> = {},
): Rollback {
  return {
    id: `rollback-${nextId++}`,
    entityRef,
    environmentId,
    fromVersion,
    reason: 'Transfers failing',
    recordedBy: 'user:default/dev',
    recordedAt: '2025-03-05T10:00:00.000Z',
    ...overrides,
  };
}

export function facts(parts: Partial<FlowFacts> = {}): FlowFacts {
  return {
    deployments: [],
    checklistCompletions: [],
    signOffs: [],
    standingApprovals: [],
    requests: [],
    ...parts,
  };
}

/** Version 1.4.0 through Dev and Test with every check done: ready for Production but for the approval. */
export function readyForProduction(
  policy: PromotionPolicy = standard,
  version = '1.4.0',
): FlowFacts {
  return facts({
    deployments: [deployment('dev', version), deployment('test', version)],
    checklistCompletions: [
      ...validated(policy, 'dev', version),
      ...validated(policy, 'test', version),
    ],
    signOffs: [signOff('test', version)],
  });
}

export function gate(
  environmentId: string,
  flowFacts: FlowFacts,
  policy: PromotionPolicy = standard,
  version = '1.4.0',
) {
  return evaluateGate({
    entityRef,
    policy,
    facts: flowFacts,
    environmentId,
    version,
    now,
  });
}

export const codes = (result: ReturnType<typeof gate>) =>
  result.unmetConditions.map(c => [c.code, c.environmentId]);
