import { z } from 'zod';

/*
 * What the API returns, as zod schemas: the one description of every shape
 * the backend answers with. The TypeScript types of `../types.ts` are
 * inferred from these, the backend's OpenAPI document is generated from
 * them, and the router, the frontend client and the pipeline CLI all use
 * those types. Words follow PRODUCT.md.
 */

const timestamp = z.string().meta({ description: 'ISO 8601 date-time' });

// ---------------------------------------------------------------------------
// The policy (configuration, as the API returns it)
// ---------------------------------------------------------------------------

export const checklistItemScopeSchema = z.enum(['version', 'flow']);

/**
 * Who completes a checklist item: `person` (people in the UI, the default),
 * `pipeline` (only a pipeline, with evidence, through the API or the CLI's
 * `attest`) or `both`.
 */
export const checklistAttesterSchema = z.enum(['person', 'pipeline', 'both']);

const attestedBy = checklistAttesterSchema.optional().meta({
  description:
    'Who completes the item: `pipeline` (only a pipeline, with an evidence link) or `both`; absent means `person` (people only).',
});

/** A validation checklist item, from the governance documents. */
export const checklistItemDefinitionSchema = z.object({
  id: z.string(),
  title: z.string(),
  /** Defaults to `version`. */
  scope: checklistItemScopeSchema,
  description: z.string().optional(),
  /** Whether the item needs an evidence link to be completed. Defaults to false. */
  evidenceRequired: z.boolean(),
  /**
   * Flow-scoped items only: whether a rollback of the flow undoes an earlier
   * completion, so the next version completes it again ("re-enter this
   * workflow from the top once fixed"). Defaults to true.
   */
  resetOnRollback: z.boolean(),
  attestedBy,
});

/** A post-deployment checklist item; may carry a minimum wait after the deployment. */
export const postDeploymentItemDefinitionSchema = z.object({
  id: z.string(),
  title: z.string(),
  description: z.string().optional(),
  /** Minimum time after the successful deployment before the item may be completed, in seconds. */
  minimumWaitSeconds: z.number(),
  evidenceRequired: z.boolean(),
  attestedBy,
});

/** `none`: no approval; `once`: one-time per flow (a standing approval); `every`: each version. */
export const approvalModeSchema = z.enum(['none', 'once', 'every']);

export const approvalRuleSchema = z.object({
  mode: approvalModeSchema,
  /** Catalog entity refs of users and groups who may approve (`group:default/approvers`). */
  approvers: z.array(z.string()),
  /** How many distinct approvers are needed. Defaults to 1. */
  minApprovers: z.number().int(),
  /** Whether a requester may approve their own request. Defaults to false. */
  allowSelfApproval: z.boolean(),
});

export const signOffRuleSchema = z.object({ required: z.boolean() });

/**
 * A freeze window as configured (`promotion.freezeWindows` or a policy's
 * `freezeWindows`): one-off (`start` and `end`) or recurring (`cron` and
 * `duration`), in its IANA time zone. While one is in force the gate into
 * its environments is closed (condition `frozen`), except for a rollback
 * target.
 */
export const freezeWindowDefinitionSchema = z.object({
  /** Why the environment is frozen, shown in the gate's sentence. */
  reason: z.string(),
  /** IANA time zone the window is written in and its times are shown in (`Europe/Paris`). */
  timeZone: z.string(),
  /** One-off window: when it starts, ISO 8601 with the zone's offset. */
  start: timestamp.optional(),
  /** One-off window: when it ends (exclusive), ISO 8601 with the zone's offset. */
  end: timestamp.optional(),
  /** Recurring window: a cron expression for each start, in `timeZone` (`0 18 * * 5`: Fridays 18:00). */
  cron: z.string().optional(),
  /** Recurring window: how long each lasts, ISO 8601 (`P2DT12H`); days are calendar days in `timeZone`. */
  duration: z.string().optional(),
  /** `portal`: `promotion.freezeWindows`, for every policy; `policy`: the flow's policy. */
  configuredIn: z.enum(['portal', 'policy']),
});

/** One occurrence of a freeze window for an environment: in force now (`active`) or the next to come. */
export const freezeSchema = z.object({
  environmentId: z.string(),
  reason: z.string(),
  timeZone: z.string(),
  /** ISO 8601 with the offset of `timeZone`. */
  start: timestamp,
  /** ISO 8601 with the offset of `timeZone`; the window ends just before. */
  end: timestamp,
  /** True while the window is in force: the gate into the environment is closed. */
  active: z.boolean(),
  /**
   * The window in plain words, its times in its zone: "Frozen until Mon
   * 06:00 Europe/Paris: quarter-end close", "Next freeze from Sat 00:00 to
   * Mon 06:00 Europe/Paris: weekend".
   */
  message: z.string(),
});

export const environmentDefinitionSchema = z.object({
  id: z.string(),
  title: z.string(),
  /** Items to complete on this environment before a version can move to the next one. */
  checklist: z.array(checklistItemDefinitionSchema),
  /** Owner/customer confirmation of this environment's results. */
  signOff: signOffRuleSchema,
  /** The approval needed to enter this environment. */
  approval: approvalRuleSchema,
  /** Items to complete after a deployment into this environment. */
  postDeployment: z.array(postDeploymentItemDefinitionSchema),
  /** How the post-deployment checklist binds the next version and the verification report. */
  postDeploymentRules: z.object({
    /**
     * The next version may not enter this environment until the post-deployment
     * checklist of the version standing there is complete. Rollbacks are never
     * blocked by it. Defaults to true where the environment has a
     * post-deployment checklist.
     */
    blocksNextVersion: z.boolean(),
    /**
     * The verification report counts an item as failed only once its minimum
     * wait plus this grace has passed since the deployment; before, it is
     * pending. Seconds; defaults to 24 hours.
     */
    dueWithinSeconds: z.number(),
    /**
     * The post-deployment item that records the release notes' distribution
     * (the report's "release notes delivered" check). Defaults to an item with
     * the id `release-notes-delivered`, when there is one.
     */
    releaseNotesItemId: z.string().optional(),
  }),
  /**
   * Present when a flow may enter this environment only once every
   * `dependsOn` flow has a version in `environmentId` (this environment's id
   * unless the policy names another). Absent: dependencies are not checked.
   */
  dependencies: z
    .object({
      /** The environment, by id, each dependency must have a version in. */
      environmentId: z.string(),
    })
    .optional(),
  /** What a rollback out of this environment allows. */
  rollback: z.object({
    /**
     * Besides the rollback target, every version that ran successfully in
     * this environment before the reverted one may be redeployed with no
     * approval. Defaults to false: only the rollback target.
     */
    earlierVersionsDeployable: z.boolean(),
  }),
  /**
   * Break-glass: an emergency deployment past a closed gate, declared and
   * approved. Absent when the environment allows none.
   */
  breakGlass: z
    .object({
      /** Approvals a declaration needs: 1 (by an approver of the environment) or 0. */
      approvals: z.union([z.literal(0), z.literal(1)]),
      /** Groups whose members declare with no approval needed. */
      onCallGroups: z.array(z.string()),
      /** How long an approved declaration stays usable, in seconds; defaults to 24 hours. */
      validForSeconds: z.number(),
    })
    .optional(),
  /**
   * The freeze windows that close the gate into this environment, the
   * portal's and the policy's. Absent when there are none.
   */
  freezeWindows: z.array(freezeWindowDefinitionSchema).optional(),
});

export const promotionPolicySchema = z.object({
  name: z.string(),
  title: z.string().optional(),
  /** The ladder, in order: the first environment has no gate conditions but its own approval rule. */
  environments: z.array(environmentDefinitionSchema),
});

// ---------------------------------------------------------------------------
// The gate
// ---------------------------------------------------------------------------

export const gateConditionCodeSchema = z.enum([
  'unknown-environment',
  'first-environment',
  'previous-deployment-missing',
  'version-rolled-back',
  'checklist-incomplete',
  'sign-off-missing',
  'post-deployment-incomplete',
  'predecessor-post-deployment-incomplete',
  'approval-required',
  'approval-revoked',
  'approval-pending',
  'dependency-missing',
  'frozen',
]);

/** One unmet condition, with a plain sentence the UI and the pipeline show as-is. */
export const gateConditionSchema = z.object({
  code: gateConditionCodeSchema,
  message: z.string().meta({ description: 'The condition in plain words' }),
  environmentId: z.string().optional(),
  /** Checklist or post-deployment item ids, where relevant. */
  itemIds: z.array(z.string()).optional(),
  /** For approval conditions: the pending request, if any. */
  requestId: z.string().optional(),
  /** For `dependency-missing`: the dependency's entity ref. */
  dependencyRef: z.string().optional(),
});

/**
 * How the gate answered for one `dependsOn` relation of the flow, where the
 * environment requires its dependencies: `met` (it has a version there),
 * `unmet` (it has none: a `dependency-missing` condition), `cycle` (it
 * depends on the flow in turn: not required), `not-a-flow` (not a
 * Component taking part in Promotion, or not in the catalog: not checked),
 * `not-on-ladder` (its own ladder has no such environment: not checked).
 */
export const dependencyCheckSchema = z.object({
  /** The dependency's entity ref. */
  entityRef: z.string(),
  status: z.enum(['met', 'unmet', 'cycle', 'not-a-flow', 'not-on-ladder']),
  /** The environment it must have a version in. */
  environmentId: z.string(),
  /** Its version there, when it has one. */
  version: z.string().optional(),
  message: z.string().meta({ description: 'The check in plain words' }),
});

export const gateResultSchema = z.object({
  entityRef: z.string(),
  environmentId: z.string(),
  version: z.string(),
  open: z.boolean(),
  /** Empty when open. */
  unmetConditions: z.array(gateConditionSchema),
  /** How the approval rule is satisfied when it is. */
  /**
   * How the approval rule is satisfied when it is. `rollback-target`: the
   * version is what a rollback reverted to, deployable with no approval.
   */
  approvedBy: z
    .enum([
      'none',
      'standing-approval',
      'request',
      'rollback-target',
      'break-glass',
    ])
    .optional(),
  /**
   * With `approvedBy: 'break-glass'`: the conditions the approved break-glass
   * declaration overrides, in the gate's words.
   */
  overriddenConditions: z.array(gateConditionSchema).optional(),
  /** With `approvedBy: 'break-glass'`: the declaration that opens the gate. */
  breakGlassId: z.string().optional(),
  /**
   * Where the environment requires its dependencies: the answer for each
   * `dependsOn` relation of the flow, met or not, in words.
   */
  dependencies: z.array(dependencyCheckSchema).optional().meta({
    description:
      "Where the environment requires its dependencies: the answer for each of the flow's dependsOn relations",
  }),
  /** The freeze window in force, when the environment is frozen (condition `frozen`). */
  freeze: freezeSchema.optional(),
});

// ---------------------------------------------------------------------------
// Recorded facts (what the store holds, as the API returns it)
// ---------------------------------------------------------------------------

export const deploymentStatusSchema = z.enum(['succeeded', 'failed']);

export const deploymentSchema = z.object({
  id: z.string(),
  /** The flow: a catalog entity ref, `component:default/payments-sftp`. */
  entityRef: z.string(),
  environmentId: z.string(),
  version: z.string(),
  status: deploymentStatusSchema,
  link: z.string().optional(),
  idempotencyKey: z.string().optional(),
  /** User entity ref or `service:<subject>` of the reporter. */
  reportedBy: z.string(),
  reportedAt: timestamp,
  /** True when the gate was closed at the time the deployment was reported. */
  violation: z.boolean(),
  /** The gate's unmet conditions at the time the deployment was reported. */
  unmetConditions: z.array(gateConditionSchema),
  rolledBackAt: timestamp.optional(),
  rollbackId: z.string().optional(),
  /**
   * The break-glass declaration the deployment went in on: the gate was open
   * only by it, and its retrospective review is opened.
   */
  breakGlassId: z.string().optional(),
});

export const checklistKindSchema = z.enum(['validation', 'post-deployment']);

export const checklistCompletionSchema = z.object({
  id: z.string(),
  entityRef: z.string(),
  environmentId: z.string(),
  kind: checklistKindSchema,
  itemId: z.string(),
  /** Undefined for flow-scoped items. */
  version: z.string().optional(),
  completedBy: z.string(),
  completedAt: timestamp,
  evidenceLink: z.string().optional(),
  note: z.string().optional(),
  /** A pipeline's attestation: its short result ("1,284 passed"). */
  result: z.string().optional(),
});

export const signOffSchema = z.object({
  id: z.string(),
  entityRef: z.string(),
  environmentId: z.string(),
  version: z.string(),
  signedOffBy: z.string(),
  signedOffAt: timestamp,
  comment: z.string(),
});

/** The dossier as recorded: every field present (the request body may leave some out). */
export const recordedDossierSchema = z.object({
  whatChanged: z.string(),
  why: z.string(),
  testResults: z.string(),
  releaseNotes: z.string(),
});

export const promotionRequestStatusSchema = z.enum([
  'pending',
  'approved',
  'rejected',
  'withdrawn',
  'expired',
  'superseded',
]);

export const decisionKindSchema = z.enum(['approve', 'reject']);

export const decisionSchema = z.object({
  id: z.string(),
  requestId: z.string(),
  decision: decisionKindSchema,
  decidedBy: z.string(),
  decidedAt: timestamp,
  comment: z.string(),
  /** The dossier hash the decision was given on. */
  dossierHash: z.string(),
  /** Set when the dossier was edited after the decision: it no longer counts. */
  voidedAt: timestamp.optional(),
});

export const promotionRequestSchema = z.object({
  id: z.string(),
  entityRef: z.string(),
  environmentId: z.string(),
  version: z.string(),
  status: promotionRequestStatusSchema,
  dossier: recordedDossierSchema,
  /** sha256 of the canonical JSON of the dossier. */
  dossierHash: z.string(),
  /** Incremented on every edit; guards concurrent changes. */
  revision: z.number().int(),
  requestedBy: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
  expiresAt: timestamp,
  decidedAt: timestamp.optional(),
  decisions: z.array(decisionSchema),
  /** Why a superseded request was closed, in words. */
  closedReason: z.string().optional(),
});

export const standingApprovalSchema = z.object({
  id: z.string(),
  entityRef: z.string(),
  environmentId: z.string(),
  requestId: z.string().optional(),
  grantedAt: timestamp,
  /** The approvers whose decisions made it. */
  grantedBy: z.array(z.string()),
  revokedAt: timestamp.optional(),
  revokedBy: z.string().optional(),
  revokeReason: z.string().optional(),
});

/** A recorded rollback, as the flow state lists it. */
export const rollbackSchema = z.object({
  id: z.string(),
  entityRef: z.string(),
  environmentId: z.string(),
  /** The version that was reverted. */
  fromVersion: z.string(),
  /** The previous working version the environment went back to. */
  toVersion: z.string().optional(),
  reason: z.string(),
  incidentLink: z.string().optional(),
  recordedBy: z.string(),
  recordedAt: timestamp,
});

/** What recording a rollback answers: the rollback, what it revoked, and whether an incident report is still wanted. */
export const rollbackResultSchema = rollbackSchema.extend({
  revokedStandingApprovals: z.array(standingApprovalSchema),
  /** True when no incident link was given: the client should ask for one. */
  incidentReportRequested: z.boolean().meta({
    description: 'True when no incident link was given: please add one',
  }),
});

/**
 * `pending`: waits for an approver; `approved`: opens the gate for its
 * version until used or expired; `rejected`; `used`: a deployment went in on
 * it (its retrospective review opened). A pending or approved declaration
 * past `expiresAt` no longer counts.
 */
export const breakGlassStatusSchema = z.enum([
  'pending',
  'approved',
  'rejected',
  'used',
]);

/** A break-glass declaration: an emergency deployment of a version past a closed gate. */
export const breakGlassSchema = z.object({
  id: z.string(),
  entityRef: z.string(),
  environmentId: z.string(),
  version: z.string(),
  status: breakGlassStatusSchema,
  reason: z.string(),
  incidentLink: z.string(),
  declaredBy: z.string(),
  declaredAt: timestamp,
  /** Approvals it needed when declared: 0 (on-call, or none configured) or 1. */
  approvalsNeeded: z.number().int(),
  /** After this it no longer opens the gate. */
  expiresAt: timestamp,
  decidedBy: z.string().optional(),
  decidedAt: timestamp.optional(),
  decisionComment: z.string().optional(),
  /** The deployment that went in on it. */
  deploymentId: z.string().optional(),
  usedAt: timestamp.optional(),
  /** The gate's unmet conditions it overrode when the deployment was reported. */
  overriddenConditions: z.array(gateConditionSchema),
  /** `open` from the deployment until an approver closes it with a comment. */
  review: z
    .object({
      status: z.enum(['open', 'closed']),
      closedBy: z.string().optional(),
      closedAt: timestamp.optional(),
      comment: z.string().optional(),
    })
    .optional(),
});

export const auditEventTypeSchema = z.enum([
  'deployment.recorded',
  'checklist.completed',
  'checklist.undone',
  'sign-off.given',
  'request.created',
  'request.edited',
  'request.withdrawn',
  'request.expired',
  'request.superseded',
  'request.reminded',
  'request.approved',
  'request.rejected',
  'decision.recorded',
  'standing-approval.granted',
  'standing-approval.revoked',
  'rollback.recorded',
  'break-glass.declared',
  'break-glass.approved',
  'break-glass.rejected',
  'break-glass.used',
  'break-glass.review-closed',
]);

/** One link of the tamper-evident audit trail. */
export const auditEventSchema = z.object({
  /** Position in the chain, from 1. */
  seq: z.number().int(),
  id: z.string(),
  type: auditEventTypeSchema,
  entityRef: z.string(),
  environmentId: z.string().optional(),
  version: z.string().optional(),
  /** Who: user entity ref or `service:<subject>`. */
  actor: z.string(),
  /** When, ISO 8601. */
  occurredAt: timestamp,
  /** Why: the comment, reason or summary in words. */
  summary: z.string(),
  /** What: the change itself. */
  payload: z.record(z.string(), z.unknown()),
  previousHash: z.string(),
  hash: z.string(),
});

/** The paging fields of a page of results; `items` is added per page type. */
export const pageInfoSchema = z.object({
  /** Pass as `cursor` to get the next page; absent on the last page. */
  nextCursor: z.string().optional(),
  totalCount: z.number().int().optional(),
});

export const auditEventPageSchema = z.object({
  items: z.array(auditEventSchema),
  ...pageInfoSchema.shape,
});

/**
 * One break verification found: what (`kind`), in words (`message`, naming
 * the table and row or the event seq), and where.
 */
export const auditBreakSchema = z.object({
  /** `event-altered`, `event-missing`, `event-inserted`, `link-forged`, `unknown-key`, `chain-truncated`, `head-altered`, `checkpoint-mismatch`, `state-altered`, `state-missing`, `state-unrecorded`. */
  kind: z.string(),
  message: z.string(),
  /** The audit event's seq, where one is concerned. */
  seq: z.number().int().optional(),
  /** The flow. */
  entityRef: z.string().optional(),
  /** The table of a state row. */
  table: z.string().optional(),
  rowId: z.string().optional(),
});

/** The head of a flow's audit chain: its last event. */
export const auditChainHeadSchema = z.object({
  entityRef: z.string(),
  /** Position of the last event in the flow chain. */
  chainSeq: z.number().int().nonnegative(),
  /** Seq of the last event. */
  seq: z.number().int().nonnegative(),
  /** Link of the last event. */
  link: z.string().regex(/^[0-9a-f]{64}$/),
});

/**
 * A signed record of every flow chain's head, for an auditor to keep outside
 * the database and verify against later.
 */
export const auditCheckpointSchema = z.object({
  id: z.string().uuid(),
  createdAt: timestamp,
  createdBy: z.string(),
  heads: z.array(auditChainHeadSchema),
  /** Number of flow chains. */
  flows: z.number().int().nonnegative(),
  /** Events in the chains (sum of the heads' positions). */
  events: z.number().int().nonnegative(),
  /** sha256 of the canonical JSON of `{ id, createdAt, createdBy, heads }`. */
  digest: z.string().regex(/^[0-9a-f]{64}$/),
  /** The signing key of `mac`. */
  keyId: z.string(),
  /** HMAC-SHA256 of the digest under the audit signing key. */
  mac: z.string().regex(/^[0-9a-f]{64}$/),
});

export const chainVerificationSchema = z.object({
  intact: z.boolean(),
  eventsChecked: z.number().int(),
  /** Where the chain first breaks. */
  firstBrokenSeq: z.number().int().optional(),
  /** The first break, in words. */
  problem: z.string().optional(),
  verifiedAt: timestamp,
  /** Every break found, up to a limit. */
  breaks: z.array(auditBreakSchema).optional(),
  /** More breaks were found than are listed. */
  breaksTruncated: z.boolean().optional(),
  /** Flow chains checked. */
  flowsChecked: z.number().int().optional(),
  /** State rows checked against the events that recorded them. */
  rowsChecked: z.number().int().optional(),
  /** The checkpoint the chains were also checked against. */
  checkpoint: z
    .object({ id: z.string(), digest: z.string(), createdAt: timestamp })
    .optional(),
});
