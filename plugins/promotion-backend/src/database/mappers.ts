/*
 * Row mappers: the only place where raw rows become domain objects.
 */
import {
  AuditEvent,
  AuditEventType,
  BreakGlass,
  BreakGlassStatus,
  ChecklistCompletion,
  ChecklistKind,
  Decision,
  DecisionKind,
  Deployment,
  DeploymentStatus,
  Dossier,
  GateCondition,
  PromotionRequest,
  PromotionRequestStatus,
  Rollback,
  SignOff,
  StandingApproval,
} from '@promotion/plugin-promotion-common';
import { DateTime } from 'luxon';
import {
  DbAuditEventRow,
  DbBreakGlassRow,
  DbChecklistCompletionRow,
  DbDecisionRow,
  DbDeploymentRow,
  DbRequestRow,
  DbRollbackRow,
  DbSignOffRow,
  DbStandingApprovalRow,
  DbTimestamp,
} from './tables';

/**
 * A timestamp column as an ISO 8601 string in UTC with milliseconds.
 * PostgreSQL and MySQL return a Date; SQLite returns the number of
 * milliseconds the store wrote, or an SQL-formatted string in UTC for values
 * written by the database itself.
 */
export function timestampToIso(value: DbTimestamp): string {
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (typeof value === 'number') {
    return new Date(value).toISOString();
  }
  if (/^\d+$/.test(value)) {
    return new Date(Number(value)).toISOString();
  }
  let parsed = DateTime.fromISO(value, { zone: 'UTC' });
  if (!parsed.isValid) {
    parsed = DateTime.fromSQL(value, { zone: 'UTC' });
  }
  if (!parsed.isValid) {
    throw new Error(`Invalid timestamp '${value}' in the database`);
  }
  return parsed.toUTC().toISO()!;
}

function optionalTimestampToIso(
  value: DbTimestamp | null | undefined,
): string | undefined {
  return value === null || value === undefined
    ? undefined
    : timestampToIso(value);
}

function optional<T>(value: T | null | undefined): T | undefined {
  return value === null || value === undefined ? undefined : value;
}

function parseJson<T>(text: string, what: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (error) {
    throw new Error(`Failed to parse ${what}, ${error}`);
  }
}

export function mapDeploymentRow(row: DbDeploymentRow): Deployment {
  return {
    id: row.id,
    entityRef: row.entity_ref,
    environmentId: row.environment_id,
    version: row.version,
    status: row.status as DeploymentStatus,
    link: optional(row.link),
    idempotencyKey: optional(row.idempotency_key),
    reportedBy: row.reported_by,
    reportedAt: timestampToIso(row.reported_at),
    violation: Boolean(row.violation),
    unmetConditions: parseJson<GateCondition[]>(
      row.unmet_conditions,
      `unmet conditions of deployment '${row.id}'`,
    ),
    rolledBackAt: optionalTimestampToIso(row.rolled_back_at),
    rollbackId: optional(row.rollback_id),
    breakGlassId: optional(row.break_glass_id),
  };
}

/** '' in the database means flow-scoped; the domain says undefined. */
export function versionToDb(version: string | undefined): string {
  return version ?? '';
}

export function mapChecklistCompletionRow(
  row: DbChecklistCompletionRow,
): ChecklistCompletion {
  return {
    id: row.id,
    entityRef: row.entity_ref,
    environmentId: row.environment_id,
    kind: row.kind as ChecklistKind,
    itemId: row.item_id,
    version: row.version === '' ? undefined : row.version,
    completedBy: row.completed_by,
    completedAt: timestampToIso(row.completed_at),
    evidenceLink: optional(row.evidence_link),
    note: optional(row.note),
    result: optional(row.result),
  };
}

export function mapSignOffRow(row: DbSignOffRow): SignOff {
  return {
    id: row.id,
    entityRef: row.entity_ref,
    environmentId: row.environment_id,
    version: row.version,
    signedOffBy: row.signed_off_by,
    signedOffAt: timestampToIso(row.signed_off_at),
    comment: row.comment,
  };
}

export function mapDecisionRow(row: DbDecisionRow): Decision {
  return {
    id: row.id,
    requestId: row.request_id,
    decision: row.decision as DecisionKind,
    decidedBy: row.decided_by,
    decidedAt: timestampToIso(row.decided_at),
    comment: row.comment,
    dossierHash: row.dossier_hash,
    voidedAt: optionalTimestampToIso(row.voided_at),
  };
}

export function mapRequestRow(
  row: DbRequestRow,
  decisions: DbDecisionRow[],
): PromotionRequest {
  return {
    id: row.id,
    entityRef: row.entity_ref,
    environmentId: row.environment_id,
    version: row.version,
    status: row.status as PromotionRequestStatus,
    dossier: parseJson<Dossier>(row.dossier, `dossier of request '${row.id}'`),
    dossierHash: row.dossier_hash,
    revision: Number(row.revision),
    requestedBy: row.requested_by,
    createdAt: timestampToIso(row.created_at),
    updatedAt: timestampToIso(row.updated_at),
    expiresAt: timestampToIso(row.expires_at),
    decidedAt: optionalTimestampToIso(row.decided_at),
    decisions: decisions.map(mapDecisionRow),
    ...(row.closed_reason ? { closedReason: row.closed_reason } : {}),
  };
}

export function mapStandingApprovalRow(
  row: DbStandingApprovalRow,
): StandingApproval {
  return {
    id: row.id,
    entityRef: row.entity_ref,
    environmentId: row.environment_id,
    requestId: optional(row.request_id),
    grantedAt: timestampToIso(row.granted_at),
    grantedBy: parseJson<string[]>(
      row.granted_by,
      `approvers of standing approval '${row.id}'`,
    ),
    revokedAt: optionalTimestampToIso(row.revoked_at),
    revokedBy: optional(row.revoked_by),
    revokeReason: optional(row.revoke_reason),
  };
}

export function mapRollbackRow(row: DbRollbackRow): Rollback {
  return {
    id: row.id,
    entityRef: row.entity_ref,
    environmentId: row.environment_id,
    fromVersion: row.from_version,
    toVersion: optional(row.to_version),
    reason: row.reason,
    incidentLink: optional(row.incident_link),
    recordedBy: row.recorded_by,
    recordedAt: timestampToIso(row.recorded_at),
  };
}

export function mapBreakGlassRow(row: DbBreakGlassRow): BreakGlass {
  const status = row.status as BreakGlassStatus;
  return {
    id: row.id,
    entityRef: row.entity_ref,
    environmentId: row.environment_id,
    version: row.version,
    status,
    reason: row.reason,
    incidentLink: row.incident_link,
    declaredBy: row.declared_by,
    declaredAt: timestampToIso(row.declared_at),
    approvalsNeeded: Number(row.approvals_needed),
    expiresAt: timestampToIso(row.expires_at),
    decidedBy: optional(row.decided_by),
    decidedAt: optionalTimestampToIso(row.decided_at),
    decisionComment: optional(row.decision_comment),
    deploymentId: optional(row.deployment_id),
    usedAt: optionalTimestampToIso(row.used_at),
    overriddenConditions: row.overridden_conditions
      ? parseJson<GateCondition[]>(
          row.overridden_conditions,
          `overridden conditions of break-glass '${row.id}'`,
        )
      : [],
    ...(status === 'used' && {
      review: row.review_closed_at
        ? {
            status: 'closed' as const,
            closedBy: optional(row.review_closed_by),
            closedAt: timestampToIso(row.review_closed_at),
            comment: optional(row.review_comment),
          }
        : { status: 'open' as const },
    }),
  };
}

export function mapAuditEventRow(row: DbAuditEventRow): AuditEvent {
  return {
    seq: Number(row.seq),
    id: row.id,
    type: row.type as AuditEventType,
    entityRef: row.entity_ref,
    environmentId: optional(row.environment_id),
    version: optional(row.version),
    actor: row.actor,
    occurredAt: timestampToIso(row.occurred_at),
    summary: row.summary,
    payload: parseJson<Record<string, unknown>>(
      row.payload,
      `payload of audit event ${row.seq}`,
    ),
    previousHash: row.previous_hash,
    hash: row.hash,
  };
}
