import { parseEntityRef } from '@backstage/catalog-model';
import {
  Deployment,
  EnvironmentDefinition,
  FlowFacts,
  GateCondition,
  GateConditionCode,
  PostDeploymentItemDefinition,
  PromotionPolicy,
  PromotionRequest,
  VerificationReport,
  Violation,
  ViolationKind,
} from '@promotion/plugin-promotion-common';

/** What the report knows about one flow; the policy is absent when the entity no longer opts in. */
export interface VerificationFlow {
  policy?: PromotionPolicy;
  facts: FlowFacts;
}

type FailedCheck = Violation['failedChecks'][number];
type PendingDeployment = VerificationReport['pending'][number];
type PendingItem = PendingDeployment['items'][number];

/**
 * Where the evidence of a deployment opens: the flow's page in the portal.
 * `flowPageUrl` is a path (joined to `appBaseUrl`) or an absolute URL, with
 * `{namespace}`, `{kind}` and `{name}` placeholders.
 */
export interface ReportLinks {
  appBaseUrl?: string;
  flowPageUrl?: string;
}

/** The Promotion tab of an entity page in the Backstage app. */
export const DEFAULT_FLOW_PAGE_URL =
  '/catalog/{namespace}/{kind}/{name}/promotion';

export const VERIFICATION_CHECKS: Array<{
  kind: ViolationKind;
  title: string;
  explanation: string;
}> = [
  {
    kind: 'production-without-approval',
    title: 'No deployment into an approval-gated environment without approval',
    explanation:
      'A successful deployment fails it when its gate, as recorded when the deployment was reported, lacked the approval the environment needs (none given, revoked or still pending).',
  },
  {
    kind: 'not-validated-before-deployment',
    title:
      'The previous environment was validated and signed off before each deployment',
    explanation:
      "A deployment fails it when its gate, as recorded when the deployment was reported, listed the previous environment's checklist or sign-off as incomplete.",
  },
  {
    kind: 'deployment-into-closed-gate',
    title: 'No deployment went through a closed gate for any other reason',
    explanation:
      'A deployment fails it when its gate listed any other unmet condition (an earlier environment skipped, a post-deployment checklist still open, …).',
  },
  {
    kind: 'release-notes-missing',
    title:
      'Release notes were delivered at the time of each approved deployment',
    explanation:
      "For each successful, approved deployment into an approval-gated environment (a break-glass deployment aside: its retrospective review stands in for the approval): the dossier of the request that approved it (with `every`, the version's approved request; with `once`, the request behind the standing approval) has release notes, and the environment's release-notes post-deployment item is completed for the version once it is due (until then it is pending).",
  },
  {
    kind: 'post-deployment-incomplete',
    title:
      'The post-deployment checklist was completed once its minimum waits had passed',
    explanation:
      "Each post-deployment item is due its minimum wait plus the environment's grace (`postDeployment.dueWithin`) after the deployment; an item still open then fails the check, before then it is pending. A rolled-back deployment is not held to its checklist.",
  },
  {
    kind: 'break-glass-review-open',
    title:
      'Every break-glass deployment had its retrospective review closed by an approver',
    explanation:
      'A deployment that went in on a break-glass declaration (the gate open only by it, overriding its unmet conditions) fails it while its retrospective review is open; an approver of the environment closes the review with a comment.',
  },
];

const CHECK_TITLES = new Map(VERIFICATION_CHECKS.map(c => [c.kind, c.title]));

const APPROVAL_CODES: GateConditionCode[] = [
  'approval-required',
  'approval-revoked',
  'approval-pending',
];
const VALIDATION_CODES: GateConditionCode[] = [
  'checklist-incomplete',
  'sign-off-missing',
];

/**
 * The evidence of a deployment: the flow's page in the portal, opened on the
 * trail of that deployment (`?deployment=<id>`).
 */
export function deploymentEvidenceUrl(
  entityRef: string,
  deploymentId: string,
  links: ReportLinks = {},
): string {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  const values: Record<string, string> = {
    namespace,
    // The catalog's entity routes use the kind in lower case.
    kind: kind.toLocaleLowerCase('en-US'),
    name,
  };
  const page = (links.flowPageUrl ?? DEFAULT_FLOW_PAGE_URL).replace(
    /\{(namespace|kind|name)\}/g,
    (_, key: string) => encodeURIComponent(values[key]),
  );
  const absolute = /^[a-z][a-z0-9+.-]*:\/\//i.test(page);
  const base = links.appBaseUrl?.replace(/\/+$/, '') ?? '';
  const url = absolute
    ? page
    : `${base}${page.startsWith('/') ? '' : '/'}${page}`;
  return `${url}${url.includes('?') ? '&' : '?'}deployment=${encodeURIComponent(
    deploymentId,
  )}`;
}

/** The request whose approval let the deployment in, if one did. */
function approvingRequest(
  deployment: Deployment,
  mode: 'once' | 'every',
  facts: FlowFacts,
): { request?: PromotionRequest; standingWithoutRequest: boolean } {
  const at = Date.parse(deployment.reportedAt);
  if (mode === 'every') {
    const request = facts.requests
      .filter(
        r =>
          r.environmentId === deployment.environmentId &&
          r.version === deployment.version &&
          r.status === 'approved' &&
          (!r.decidedAt || Date.parse(r.decidedAt) <= at),
      )
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0];
    return { request, standingWithoutRequest: false };
  }
  const standing = facts.standingApprovals
    .filter(
      s =>
        s.environmentId === deployment.environmentId &&
        Date.parse(s.grantedAt) <= at &&
        (!s.revokedAt || Date.parse(s.revokedAt) > at),
    )
    .sort((a, b) => b.grantedAt.localeCompare(a.grantedAt))[0];
  if (!standing) {
    return { standingWithoutRequest: false };
  }
  return {
    request: standing.requestId
      ? facts.requests.find(r => r.id === standing.requestId)
      : undefined,
    standingWithoutRequest: !standing.requestId,
  };
}

/**
 * The approval behind a deployment. A redeployment of a version that already
 * ran there (a rollback target) needs no new approval: its release notes were
 * delivered with the version's first approved deployment into the environment.
 */
function approvalBehind(
  deployment: Deployment,
  mode: 'once' | 'every',
  facts: FlowFacts,
): ReturnType<typeof approvingRequest> {
  const own = approvingRequest(deployment, mode, facts);
  if (own.request || own.standingWithoutRequest) {
    return own;
  }
  const earlier = facts.deployments
    .filter(
      d =>
        d.id !== deployment.id &&
        d.environmentId === deployment.environmentId &&
        d.version === deployment.version &&
        d.status === 'succeeded' &&
        d.reportedAt < deployment.reportedAt,
    )
    .sort((a, b) => a.reportedAt.localeCompare(b.reportedAt));
  for (const d of earlier) {
    const found = approvingRequest(d, mode, facts);
    if (found.request || found.standingWithoutRequest) {
      return found;
    }
  }
  return own;
}

/** What the report knows about one post-deployment item of a deployment. */
type ItemState =
  | { state: 'done' }
  | { state: 'pending'; dueAt: string }
  | { state: 'overdue'; dueAt: string };

function itemState(
  item: PostDeploymentItemDefinition,
  deployment: Deployment,
  environment: EnvironmentDefinition,
  facts: FlowFacts,
  now: Date,
): ItemState {
  const done = facts.checklistCompletions.some(
    c =>
      c.kind === 'post-deployment' &&
      c.environmentId === deployment.environmentId &&
      c.itemId === item.id &&
      c.version === deployment.version,
  );
  if (done) {
    return { state: 'done' };
  }
  const due =
    Date.parse(deployment.reportedAt) +
    ((item.minimumWaitSeconds ?? 0) +
      environment.postDeploymentRules.dueWithinSeconds) *
      1000;
  const dueAt = new Date(due).toISOString();
  return due <= now.getTime()
    ? { state: 'overdue', dueAt }
    : { state: 'pending', dueAt };
}

/** The failed checks and pending items of one deployment. */
class DeploymentFindings {
  readonly failed = new Map<ViolationKind, string[]>();
  readonly pending = new Map<string, PendingItem>();

  fail(kind: ViolationKind, sentences: string[]) {
    if (sentences.length > 0) {
      this.failed.set(kind, [...(this.failed.get(kind) ?? []), ...sentences]);
    }
  }

  wait(item: PostDeploymentItemDefinition, dueAt: string, kind: ViolationKind) {
    const entry = this.pending.get(item.id) ?? {
      itemId: item.id,
      title: item.title,
      dueAt,
      checks: [],
    };
    if (!entry.checks.includes(kind)) {
      entry.checks.push(kind);
    }
    this.pending.set(item.id, entry);
  }

  failedChecks(): FailedCheck[] {
    // In the order of the report's checks.
    return VERIFICATION_CHECKS.flatMap(({ kind }) => {
      const sentences = this.failed.get(kind);
      return sentences
        ? [{ kind, title: CHECK_TITLES.get(kind)!, sentences }]
        : [];
    });
  }
}

/** The report's row of one deployment: its failed checks, its pending items, either or both absent. */
export interface DeploymentRow {
  violation?: Violation;
  pending?: PendingDeployment;
}

/**
 * Checks the governance documents' verification list over the deployments
 * reported in a time range, one deployment at a time, in the order they
 * were reported, and keeps only the totals: one row per deployment that
 * failed a check, with every check it failed:
 *
 * - `production-without-approval`: a successful deployment whose gate had an
 *   unmet approval condition;
 * - `not-validated-before-deployment`: the gate had unmet checklist or
 *   sign-off conditions;
 * - `deployment-into-closed-gate`: any other recorded unmet condition;
 * - `release-notes-missing`: an approved deployment into an approval-gated
 *   environment whose approving dossier had no release notes, or whose
 *   release-notes post-deployment item was still open once due;
 * - `post-deployment-incomplete`: post-deployment items still open once due
 *   (their minimum wait plus the environment's `dueWithin`);
 * - `break-glass-review-open`: a deployment that went in on break-glass
 *   whose retrospective review is still open.
 *
 * Items not due yet are listed as pending, not failed.
 */
export class VerificationReportTally {
  readonly #now: Date;
  readonly #links?: ReportLinks;
  #deploymentsChecked = 0;
  readonly #failedDeployments = new Map<ViolationKind, number>();
  /** Environments whose release notes are checked on the dossier only. */
  readonly #dossierOnly = new Set<string>();

  constructor(options: { now: Date; links?: ReportLinks }) {
    this.#now = options.now;
    this.#links = options.links;
  }

  /**
   * The row of one deployment. `flow`: its flow's policy and the facts it is
   * checked against. `firstOfVersion`: no earlier successful deployment of
   * the version into the environment in the range that was not rolled back;
   * a version's post-deployment checklist is checked on that one only.
   */
  check(
    deployment: Deployment,
    flow: VerificationFlow | undefined,
    firstOfVersion: boolean,
  ): DeploymentRow {
    const now = this.#now;
    this.#deploymentsChecked += 1;
    const environment = flow?.policy?.environments.find(
      e => e.id === deployment.environmentId,
    );
    const findings = new DeploymentFindings();

    const unmet = deployment.unmetConditions ?? [];
    const approval = unmet.filter(c => APPROVAL_CODES.includes(c.code));
    const validation = unmet.filter(c => VALIDATION_CODES.includes(c.code));
    const succeeded = deployment.status === 'succeeded';
    const reported = new Set<GateCondition>(validation);
    if (succeeded) {
      approval.forEach(c => reported.add(c));
      findings.fail(
        'production-without-approval',
        approval.map(c => c.message),
      );
    }
    findings.fail(
      'not-validated-before-deployment',
      validation.map(c => c.message),
    );
    findings.fail(
      'deployment-into-closed-gate',
      unmet.filter(c => !reported.has(c)).map(c => c.message),
    );

    if (deployment.breakGlassId) {
      findings.fail(
        'break-glass-review-open',
        breakGlassSentences(deployment, flow, environment, now),
      );
    }

    if (succeeded && flow?.policy && environment) {
      // A version's post-deployment checklist is checked on its first
      // deployment into the environment that was not rolled back.
      const checkItems = !deployment.rolledBackAt && firstOfVersion;
      const states = new Map(
        environment.postDeployment.map(item => [
          item.id,
          {
            item,
            ...itemState(item, deployment, environment, flow.facts, now),
          },
        ]),
      );

      const mode = environment.approval.mode;
      // A break-glass deployment had no approving dossier: its
      // retrospective review stands in for it (checked above).
      if (
        (mode === 'once' || mode === 'every') &&
        approval.length === 0 &&
        !deployment.breakGlassId
      ) {
        const releaseNotesItem = environment.postDeploymentRules
          .releaseNotesItemId
          ? states.get(environment.postDeploymentRules.releaseNotesItemId)
          : undefined;
        if (!releaseNotesItem) {
          this.#dossierOnly.add(
            `${environment.title} (policy ${flow.policy.name})`,
          );
        }
        const sentences = dossierSentences(
          deployment,
          environment,
          approvalBehind(deployment, mode, flow.facts),
        );
        if (sentences.length > 0 && !releaseNotesItem) {
          sentences.push(
            `${environment.title} names no post-deployment item for the release notes' distribution, so only the dossier was checked.`,
          );
        }
        if (checkItems && releaseNotesItem) {
          if (releaseNotesItem.state === 'overdue') {
            sentences.push(
              overdueSentence(
                releaseNotesItem.item,
                deployment,
                releaseNotesItem.dueAt,
              ),
            );
          } else if (releaseNotesItem.state === 'pending') {
            findings.wait(
              releaseNotesItem.item,
              releaseNotesItem.dueAt,
              'release-notes-missing',
            );
          }
        }
        findings.fail('release-notes-missing', sentences);
      }

      if (checkItems) {
        const overdue: string[] = [];
        for (const entry of states.values()) {
          if (entry.state === 'overdue') {
            overdue.push(overdueSentence(entry.item, deployment, entry.dueAt));
          } else if (entry.state === 'pending') {
            findings.wait(
              entry.item,
              entry.dueAt,
              'post-deployment-incomplete',
            );
          }
        }
        findings.fail('post-deployment-incomplete', overdue);
      }
    }

    const row = {
      entityRef: deployment.entityRef,
      environmentId: deployment.environmentId,
      environmentTitle: environment?.title ?? deployment.environmentId,
      version: deployment.version,
      deploymentId: deployment.id,
      occurredAt: deployment.reportedAt,
      evidence: deploymentEvidenceUrl(
        deployment.entityRef,
        deployment.id,
        this.#links,
      ),
    };
    const result: DeploymentRow = {};
    const failedChecks = findings.failedChecks();
    if (failedChecks.length > 0) {
      result.violation = { ...row, failedChecks };
      for (const { kind } of failedChecks) {
        this.#failedDeployments.set(
          kind,
          (this.#failedDeployments.get(kind) ?? 0) + 1,
        );
      }
    }
    if (findings.pending.size > 0) {
      result.pending = { ...row, items: [...findings.pending.values()] };
    }
    return result;
  }

  /** How many deployments were checked so far. */
  get deploymentsChecked(): number {
    return this.#deploymentsChecked;
  }

  /** Each check, passed or with how many deployments failed it so far. */
  checks(): VerificationReport['checks'] {
    const dossierOnly = [...this.#dossierOnly];
    return VERIFICATION_CHECKS.map(check => {
      const failedDeployments = this.#failedDeployments.get(check.kind) ?? 0;
      return {
        kind: check.kind,
        title: check.title,
        explanation:
          check.kind === 'release-notes-missing' && dossierOnly.length > 0
            ? `${check.explanation} ${dossierOnly.join(', ')} ${
                dossierOnly.length === 1 ? 'names' : 'name'
              } no post-deployment item for the release notes' distribution (postDeployment.releaseNotesItem): there only the dossier's release notes are checked.`
            : check.explanation,
        passed: failedDeployments === 0,
        failedDeployments,
      };
    });
  }
}

/** The flow, version and environment of a deployment, as one key. */
function versionKey(deployment: Deployment): string {
  return JSON.stringify([
    deployment.entityRef,
    deployment.environmentId,
    deployment.version,
  ]);
}

/**
 * The whole report at once, over deployments and flow facts held in memory:
 * see {@link VerificationReportTally}. The service streams the report a
 * chunk at a time instead (verificationReportStream.ts); both check each
 * deployment the same way.
 */
export function buildVerificationReport(options: {
  from: Date;
  to: Date;
  now: Date;
  deployments: Deployment[];
  flows: Map<string, VerificationFlow>;
  links?: ReportLinks;
}): VerificationReport {
  const { from, to, now, deployments, flows, links } = options;
  const tally = new VerificationReportTally({ now, links });
  const violations: Violation[] = [];
  const pending: PendingDeployment[] = [];
  /** The versions whose first deployment not rolled back was checked. */
  const checkedVersions = new Set<string>();
  for (const deployment of deployments) {
    const key = versionKey(deployment);
    const row = tally.check(
      deployment,
      flows.get(deployment.entityRef),
      !checkedVersions.has(key),
    );
    if (deployment.status === 'succeeded' && !deployment.rolledBackAt) {
      checkedVersions.add(key);
    }
    if (row.violation) {
      violations.push(row.violation);
    }
    if (row.pending) {
      pending.push(row.pending);
    }
  }
  return {
    from: from.toISOString(),
    to: to.toISOString(),
    generatedAt: now.toISOString(),
    deploymentsChecked: tally.deploymentsChecked,
    violations,
    pending,
    checks: tally.checks(),
  };
}

/** Why the dossier behind an approved deployment fails the release-notes check; empty when it passes. */
function dossierSentences(
  deployment: Deployment,
  environment: EnvironmentDefinition,
  behind: ReturnType<typeof approvingRequest>,
): string[] {
  const { request, standingWithoutRequest } = behind;
  if (request) {
    if (request.dossier.releaseNotes.trim()) {
      return [];
    }
    return [
      request.version === deployment.version
        ? `The dossier of the approved request for ${request.version} into ${environment.title} has no release notes.`
        : `The dossier of the request for ${request.version} behind the standing approval of ${environment.title} has no release notes.`,
    ];
  }
  if (standingWithoutRequest) {
    return [
      `The standing approval of ${environment.title} that ${deployment.version} went in on has no promotion request behind it, so no dossier with release notes.`,
    ];
  }
  return [
    `No approved promotion request covers ${deployment.version} in ${environment.title}, so no dossier with release notes was delivered.`,
  ];
}

/** Why a break-glass deployment fails its check: its retrospective review is open; empty once closed. */
function breakGlassSentences(
  deployment: Deployment,
  flow: VerificationFlow | undefined,
  environment: EnvironmentDefinition | undefined,
  now: Date,
): string[] {
  const breakGlass = flow?.facts.breakGlasses?.find(
    b => b.id === deployment.breakGlassId,
  );
  if (
    breakGlass?.review?.closedAt &&
    Date.parse(breakGlass.review.closedAt) <= now.getTime()
  ) {
    return [];
  }
  const where = environment?.title ?? deployment.environmentId;
  if (!breakGlass) {
    return [
      `${deployment.version} went into ${where} on break-glass ${deployment.breakGlassId}, whose declaration cannot be found: no retrospective review closed it.`,
    ];
  }
  return [
    `${deployment.version} went into ${where} on the break-glass ${
      breakGlass.declaredBy
    } declared (${breakGlass.reason}; incident ${
      breakGlass.incidentLink
    }), overriding: ${breakGlass.overriddenConditions
      .map(c => c.message)
      .join(' ')} Its retrospective review is open.`,
  ];
}

function overdueSentence(
  item: PostDeploymentItemDefinition,
  deployment: Deployment,
  dueAt: string,
): string {
  return `“${item.title}” was not completed for ${deployment.version}; it was due by ${dueAt}.`;
}
