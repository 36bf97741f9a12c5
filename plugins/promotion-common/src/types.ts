/*
 * The vocabulary of Promotion, shared by the backend, the frontend and the
 * pipeline CLI. Words follow PRODUCT.md: flow, environment, ladder, gate,
 * checklist item, sign-off, promotion request, decision, standing approval,
 * rollback, audit event.
 */

/** The annotation an entity carries to opt in; its value names a policy. */
export const PROMOTION_POLICY_ANNOTATION = 'promotion.io/policy';

// ---------------------------------------------------------------------------
// Configuration (validated at start-up, see config.ts)
// ---------------------------------------------------------------------------

/** Whether a checklist item is completed once per version or once per flow. */
export type ChecklistItemScope = 'version' | 'flow';

/** A validation checklist item, from the governance documents. */
export interface ChecklistItemDefinition {
  id: string;
  title: string;
  /** Defaults to `version`. */
  scope: ChecklistItemScope;
  description?: string;
  /** Whether the item needs an evidence link to be completed. Defaults to false. */
  evidenceRequired: boolean;
}

/** A post-deployment checklist item; may carry a minimum wait after the deployment. */
export interface PostDeploymentItemDefinition {
  id: string;
  title: string;
  description?: string;
  /** Minimum time after the successful deployment before the item may be completed, in seconds. */
  minimumWaitSeconds: number;
  evidenceRequired: boolean;
}

/** `none`: no approval; `once`: one-time per flow (a standing approval); `every`: each version. */
export type ApprovalMode = 'none' | 'once' | 'every';

export interface ApprovalRule {
  mode: ApprovalMode;
  /** Catalog entity refs of users and groups who may approve (`group:default/approvers`). */
  approvers: string[];
  /** How many distinct approvers are needed. Defaults to 1. */
  minApprovers: number;
  /** Whether a requester may approve their own request. Defaults to false. */
  allowSelfApproval: boolean;
}

export interface SignOffRule {
  required: boolean;
}

export interface EnvironmentDefinition {
  id: string;
  title: string;
  /** Items to complete on this environment before a version can move to the next one. */
  checklist: ChecklistItemDefinition[];
  /** Owner/customer confirmation of this environment's results. */
  signOff: SignOffRule;
  /** The approval needed to enter this environment. */
  approval: ApprovalRule;
  /** Items to complete after a deployment into this environment. */
  postDeployment: PostDeploymentItemDefinition[];
}

export interface PromotionPolicy {
  name: string;
  title?: string;
  /** The ladder, in order: the first environment has no gate conditions but its own approval rule. */
  environments: EnvironmentDefinition[];
}

export interface PromotionConfig {
  policies: Record<string, PromotionPolicy>;
  /** Pending requests older than this expire, in seconds. */
  requestExpirySeconds: number;
  /** The approvers of a pending request are reminded this often, in seconds. */
  reminderIntervalSeconds: number;
}

// ---------------------------------------------------------------------------
// Recorded facts (what the store holds, as the API returns it)
// ---------------------------------------------------------------------------

export type DeploymentStatus = 'succeeded' | 'failed';

export interface Deployment {
  id: string;
  /** The flow: a catalog entity ref, `component:default/payments-sftp`. */
  entityRef: string;
  environmentId: string;
  version: string;
  status: DeploymentStatus;
  link?: string;
  idempotencyKey?: string;
  /** User entity ref or `service:<subject>` of the reporter. */
  reportedBy: string;
  reportedAt: string;
  /** True when the gate was closed at the time the deployment was reported. */
  violation: boolean;
  /** The gate's unmet conditions at the time the deployment was reported. */
  unmetConditions: GateCondition[];
  rolledBackAt?: string;
  rollbackId?: string;
}

export type ChecklistKind = 'validation' | 'post-deployment';

export interface ChecklistCompletion {
  id: string;
  entityRef: string;
  environmentId: string;
  kind: ChecklistKind;
  itemId: string;
  /** Undefined for flow-scoped items. */
  version?: string;
  completedBy: string;
  completedAt: string;
  evidenceLink?: string;
  note?: string;
}

export interface SignOff {
  id: string;
  entityRef: string;
  environmentId: string;
  version: string;
  signedOffBy: string;
  signedOffAt: string;
  comment: string;
}

export interface Dossier {
  whatChanged: string;
  why: string;
  testResults: string;
  releaseNotes: string;
}

export type PromotionRequestStatus =
  | 'pending'
  | 'approved'
  | 'rejected'
  | 'withdrawn'
  | 'expired';

export type DecisionKind = 'approve' | 'reject';

export interface Decision {
  id: string;
  requestId: string;
  decision: DecisionKind;
  decidedBy: string;
  decidedAt: string;
  comment: string;
  /** The dossier hash the decision was given on. */
  dossierHash: string;
  /** Set when the dossier was edited after the decision: it no longer counts. */
  voidedAt?: string;
}

export interface PromotionRequest {
  id: string;
  entityRef: string;
  environmentId: string;
  version: string;
  status: PromotionRequestStatus;
  dossier: Dossier;
  /** sha256 of the canonical JSON of the dossier. */
  dossierHash: string;
  /** Incremented on every edit; guards concurrent changes. */
  revision: number;
  requestedBy: string;
  createdAt: string;
  updatedAt: string;
  expiresAt: string;
  decidedAt?: string;
  decisions: Decision[];
}

export interface StandingApproval {
  id: string;
  entityRef: string;
  environmentId: string;
  requestId?: string;
  grantedAt: string;
  /** The approvers whose decisions made it. */
  grantedBy: string[];
  revokedAt?: string;
  revokedBy?: string;
  revokeReason?: string;
}

export interface Rollback {
  id: string;
  entityRef: string;
  environmentId: string;
  /** The version that was reverted. */
  fromVersion: string;
  /** The previous working version the environment went back to. */
  toVersion?: string;
  reason: string;
  incidentLink?: string;
  recordedBy: string;
  recordedAt: string;
}

export type AuditEventType =
  | 'deployment.recorded'
  | 'checklist.completed'
  | 'checklist.undone'
  | 'sign-off.given'
  | 'request.created'
  | 'request.edited'
  | 'request.withdrawn'
  | 'request.expired'
  | 'request.reminded'
  | 'request.approved'
  | 'request.rejected'
  | 'decision.recorded'
  | 'standing-approval.granted'
  | 'standing-approval.revoked'
  | 'rollback.recorded';

/** One link of the tamper-evident audit trail. */
export interface AuditEvent {
  /** Position in the chain, from 1. */
  seq: number;
  id: string;
  type: AuditEventType;
  entityRef: string;
  environmentId?: string;
  version?: string;
  /** Who: user entity ref or `service:<subject>`. */
  actor: string;
  /** When, ISO 8601. */
  occurredAt: string;
  /** Why: the comment, reason or summary in words. */
  summary: string;
  /** What: the change itself. */
  payload: Record<string, unknown>;
  previousHash: string;
  hash: string;
}

export interface ChainVerification {
  intact: boolean;
  eventsChecked: number;
  /** Where the chain first breaks. */
  firstBrokenSeq?: number;
  problem?: string;
  verifiedAt: string;
}

// ---------------------------------------------------------------------------
// The gate
// ---------------------------------------------------------------------------

export type GateConditionCode =
  | 'unknown-environment'
  | 'first-environment'
  | 'previous-deployment-missing'
  | 'version-rolled-back'
  | 'checklist-incomplete'
  | 'sign-off-missing'
  | 'post-deployment-incomplete'
  | 'approval-required'
  | 'approval-revoked'
  | 'approval-pending';

/** One unmet condition, with a plain sentence the UI and the pipeline show as-is. */
export interface GateCondition {
  code: GateConditionCode;
  message: string;
  environmentId?: string;
  /** Checklist or post-deployment item ids, where relevant. */
  itemIds?: string[];
  /** For approval conditions: the pending request, if any. */
  requestId?: string;
}

/** Everything recorded for one flow that the gate looks at. */
export interface FlowFacts {
  deployments: Deployment[];
  checklistCompletions: ChecklistCompletion[];
  signOffs: SignOff[];
  standingApprovals: StandingApproval[];
  requests: PromotionRequest[];
}

export interface GateResult {
  entityRef: string;
  environmentId: string;
  version: string;
  open: boolean;
  /** Empty when open. */
  unmetConditions: GateCondition[];
  /** How the approval rule is satisfied when it is. */
  approvedBy?: 'none' | 'standing-approval' | 'request';
}

// ---------------------------------------------------------------------------
// API shapes
// ---------------------------------------------------------------------------

export interface EnvironmentState {
  environment: EnvironmentDefinition;
  /** The version currently standing here: the newest successful, not rolled-back deployment. */
  currentVersion?: string;
  currentDeployment?: Deployment;
  /** Completions relevant to the version the caller looks at (current version and flow-scoped). */
  checklist: ChecklistCompletion[];
  postDeployment: ChecklistCompletion[];
  signOffs: SignOff[];
  standingApproval?: StandingApproval;
}

export interface FlowState {
  entityRef: string;
  policy: PromotionPolicy;
  environments: EnvironmentState[];
  /** The next step for the newest version on the ladder: where it could go and what stands in the way. */
  nextGate?: GateResult;
  pendingRequests: PromotionRequest[];
  rollbacks: Rollback[];
}

export interface Page<T> {
  items: T[];
  /** Pass as `cursor` to get the next page; absent on the last page. */
  nextCursor?: string;
  totalCount?: number;
}

export type ViolationKind =
  | 'production-without-approval'
  | 'deployment-into-closed-gate'
  | 'not-validated-before-deployment'
  | 'release-notes-missing'
  | 'post-deployment-incomplete';

export interface Violation {
  kind: ViolationKind;
  message: string;
  entityRef: string;
  environmentId: string;
  version: string;
  deploymentId: string;
  occurredAt: string;
  /** Link (API path) to the evidence: the deployment and its audit events. */
  evidence: string;
}

export interface VerificationReport {
  from: string;
  to: string;
  generatedAt: string;
  deploymentsChecked: number;
  violations: Violation[];
  checks: Array<{ kind: ViolationKind; title: string; passed: boolean }>;
}

// ---------------------------------------------------------------------------
// The deployment trail
// ---------------------------------------------------------------------------

/** An audit event the deployment trail cites: find it by seq or id in the exported audit trail. */
export interface AuditEventRef {
  seq: number;
  id: string;
  type: AuditEventType;
  occurredAt: string;
}

/** A checklist completion as the trail shows it. */
export interface TrailChecklistEntry {
  completion: ChecklistCompletion;
  /** The item's title in the policy; its id when the policy no longer has it. */
  itemTitle: string;
  /** The audit event that recorded the completion. */
  auditEvent?: AuditEventRef;
  /** When the completion was undone, after the deployment: it still counted when the deployment was reported. */
  undoneAt?: string;
}

export interface TrailSignOffEntry {
  signOff: SignOff;
  auditEvent?: AuditEventRef;
}

export interface TrailDecisionEntry {
  decision: Decision;
  auditEvent?: AuditEventRef;
}

/**
 * How the deployment met its environment's approval rule when it was
 * reported: no approval needed, a standing approval (`once`), an approved
 * request for the version (`every`), or none in force (`missing`).
 */
export type DeploymentApprovalBasis =
  | 'none'
  | 'standing-approval'
  | 'request'
  | 'missing';

/** Who requested the deployment and who approved it. */
export interface DeploymentTrailApproval {
  /** The environment's approval mode in the flow's policy; absent when the environment is no longer on its ladder. */
  mode?: ApprovalMode;
  basis: DeploymentApprovalBasis;
  /** `once`: the standing approval in force when the deployment was reported. */
  standingApproval?: StandingApproval;
  /** The promotion request behind the approval: who requested it, and the dossier the approvals were given on. */
  request?: PromotionRequest;
  /** The approve decisions that counted on that request, given before the deployment. */
  approvals: TrailDecisionEntry[];
  /** The audit events of the request (created, edited, approved) and of the standing approval, oldest first. */
  auditEvents: AuditEventRef[];
}

/** Who validated the previous environment's results for the version. */
export interface DeploymentTrailValidation {
  environmentId: string;
  environmentTitle: string;
  /** The completions in force when the deployment was reported: version-scoped ones for the version, and flow-scoped ones. */
  completions: TrailChecklistEntry[];
  /** The policy's checklist items that were not completed when the deployment was reported. */
  missing: Array<{ id: string; title: string }>;
  /** Completions recorded after the deployment: they did not validate it. */
  later: TrailChecklistEntry[];
}

/** When the previous environment's results were signed off for the version. */
export interface DeploymentTrailSignOff {
  environmentId: string;
  environmentTitle: string;
  /** Whether the policy requires a sign-off there. */
  required: boolean;
  /** Sign-offs given before the deployment. */
  signOffs: TrailSignOffEntry[];
  /** Sign-offs given after the deployment: they did not precede it. */
  later: TrailSignOffEntry[];
}

/** The environment's post-deployment checklist for the deployed version. */
export interface DeploymentTrailPostDeployment {
  /** Completions recorded after this deployment (and before the next deployment of the same version there). */
  completions: TrailChecklistEntry[];
  /** Items not completed yet, with the time from which each may be completed. */
  open: Array<{ id: string; title: string; availableAt: string }>;
}

/**
 * The answers an auditor asks about one recorded deployment, computed from
 * what is recorded: who reported it, who requested and who approved it, who
 * validated and who signed off the previous environment's results, and the
 * post-deployment checklist, each with the audit events that record it. Only
 * facts recorded before the deployment count as having preceded it; later
 * ones are listed apart.
 */
export interface DeploymentTrail {
  entityRef: string;
  /** The environment's title in the flow's policy (its id when no longer there). */
  environmentTitle: string;
  /** The deployment, with whether it went through a closed gate and the gate's unmet conditions then. */
  deployment: Deployment;
  /** The audit event that recorded the deployment. */
  deploymentEvent?: AuditEventRef;
  approval: DeploymentTrailApproval;
  /** Absent on the first environment of the ladder. */
  validation?: DeploymentTrailValidation;
  /** Absent on the first environment of the ladder. */
  signOff?: DeploymentTrailSignOff;
  /** Present for a successful deployment into an environment with a post-deployment checklist. */
  postDeployment?: DeploymentTrailPostDeployment;
}
