import { canonicalJson } from '../../../audit/hashChain';
import { timestampToIso } from '../../mappers';
import { DbTimestamp, TABLES } from '../../tables';

/*
 * The columns of every state row that verification compares with what the
 * audit events recorded, and how to put a database value and a recorded
 * value in one comparable form.
 */

/** How a column's value is compared. */
type FieldKind = 'text' | 'int' | 'bool' | 'timestamp' | 'json';

/** The state tables: every table the API, the deployment trail or the report reads. */
export type StateTable =
  | typeof TABLES.deployments
  | typeof TABLES.checklistCompletions
  | typeof TABLES.signOffs
  | typeof TABLES.requests
  | typeof TABLES.decisions
  | typeof TABLES.standingApprovals
  | typeof TABLES.rollbacks
  | typeof TABLES.breakGlasses;

/** The compared columns of each state table (every column but the id and internal keys). */
export const STATE_FIELDS: Record<StateTable, Record<string, FieldKind>> = {
  [TABLES.deployments]: {
    entity_ref: 'text',
    environment_id: 'text',
    version: 'text',
    status: 'text',
    link: 'text',
    idempotency_key: 'text',
    reported_by: 'text',
    reported_at: 'timestamp',
    violation: 'bool',
    unmet_conditions: 'json',
    rolled_back_at: 'timestamp',
    rollback_id: 'text',
    break_glass_id: 'text',
  },
  [TABLES.checklistCompletions]: {
    entity_ref: 'text',
    environment_id: 'text',
    kind: 'text',
    item_id: 'text',
    version: 'text',
    completed_by: 'text',
    completed_at: 'timestamp',
    evidence_link: 'text',
    note: 'text',
    result: 'text',
    undone_at: 'timestamp',
    undone_by: 'text',
    undo_reason: 'text',
    undone_key: 'text',
  },
  [TABLES.signOffs]: {
    entity_ref: 'text',
    environment_id: 'text',
    version: 'text',
    signed_off_by: 'text',
    signed_off_at: 'timestamp',
    comment: 'text',
  },
  [TABLES.requests]: {
    entity_ref: 'text',
    environment_id: 'text',
    version: 'text',
    status: 'text',
    dossier: 'json',
    dossier_hash: 'text',
    revision: 'int',
    requested_by: 'text',
    created_at: 'timestamp',
    updated_at: 'timestamp',
    expires_at: 'timestamp',
    decided_at: 'timestamp',
    pending_key: 'text',
    last_reminded_at: 'timestamp',
    closed_reason: 'text',
  },
  [TABLES.decisions]: {
    request_id: 'text',
    request_revision: 'int',
    dossier_hash: 'text',
    decision: 'text',
    decided_by: 'text',
    decided_at: 'timestamp',
    comment: 'text',
    voided_at: 'timestamp',
  },
  [TABLES.standingApprovals]: {
    entity_ref: 'text',
    environment_id: 'text',
    request_id: 'text',
    granted_at: 'timestamp',
    granted_by: 'json',
    revoked_at: 'timestamp',
    revoked_by: 'text',
    revoke_reason: 'text',
  },
  [TABLES.rollbacks]: {
    entity_ref: 'text',
    environment_id: 'text',
    from_version: 'text',
    to_version: 'text',
    reason: 'text',
    incident_link: 'text',
    recorded_by: 'text',
    recorded_at: 'timestamp',
  },
  [TABLES.breakGlasses]: {
    entity_ref: 'text',
    environment_id: 'text',
    version: 'text',
    status: 'text',
    reason: 'text',
    incident_link: 'text',
    declared_by: 'text',
    declared_at: 'timestamp',
    approvals_needed: 'int',
    expires_at: 'timestamp',
    decided_by: 'text',
    decided_at: 'timestamp',
    decision_comment: 'text',
    deployment_id: 'text',
    used_at: 'timestamp',
    overridden_conditions: 'json',
    review_closed_by: 'text',
    review_closed_at: 'timestamp',
    review_comment: 'text',
  },
};

/**
 * A value in its comparable form, a string or null: text as it is, numbers
 * and booleans in words, timestamps in ISO 8601 with milliseconds, JSON in
 * canonical form. A value that cannot be read as its kind is kept as text,
 * so it differs from any value an event recorded.
 *
 * `stored` says whether the value comes from a database column (JSON is
 * text there, booleans may be 0/1) or from an event's payload.
 */
export function comparable(
  kind: FieldKind,
  value: unknown,
  stored: boolean,
): string | null {
  if (value === null || value === undefined) {
    return null;
  }
  switch (kind) {
    case 'text':
      return String(value);
    case 'int':
      return String(Number(value));
    case 'bool':
      return String(typeof value === 'boolean' ? value : Number(value) !== 0);
    case 'timestamp':
      try {
        return new Date(timestampToIso(value as DbTimestamp)).toISOString();
      } catch {
        return `unreadable timestamp ${String(value)}`;
      }
    case 'json':
      if (!stored) {
        return canonicalJson(value);
      }
      try {
        return canonicalJson(JSON.parse(String(value)));
      } catch {
        return `unreadable JSON ${String(value)}`;
      }
    default:
      return String(value);
  }
}

/** The compared columns of a database row, in comparable form. */
export function storedFields(
  table: StateTable,
  row: Record<string, unknown>,
): Map<string, string | null> {
  const fields = new Map<string, string | null>();
  for (const [column, kind] of Object.entries(STATE_FIELDS[table])) {
    fields.set(column, comparable(kind, row[column], true));
  }
  return fields;
}

/** A recorded value of a column, in comparable form. */
export function recordedValue(
  table: StateTable,
  column: string,
  value: unknown,
): string | null {
  return comparable(STATE_FIELDS[table][column], value, false);
}
