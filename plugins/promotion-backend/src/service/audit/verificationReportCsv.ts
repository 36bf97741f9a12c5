import { VerificationReport } from '@promotion/plugin-promotion-common';
import { toCsv } from './csv';
import { DeploymentRow } from './verificationReport';

/*
 * The verification report as CSV: one line per deployment that failed a
 * check or has pending items, whole or a chunk of rows at a time.
 */

const CSV_COLUMNS = [
  'occurredAt',
  'entityRef',
  'environmentId',
  'version',
  'deploymentId',
  'failedChecks',
  'details',
  'pending',
  'evidence',
] as const;

/** The header row of the report's CSV. */
export function verificationCsvHeader(): string {
  return toCsv([[...CSV_COLUMNS]]);
}

/**
 * The CSV lines of deployments' rows, without a header: one line per
 * deployment that failed a check or has pending items, the failed checks and
 * pending items joined in their cells.
 */
export function verificationCsvLines(rows: DeploymentRow[]): string {
  const lines = rows.flatMap(({ violation, pending }) => {
    const row = violation ?? pending;
    if (!row) {
      return [];
    }
    const line: Record<(typeof CSV_COLUMNS)[number], string> = {
      occurredAt: row.occurredAt,
      entityRef: row.entityRef,
      environmentId: row.environmentId,
      version: row.version,
      deploymentId: row.deploymentId,
      failedChecks: (violation?.failedChecks ?? []).map(c => c.kind).join('; '),
      details: (violation?.failedChecks ?? [])
        .map(c => `${c.title}: ${c.sentences.join(' ')}`)
        .join(' | '),
      pending: (pending?.items ?? [])
        .map(item => `${item.title} (due by ${item.dueAt})`)
        .join('; '),
      evidence: row.evidence,
    };
    return [CSV_COLUMNS.map(column => line[column])];
  });
  return lines.length > 0 ? toCsv(lines) : '';
}

/**
 * The report as CSV with a header row: one line per deployment that failed a
 * check or has pending items, in the order the deployments were reported
 * (by time, then id), as the streamed report writes it.
 */
export function verificationReportToCsv(report: VerificationReport): string {
  const rows = new Map<string, DeploymentRow>();
  for (const violation of report.violations) {
    rows.set(violation.deploymentId, { violation });
  }
  for (const pending of report.pending) {
    rows.set(pending.deploymentId, {
      ...rows.get(pending.deploymentId),
      pending,
    });
  }
  const ordered = [...rows.values()]
    .map(row => ({ row, of: (row.violation ?? row.pending)! }))
    .sort(
      (a, b) =>
        a.of.occurredAt.localeCompare(b.of.occurredAt) ||
        (a.of.deploymentId < b.of.deploymentId ? -1 : 1),
    )
    .map(({ row }) => row);
  return verificationCsvHeader() + verificationCsvLines(ordered);
}
