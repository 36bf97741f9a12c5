import { parseEntityRef } from '@backstage/catalog-model';
import {
  Deployment,
  FlowFacts,
  GateCondition,
  GateConditionCode,
  PromotionPolicy,
  PromotionRequest,
  VerificationReport,
  Violation,
  ViolationKind,
} from '@promotion/plugin-promotion-common';
import { toCsv } from './csv';

/** What the report knows about one flow; the policy is absent when the entity no longer opts in. */
export interface VerificationFlow {
  policy?: PromotionPolicy;
  facts: FlowFacts;
}

export const VERIFICATION_CHECKS: Array<{
  kind: ViolationKind;
  title: string;
}> = [
  {
    kind: 'production-without-approval',
    title: 'No deployment into an approval-gated environment without approval',
  },
  {
    kind: 'not-validated-before-deployment',
    title:
      'The previous environment was validated and signed off before each deployment',
  },
  {
    kind: 'deployment-into-closed-gate',
    title: 'No deployment went through a closed gate for any other reason',
  },
  {
    kind: 'release-notes-missing',
    title:
      'Release notes were delivered at the time of each approved deployment',
  },
  {
    kind: 'post-deployment-incomplete',
    title:
      'The post-deployment checklist was completed once its minimum waits had passed',
  },
];

const APPROVAL_CODES: GateConditionCode[] = [
  'approval-required',
  'approval-revoked',
  'approval-pending',
];
const VALIDATION_CODES: GateConditionCode[] = [
  'checklist-incomplete',
  'sign-off-missing',
];

/** The API path of the flow's audit events: the evidence of a violation. */
export function flowEventsPath(entityRef: string): string {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  return `/api/promotion/flows/${encodeURIComponent(
    namespace,
  )}/${encodeURIComponent(kind)}/${encodeURIComponent(name)}/events`;
}

function sentences(conditions: GateCondition[]): string {
  return conditions.map(c => c.message).join(' ');
}

function releaseNotesRequest(
  deployment: Deployment,
  mode: 'once' | 'every',
  facts: FlowFacts,
): PromotionRequest | undefined {
  const at = Date.parse(deployment.reportedAt);
  const approvedBefore = (request: PromotionRequest) =>
    request.status === 'approved' &&
    (!request.decidedAt || Date.parse(request.decidedAt) <= at);
  if (mode === 'every') {
    return facts.requests
      .filter(
        r =>
          r.environmentId === deployment.environmentId &&
          r.version === deployment.version &&
          approvedBefore(r),
      )
      .sort((a, b) => b.updatedAt.localeCompare(a.updatedAt))[0];
  }
  const standing = facts.standingApprovals
    .filter(
      s =>
        s.environmentId === deployment.environmentId &&
        Date.parse(s.grantedAt) <= at &&
        (!s.revokedAt || Date.parse(s.revokedAt) > at),
    )
    .sort((a, b) => b.grantedAt.localeCompare(a.grantedAt))[0];
  if (!standing?.requestId) {
    return undefined;
  }
  return facts.requests.find(r => r.id === standing.requestId);
}

/**
 * Checks the governance documents' verification list over the deployments
 * reported in a time range:
 *
 * - `production-without-approval`: a successful deployment whose gate had an
 *   unmet approval condition;
 * - `not-validated-before-deployment`: the gate had unmet checklist or
 *   sign-off conditions;
 * - `deployment-into-closed-gate`: any other recorded unmet condition;
 * - `release-notes-missing`: an approved deployment into an approval-gated
 *   environment whose approving request had no release notes;
 * - `post-deployment-incomplete`: post-deployment items still open after
 *   their minimum wait.
 */
export function buildVerificationReport(options: {
  from: Date;
  to: Date;
  now: Date;
  deployments: Deployment[];
  flows: Map<string, VerificationFlow>;
}): VerificationReport {
  const { from, to, now, deployments, flows } = options;
  const violations: Violation[] = [];
  const postDeploymentChecked = new Set<string>();

  for (const deployment of deployments) {
    const flow = flows.get(deployment.entityRef);
    const environment = flow?.policy?.environments.find(
      e => e.id === deployment.environmentId,
    );
    const violation = (kind: ViolationKind, message: string) =>
      violations.push({
        kind,
        message,
        entityRef: deployment.entityRef,
        environmentId: deployment.environmentId,
        version: deployment.version,
        deploymentId: deployment.id,
        occurredAt: deployment.reportedAt,
        evidence: flowEventsPath(deployment.entityRef),
      });
    const where = `${deployment.version} of ${deployment.entityRef} into ${
      environment?.title ?? deployment.environmentId
    }`;

    const unmet = deployment.unmetConditions ?? [];
    const approval = unmet.filter(c => APPROVAL_CODES.includes(c.code));
    const validation = unmet.filter(c => VALIDATION_CODES.includes(c.code));
    const succeeded = deployment.status === 'succeeded';
    const reported = new Set<GateCondition>();

    if (succeeded && approval.length > 0) {
      approval.forEach(c => reported.add(c));
      violation(
        'production-without-approval',
        `${where} was deployed without approval: ${sentences(approval)}`,
      );
    }
    if (validation.length > 0) {
      validation.forEach(c => reported.add(c));
      violation(
        'not-validated-before-deployment',
        `${where} was deployed before validation was complete: ${sentences(
          validation,
        )}`,
      );
    }
    const other = unmet.filter(c => !reported.has(c));
    if (other.length > 0) {
      violation(
        'deployment-into-closed-gate',
        `${where} was deployed through a closed gate: ${sentences(other)}`,
      );
    }

    if (!succeeded || !flow || !environment) {
      continue;
    }

    const mode = environment.approval.mode;
    if ((mode === 'once' || mode === 'every') && approval.length === 0) {
      const request = releaseNotesRequest(deployment, mode, flow.facts);
      if (!request?.dossier.releaseNotes.trim()) {
        violation(
          'release-notes-missing',
          request
            ? `${where}: the approved request ${request.id} carried no release notes`
            : `${where}: no approved request with release notes covers this deployment`,
        );
      }
    }

    const key = `${deployment.entityRef}|${deployment.environmentId}|${deployment.version}`;
    if (
      environment.postDeployment.length > 0 &&
      !deployment.rolledBackAt &&
      !postDeploymentChecked.has(key)
    ) {
      postDeploymentChecked.add(key);
      const deployedAt = Date.parse(deployment.reportedAt);
      const open = environment.postDeployment.filter(
        item =>
          deployedAt + item.minimumWaitSeconds * 1000 <= now.getTime() &&
          !flow.facts.checklistCompletions.some(
            c =>
              c.kind === 'post-deployment' &&
              c.environmentId === deployment.environmentId &&
              c.itemId === item.id &&
              c.version === deployment.version,
          ),
      );
      if (open.length > 0) {
        violation(
          'post-deployment-incomplete',
          `${where}: post-deployment items not completed: ${open
            .map(item => item.title)
            .join(', ')}`,
        );
      }
    }
  }

  return {
    from: from.toISOString(),
    to: to.toISOString(),
    generatedAt: now.toISOString(),
    deploymentsChecked: deployments.length,
    violations,
    checks: VERIFICATION_CHECKS.map(check => ({
      ...check,
      passed: !violations.some(v => v.kind === check.kind),
    })),
  };
}

const CSV_COLUMNS: Array<keyof Violation> = [
  'kind',
  'occurredAt',
  'entityRef',
  'environmentId',
  'version',
  'deploymentId',
  'message',
  'evidence',
];

/** The report's violations as CSV, one row each, with a header row. */
export function verificationReportToCsv(report: VerificationReport): string {
  return toCsv(
    report.violations.map(v => CSV_COLUMNS.map(column => v[column] ?? '')),
    { header: true, columns: CSV_COLUMNS },
  );
}
