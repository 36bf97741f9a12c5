/*
 * Raw rows as the database returns them, one type per table (migrations/).
 * Timestamps come back as a Date (PostgreSQL, MySQL), a number of
 * milliseconds or a string (SQLite); ids and seq of bigint columns may come
 * back as strings (PostgreSQL); booleans as 0/1 (SQLite, MySQL).
 */

export const TABLES = {
  deployments: 'promotion_deployments',
  checklistCompletions: 'promotion_checklist_completions',
  signOffs: 'promotion_sign_offs',
  requests: 'promotion_requests',
  decisions: 'promotion_decisions',
  standingApprovals: 'promotion_standing_approvals',
  rollbacks: 'promotion_rollbacks',
  breakGlasses: 'promotion_break_glasses',
  auditEvents: 'promotion_audit_events',
  /** The frozen head of the legacy (unkeyed, global) chain; no longer written. */
  auditChainHead: 'promotion_audit_chain_head',
  auditChains: 'promotion_audit_chains',
  auditChainLocks: 'promotion_audit_chain_locks',
  auditCheckpoints: 'promotion_audit_checkpoints',
  /** A copy: the rows each flow state last read (`flowStateReads`). */
  flowStateReads: 'promotion_flow_state_reads',
} as const;

/** What a timestamp column returns, depending on the database. */
export type DbTimestamp = Date | string | number;

export interface DbDeploymentRow {
  id: string;
  entity_ref: string;
  environment_id: string;
  version: string;
  status: string;
  link: string | null;
  idempotency_key: string | null;
  reported_by: string;
  reported_at: DbTimestamp;
  violation: boolean | number;
  /** JSON array of GateCondition. */
  unmet_conditions: string;
  rolled_back_at: DbTimestamp | null;
  rollback_id: string | null;
  /** The break-glass declaration it went in on (migration 20261201000000_break_glass). */
  break_glass_id?: string | null;
}

export interface DbChecklistCompletionRow {
  id: string;
  entity_ref: string;
  environment_id: string;
  kind: string;
  item_id: string;
  /** '' for flow-scoped items. */
  version: string;
  completed_by: string;
  completed_at: DbTimestamp;
  evidence_link: string | null;
  note: string | null;
  /** A pipeline's short result of the item it attested; null for people. */
  result: string | null;
  undone_at: DbTimestamp | null;
  undone_by: string | null;
  undo_reason: string | null;
  /** '' while active, the row id once undone. */
  undone_key: string;
}

export interface DbSignOffRow {
  id: string;
  entity_ref: string;
  environment_id: string;
  version: string;
  signed_off_by: string;
  signed_off_at: DbTimestamp;
  comment: string;
}

export interface DbRequestRow {
  id: string;
  entity_ref: string;
  environment_id: string;
  version: string;
  status: string;
  /** JSON Dossier. */
  dossier: string;
  dossier_hash: string;
  revision: number | string;
  requested_by: string;
  created_at: DbTimestamp;
  updated_at: DbTimestamp;
  expires_at: DbTimestamp;
  decided_at: DbTimestamp | null;
  /** '' while pending, the row id afterwards. */
  pending_key: string;
  /** When the approvers were last reminded; null before the first reminder. */
  last_reminded_at: DbTimestamp | null;
  /** Why a superseded request was closed, in words; null otherwise. */
  closed_reason: string | null;
}

export interface DbDecisionRow {
  id: string;
  request_id: string;
  request_revision: number | string;
  dossier_hash: string;
  decision: string;
  decided_by: string;
  decided_at: DbTimestamp;
  comment: string;
  voided_at: DbTimestamp | null;
}

export interface DbStandingApprovalRow {
  id: string;
  entity_ref: string;
  environment_id: string;
  request_id: string | null;
  granted_at: DbTimestamp;
  /** JSON array of user entity refs. */
  granted_by: string;
  revoked_at: DbTimestamp | null;
  revoked_by: string | null;
  revoke_reason: string | null;
}

export interface DbRollbackRow {
  id: string;
  entity_ref: string;
  environment_id: string;
  from_version: string;
  to_version: string | null;
  reason: string;
  incident_link: string | null;
  recorded_by: string;
  recorded_at: DbTimestamp;
}

export interface DbBreakGlassRow {
  id: string;
  entity_ref: string;
  environment_id: string;
  version: string;
  /** pending, approved, rejected or used. */
  status: string;
  reason: string;
  incident_link: string;
  declared_by: string;
  declared_at: DbTimestamp;
  approvals_needed: number | string;
  expires_at: DbTimestamp;
  decided_by: string | null;
  decided_at: DbTimestamp | null;
  decision_comment: string | null;
  deployment_id: string | null;
  used_at: DbTimestamp | null;
  /** JSON array of GateCondition; null until used. */
  overridden_conditions: string | null;
  review_closed_by: string | null;
  review_closed_at: DbTimestamp | null;
  review_comment: string | null;
}

export interface DbAuditEventRow {
  id: string;
  /** Auto-increment: unique and increasing, with gaps where a transaction rolled back. */
  seq: number | string;
  type: string;
  entity_ref: string;
  environment_id: string | null;
  version: string | null;
  actor: string;
  occurred_at: DbTimestamp;
  summary: string;
  /** JSON object. */
  payload: string;
  /** Position in the chain of its flow, from 1. */
  chain_seq: number | string;
  /** The signing key of the link, or `sha256-legacy` (unkeyed, recorded before the keyed chain). */
  key_id: string;
  /** The link of the event before it in its flow (legacy: in the global chain). */
  previous_hash: string;
  /** Its link (legacy: its unkeyed sha256). */
  hash: string;
}

/** The head of one flow chain. */
export interface DbAuditChainRow {
  entity_ref: string;
  chain_seq: number | string;
  seq: number | string;
  link: string;
  key_id: string;
  /** HMAC of the head; '' for `sha256-legacy` heads the migration created. */
  mac: string;
}

export interface DbFlowStateReadsRow {
  entity_ref: string;
  /** JSON: what the rows were read for. */
  reads_key: string;
  head_link: string;
  /** JSON: the rows, by read. */
  rows: string;
  key_id: string;
  mac: string;
}

export interface DbAuditCheckpointRow {
  id: string;
  created_at: DbTimestamp;
  created_by: string;
  digest: string;
  key_id: string;
  mac: string;
  flows: number | string;
  events: number | string;
  /** JSON AuditCheckpoint. */
  body: string;
}

/** The legacy chain head (migration 20261121000000_init), frozen by 20261127000000_keyed_audit_chain. */
export interface DbAuditChainHeadRow {
  id: number;
  seq: number | string;
  hash: string;
}
