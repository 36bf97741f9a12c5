/*
 * The REST API contract between promotion-backend, the frontend client and the
 * pipeline CLI. All paths are relative to the plugin's base URL
 * (`/api/promotion`). A flow is addressed by its catalog entity ref split
 * into `:namespace/:kind/:name` (lower-case kind, e.g. `default/component/payments-sftp`).
 *
 * | method | path | body / query | returns |
 * | --- | --- | --- | --- |
 * | GET | /health | | `{ status: 'ok' }` (public) |
 * | GET | /openapi.json | | OpenAPI 3.1 document |
 * | GET | /flows/:namespace/:kind/:name | | FlowState |
 * | GET | /flows/:namespace/:kind/:name/gate | ?environment=&version= | GateResult (pipelines) |
 * | POST | /flows/:namespace/:kind/:name/deployments | RecordDeploymentRequest | `{ deployment, replayed }` 201 (200 when replayed) |
 * | GET | /flows/:namespace/:kind/:name/deployments/:deploymentId/trail | | DeploymentTrail (users and pipelines) |
 * | POST | /flows/:namespace/:kind/:name/environments/:environment/checklist/:itemId | CompleteChecklistItemRequest | ChecklistCompletion 201 |
 * | DELETE | /flows/:namespace/:kind/:name/environments/:environment/checklist/:itemId | ?version= | 204 |
 * | POST | /flows/:namespace/:kind/:name/environments/:environment/post-deployment/:itemId | CompleteChecklistItemRequest | ChecklistCompletion 201 |
 * | DELETE | /flows/:namespace/:kind/:name/environments/:environment/post-deployment/:itemId | ?version= | 204 |
 * | POST | /flows/:namespace/:kind/:name/environments/:environment/sign-offs | SignOffRequest | SignOff 201 |
 * | POST | /flows/:namespace/:kind/:name/environments/:environment/standing-approval/revoke | RevokeRequest | StandingApproval[] |
 * | POST | /flows/:namespace/:kind/:name/rollbacks | RollbackRequest | Rollback 201 |
 * | GET | /flows/:namespace/:kind/:name/events | ?cursor=&limit= | Page<AuditEvent> |
 * | POST | /flows/:namespace/:kind/:name/requests | CreatePromotionRequestRequest | PromotionRequest 201 |
 * | GET | /requests/:id | | PromotionRequest |
 * | PATCH | /requests/:id | EditPromotionRequestRequest | PromotionRequest (voids earlier approvals) |
 * | POST | /requests/:id/withdraw | `{ reason? }` | PromotionRequest |
 * | POST | /requests/:id/decisions | DecisionRequest | PromotionRequest |
 * | GET | /inbox | | InboxResponse: requests waiting for the caller |
 * | GET | /audit/events | ?from=&to=&cursor=&limit= | Page<AuditEvent> (audit read) |
 * | GET | /audit/export | ?format=csv|ndjson&from=&to= | text/csv or application/x-ndjson download |
 * | GET | /audit/verify | | ChainVerification |
 * | GET | /reports/verification | ?from=&to=&format=json|csv | VerificationReport or CSV |
 * | GET | /flows/:namespace/:kind/:name/permissions | | FlowPermissions (what the caller may do, for the UI) |
 */
import {
  AuditEvent,
  DecisionKind,
  DeploymentStatus,
  Dossier,
  PromotionRequest,
} from './types';

export interface RecordDeploymentRequest {
  environment: string;
  version: string;
  status: DeploymentStatus;
  link?: string;
  /** Same key + same content = replay (200, no new record); same key + different content = 409. */
  idempotencyKey?: string;
}

export interface CompleteChecklistItemRequest {
  /** Required for version-scoped items, must be absent for flow-scoped items. */
  version?: string;
  evidenceLink?: string;
  note?: string;
}

export interface SignOffRequest {
  version: string;
  comment: string;
}

export interface CreatePromotionRequestRequest {
  environment: string;
  version: string;
  dossier: Dossier;
}

export interface EditPromotionRequestRequest {
  dossier: Dossier;
  /** The revision the editor saw; 409 if it changed meanwhile. */
  revision?: number;
}

export interface DecisionRequest {
  decision: DecisionKind;
  comment: string;
  /** The dossier hash the approver read; 409 if the dossier changed meanwhile. */
  dossierHash?: string;
}

export interface RevokeRequest {
  reason: string;
}

export interface RollbackRequest {
  environment: string;
  /** The version being reverted; defaults to the version currently standing in the environment. */
  fromVersion?: string;
  /** The previous working version; defaults to the one before. */
  toVersion?: string;
  reason: string;
  incidentLink?: string;
}

export interface InboxItem {
  request: PromotionRequest;
  /** The title of the environment the request is for, from the flow's policy. */
  environmentTitle: string;
  /** Approvals counted on the current dossier / needed. */
  approvals: number;
  requiredApprovals: number;
  /** Why the caller cannot decide, when they cannot (e.g. they requested it). */
  cannotDecideReason?: string;
}

export interface InboxResponse {
  items: InboxItem[];
}

/** What the caller may do on one flow, with a reason in words when not. */
export interface FlowPermissions {
  recordDeployment: PermissionAnswer;
  completeChecklist: PermissionAnswer;
  signOff: PermissionAnswer;
  request: PermissionAnswer;
  approve: PermissionAnswer;
  revoke: PermissionAnswer;
  rollback: PermissionAnswer;
  readAudit: PermissionAnswer;
}

export interface PermissionAnswer {
  allowed: boolean;
  reason?: string;
}

export type AuditEventPage = { items: AuditEvent[]; nextCursor?: string };
