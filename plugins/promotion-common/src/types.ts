import type { z } from 'zod';
import type {
  approvalModeSchema,
  approvalRuleSchema,
  auditBreakSchema,
  auditChainHeadSchema,
  auditCheckpointSchema,
  auditEventRefSchema,
  auditEventSchema,
  auditEventTypeSchema,
  breakGlassSchema,
  breakGlassStatusSchema,
  chainVerificationSchema,
  checklistAttesterSchema,
  checklistCompletionSchema,
  checklistItemDefinitionSchema,
  checklistItemScopeSchema,
  checklistKindSchema,
  decisionKindSchema,
  decisionSchema,
  deploymentApprovalBasisSchema,
  dependencyCheckSchema,
  deploymentSchema,
  deploymentStatusSchema,
  deploymentTrailApprovalSchema,
  deploymentTrailPostDeploymentSchema,
  deploymentTrailSchema,
  deploymentTrailSignOffSchema,
  deploymentTrailValidationSchema,
  environmentDefinitionSchema,
  environmentStateSchema,
  flowStateSchema,
  freezeSchema,
  freezeWindowDefinitionSchema,
  gateConditionCodeSchema,
  gateConditionSchema,
  gateResultSchema,
  pageInfoSchema,
  postDeploymentItemDefinitionSchema,
  promotionPolicySchema,
  promotionRequestSchema,
  promotionRequestStatusSchema,
  recordedDossierSchema,
  rollbackResultSchema,
  rollbackSchema,
  signOffRuleSchema,
  signOffSchema,
  standingApprovalSchema,
  trailChecklistEntrySchema,
  trailDecisionEntrySchema,
  trailSignOffEntrySchema,
  verificationReportSchema,
  insightsSchema,
  insightsWeekSchema,
  violationKindSchema,
  violationSchema,
} from './schema';

/*
 * The vocabulary of Promotion, shared by the backend, the frontend and the
 * pipeline CLI. Words follow PRODUCT.md: flow, environment, ladder, gate,
 * checklist item, sign-off, promotion request, decision, standing approval,
 * rollback, audit event.
 *
 * Every shape the API carries is inferred from its zod schema in `./schema`,
 * the one description of the contract; only the imports are type-only, so
 * the frontend bundles no schema for these types.
 */

/** The annotation an entity carries to opt in; its value names a policy. */
export const PROMOTION_POLICY_ANNOTATION = 'promotion.io/policy';

// ---------------------------------------------------------------------------
// Configuration (validated at start-up, see config.ts)
// ---------------------------------------------------------------------------

/** Whether a checklist item is completed once per version or once per flow. */
export type ChecklistItemScope = z.infer<typeof checklistItemScopeSchema>;

/** Who completes a checklist item: people (`person`, the default), the pipeline, or `both`. */
export type ChecklistAttester = z.infer<typeof checklistAttesterSchema>;

/** A validation checklist item, from the governance documents. */
export type ChecklistItemDefinition = z.infer<
  typeof checklistItemDefinitionSchema
>;

/** A post-deployment checklist item; may carry a minimum wait after the deployment. */
export type PostDeploymentItemDefinition = z.infer<
  typeof postDeploymentItemDefinitionSchema
>;

/** `none`: no approval; `once`: one-time per flow (a standing approval); `every`: each version. */
export type ApprovalMode = z.infer<typeof approvalModeSchema>;

export type ApprovalRule = z.infer<typeof approvalRuleSchema>;

export type SignOffRule = z.infer<typeof signOffRuleSchema>;

export type EnvironmentDefinition = z.infer<typeof environmentDefinitionSchema>;

export type PromotionPolicy = z.infer<typeof promotionPolicySchema>;

/** A freeze window as configured, normalised (see `freeze.ts`). */
export type FreezeWindowDefinition = z.infer<
  typeof freezeWindowDefinitionSchema
>;

/** One occurrence of a freeze window for an environment: in force now or the next. */
export type Freeze = z.infer<typeof freezeSchema>;

/** How the governance insights count (`promotion.insights`). */
export interface InsightsConfig {
  /** The environment ids counted as Production; `['production']` by default. */
  productionEnvironments: string[];
  /** The longest range the insights cover, in days; 366 by default. */
  maxRangeDays: number;
}

export interface PromotionConfig {
  policies: Record<string, PromotionPolicy>;
  /** Pending requests older than this expire, in seconds. */
  requestExpirySeconds: number;
  /** The approvers of a pending request are reminded this often, in seconds. */
  reminderIntervalSeconds: number;
  /** A request for a newer version closes the pending request for an older one into the same environment. */
  supersedeOlderRequests: boolean;
  /**
   * The governance insights (`promotion.insights`); readPromotionConfig
   * always sets it, with its defaults.
   */
  insights?: InsightsConfig;
  /** Present when the `notifications` key is configured. */
  notifications?: {
    /**
     * Besides the environment's approvers, who is told of a deployment
     * through a closed gate (normalised user and group entity refs).
     */
    violationRecipients: string[];
  };
}

// ---------------------------------------------------------------------------
// Recorded facts (what the store holds, as the API returns it)
// ---------------------------------------------------------------------------

export type DeploymentStatus = z.infer<typeof deploymentStatusSchema>;

export type Deployment = z.infer<typeof deploymentSchema>;

export type ChecklistKind = z.infer<typeof checklistKindSchema>;

export type ChecklistCompletion = z.infer<typeof checklistCompletionSchema>;

export type SignOff = z.infer<typeof signOffSchema>;

/** The dossier of a promotion request: what changed, why, test results, release notes. */
export type Dossier = z.infer<typeof recordedDossierSchema>;

export type PromotionRequestStatus = z.infer<
  typeof promotionRequestStatusSchema
>;

export type DecisionKind = z.infer<typeof decisionKindSchema>;

export type Decision = z.infer<typeof decisionSchema>;

export type PromotionRequest = z.infer<typeof promotionRequestSchema>;

export type StandingApproval = z.infer<typeof standingApprovalSchema>;

/** A recorded rollback. */
export type Rollback = z.infer<typeof rollbackSchema>;

/** What recording a rollback answers: the rollback, the standing approvals it revoked, and whether an incident report is still wanted. */
export type RollbackResult = z.infer<typeof rollbackResultSchema>;

export type BreakGlassStatus = z.infer<typeof breakGlassStatusSchema>;

/** A break-glass declaration: an emergency deployment of a version past a closed gate. */
export type BreakGlass = z.infer<typeof breakGlassSchema>;

export type AuditEventType = z.infer<typeof auditEventTypeSchema>;

/** One link of the tamper-evident audit trail. */
export type AuditEvent = z.infer<typeof auditEventSchema>;

export type ChainVerification = z.infer<typeof chainVerificationSchema>;

/** One break the audit verification found. */
export type AuditBreak = z.infer<typeof auditBreakSchema>;

/** The head of a flow's audit chain. */
export type AuditChainHead = z.infer<typeof auditChainHeadSchema>;

/** A signed record of every flow chain's head, kept outside the database. */
export type AuditCheckpoint = z.infer<typeof auditCheckpointSchema>;

// ---------------------------------------------------------------------------
// The gate
// ---------------------------------------------------------------------------

export type GateConditionCode = z.infer<typeof gateConditionCodeSchema>;

/** One unmet condition, with a plain sentence the UI and the pipeline show as-is. */
export type GateCondition = z.infer<typeof gateConditionSchema>;

/** Everything recorded for one flow that the gate looks at. */
export interface FlowFacts {
  deployments: Deployment[];
  checklistCompletions: ChecklistCompletion[];
  signOffs: SignOff[];
  standingApprovals: StandingApproval[];
  requests: PromotionRequest[];
  /**
   * The flow's recorded rollbacks. They re-arm the approval, undo flow-scoped
   * completions that reset on rollback, and make the rollback target
   * deployable with no approval. Absent means none.
   */
  rollbacks?: Rollback[];
  /**
   * The flow's break-glass declarations the gate may use: an approved one
   * for exactly V into E, unused and unexpired, opens the gate with
   * `approvedBy: 'break-glass'`. Absent means none.
   */
  breakGlasses?: BreakGlass[];
  /**
   * The flow's `dependsOn` relations, where the gate's environment requires
   * its dependencies (`EnvironmentDefinition.dependencies`). Absent means
   * they were not read: the gate then does not check them.
   */
  dependencies?: DependencyFacts[];
}

/** One `dependsOn` relation of a flow, as the gate reads it. */
export interface DependencyFacts {
  /** The dependency's entity ref. */
  entityRef: string;
  /** Its title or name, as people know it; defaults to the name of its ref. */
  title?: string;
  /**
   * `flow`: a Component taking part in Promotion; `not-in-promotion`: in the
   * catalog, but not such a Component; `not-in-catalog`: not found.
   */
  kind: 'flow' | 'not-in-promotion' | 'not-in-catalog';
  /** The version standing in each environment read, by environment id. */
  versions: Record<string, string>;
  /** For a flow: the environment ids of its own ladder. */
  ladder?: string[];
  /**
   * Where the dependency depends on the flow in turn (directly or through
   * other flows): the chain of entity refs from the flow back to itself,
   * `[flow, dependency, …, flow]`.
   */
  cycle?: string[];
}

/** How the gate answered for one dependency. */
export type DependencyCheck = z.infer<typeof dependencyCheckSchema>;

export type GateResult = z.infer<typeof gateResultSchema>;

// ---------------------------------------------------------------------------
// API shapes
// ---------------------------------------------------------------------------

export type EnvironmentState = z.infer<typeof environmentStateSchema>;

export type FlowState = z.infer<typeof flowStateSchema>;

/** One page of results: the items, and the cursor of the next page. */
export type Page<T> = { items: T[] } & z.infer<typeof pageInfoSchema>;

export type ViolationKind = z.infer<typeof violationKindSchema>;

export type Violation = z.infer<typeof violationSchema>;

export type VerificationReport = z.infer<typeof verificationReportSchema>;

/** Governance insights over a time range (`GET /insights`). */
export type Insights = z.infer<typeof insightsSchema>;

/** One ISO week of {@link Insights}. */
export type InsightsWeek = z.infer<typeof insightsWeekSchema>;

// ---------------------------------------------------------------------------
// The deployment trail
// ---------------------------------------------------------------------------

/** An audit event the deployment trail cites: find it by seq or id in the exported audit trail. */
export type AuditEventRef = z.infer<typeof auditEventRefSchema>;

/** A checklist completion as the trail shows it. */
export type TrailChecklistEntry = z.infer<typeof trailChecklistEntrySchema>;

export type TrailSignOffEntry = z.infer<typeof trailSignOffEntrySchema>;

export type TrailDecisionEntry = z.infer<typeof trailDecisionEntrySchema>;

/**
 * How the deployment met its environment's approval rule when it was
 * reported: no approval needed, a standing approval (`once`), an approved
 * request for the version (`every`), the rollback target going back
 * (`rollback-target`), an approved break-glass declaration (`break-glass`),
 * or none in force (`missing`).
 */
export type DeploymentApprovalBasis = z.infer<
  typeof deploymentApprovalBasisSchema
>;

/** Who requested the deployment and who approved it. */
export type DeploymentTrailApproval = z.infer<
  typeof deploymentTrailApprovalSchema
>;

/** Who validated the previous environment's results for the version. */
export type DeploymentTrailValidation = z.infer<
  typeof deploymentTrailValidationSchema
>;

/** When the previous environment's results were signed off for the version. */
export type DeploymentTrailSignOff = z.infer<
  typeof deploymentTrailSignOffSchema
>;

/** The environment's post-deployment checklist for the deployed version. */
export type DeploymentTrailPostDeployment = z.infer<
  typeof deploymentTrailPostDeploymentSchema
>;

/**
 * The answers an auditor asks about one recorded deployment: who reported
 * it, who requested and who approved it, who validated and who signed off
 * the previous environment's results, and the post-deployment checklist,
 * each with the audit events that record it.
 */
export type DeploymentTrail = z.infer<typeof deploymentTrailSchema>;
