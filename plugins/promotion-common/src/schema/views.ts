import { z } from 'zod';
import {
  auditEventTypeSchema,
  breakGlassSchema,
  checklistCompletionSchema,
  decisionSchema,
  dependencyCheckSchema,
  deploymentSchema,
  environmentDefinitionSchema,
  freezeSchema,
  gateConditionSchema,
  gateResultSchema,
  promotionPolicySchema,
  promotionRequestSchema,
  rollbackSchema,
  signOffSchema,
  standingApprovalSchema,
} from './model';

/*
 * What the API returns that is computed rather than recorded: the flow's
 * state on its ladder, the approver's inbox, the caller's permissions, the
 * verification report and the deployment trail. Schemas only; the types are
 * inferred in `../types.ts` and `../api.ts`.
 */

const timestamp = z.string().meta({ description: 'ISO 8601 date-time' });

// ---------------------------------------------------------------------------
// A flow on its ladder
// ---------------------------------------------------------------------------

export const environmentStateSchema = z.object({
  environment: environmentDefinitionSchema,
  /** The version currently standing here: the newest successful, not rolled-back deployment. */
  currentVersion: z.string().optional(),
  currentDeployment: deploymentSchema.optional(),
  /** Completions relevant to the version the caller looks at (current version and flow-scoped). */
  checklist: z.array(checklistCompletionSchema),
  postDeployment: z.array(checklistCompletionSchema),
  signOffs: z.array(signOffSchema),
  standingApproval: standingApprovalSchema.optional(),
  /** The freeze window in force here now, or else the next one to come. */
  freeze: freezeSchema.optional(),
});

export const flowStateSchema = z.object({
  entityRef: z.string(),
  policy: promotionPolicySchema,
  environments: z.array(environmentStateSchema),
  /** The next step for the newest version on the ladder: where it could go and what stands in the way. */
  nextGate: gateResultSchema.optional(),
  pendingRequests: z.array(promotionRequestSchema),
  /**
   * The flow's most recent rollbacks (at most ten), oldest first: the latest
   * decides which flow-scoped items a rollback reset. Every rollback stays in
   * the flow's history (the audit events, paged).
   */
  rollbacks: z.array(rollbackSchema),
  /**
   * The flow's break-glass declarations still in play, oldest first: pending,
   * approved and not used yet, and used ones whose retrospective review is
   * open.
   */
  breakGlasses: z.array(breakGlassSchema).optional(),
  /**
   * For each environment of the ladder that requires its dependencies, in
   * ladder order: how each of the flow's `dependsOn` relations stands there
   * (the gate's own answer). Empty when no environment requires them.
   */
  dependencies: z
    .array(
      z.object({
        environmentId: z.string(),
        checks: z.array(dependencyCheckSchema),
      }),
    )
    .optional()
    .meta({
      description:
        'For each environment that requires its dependencies: how each dependsOn relation of the flow stands there',
    }),
});

export const recordDeploymentResponseSchema = z.object({
  deployment: deploymentSchema,
  /** True when the idempotency key and content were seen before: nothing new was recorded. */
  replayed: z.boolean(),
});

// ---------------------------------------------------------------------------
// Approvers and permissions
// ---------------------------------------------------------------------------

/**
 * The gate for the request's version into its environment with the approval
 * rule left out: what else stands in the way once the request is approved.
 */
export const inboxGateSchema = z.object({
  /** True when the approval is all the gate still waits for. */
  openOnceApproved: z.boolean(),
  /** The unmet conditions other than the approval, in the gate's own words. */
  otherConditions: z.array(gateConditionSchema),
});

/** The previous environment's sign-off of the request's version. */
export const inboxSignOffSchema = z.object({
  environmentId: z.string(),
  environmentTitle: z.string(),
  /** Whether the policy requires a sign-off there. */
  required: z.boolean(),
  /** The sign-offs given for the version, oldest first. */
  signOffs: z.array(signOffSchema),
});

/** A `dependsOn` flow of the requesting flow with no version in the request's environment yet. */
export const inboxDependencyWarningSchema = z.object({
  /** The dependency's entity ref. */
  entityRef: z.string(),
  /** The environment it has no version in (the request's environment). */
  environmentId: z.string(),
});

export const inboxItemSchema = z.object({
  request: promotionRequestSchema,
  /** The title of the environment the request is for, from the flow's policy. */
  environmentTitle: z.string(),
  /** Approvals counted on the current dossier. */
  approvals: z.number().int(),
  /** Approvals needed. */
  requiredApprovals: z.number().int(),
  /** Why the caller cannot decide, when they cannot (e.g. they requested it). */
  cannotDecideReason: z.string().optional(),
  /** The gate for the version into the environment, the approval itself left out. */
  gate: inboxGateSchema,
  /** The previous environment's sign-off; absent on the first environment of the ladder. */
  previousSignOff: inboxSignOffSchema.optional().meta({
    description:
      "The previous environment's sign-off of the version; absent on the first environment",
  }),
  /**
   * The flow's `dependsOn` components that take part in Promotion and have
   * no version in the request's environment yet.
   */
  dependencyWarnings: z.array(inboxDependencyWarningSchema).meta({
    description:
      "The flow's dependsOn components in Promotion with no version in the request's environment yet",
  }),
});

/** A break-glass declaration an approver may decide, or whose retrospective review they may close. */
export const breakGlassInboxItemSchema = z.object({
  breakGlass: breakGlassSchema,
  /** The title of its environment, from the flow's policy. */
  environmentTitle: z.string(),
  /** `decide`: waits for approval; `review`: its retrospective review is open. */
  action: z.enum(['decide', 'review']),
  /** Why the caller cannot act on it, when they cannot (e.g. they declared it). */
  cannotActReason: z.string().optional(),
});

export const breakGlassInboxSchema = z.object({
  items: z.array(breakGlassInboxItemSchema),
});

export const inboxResponseSchema = z.object({
  items: z.array(inboxItemSchema),
});

export const permissionAnswerSchema = z.object({
  allowed: z.boolean(),
  reason: z.string().optional(),
});

/** What the caller may do on one flow, with a reason in words when not. */
export const flowPermissionsSchema = z.object({
  recordDeployment: permissionAnswerSchema,
  completeChecklist: permissionAnswerSchema,
  signOff: permissionAnswerSchema,
  request: permissionAnswerSchema,
  approve: permissionAnswerSchema,
  revoke: permissionAnswerSchema,
  rollback: permissionAnswerSchema,
  readAudit: permissionAnswerSchema,
});

// ---------------------------------------------------------------------------
// The verification report
// ---------------------------------------------------------------------------

export const violationKindSchema = z.enum([
  'production-without-approval',
  'deployment-into-closed-gate',
  'not-validated-before-deployment',
  'release-notes-missing',
  'post-deployment-incomplete',
  'break-glass-review-open',
]);

/** One check a deployment failed, with what failed in sentences. */
export const failedCheckSchema = z.object({
  kind: violationKindSchema,
  /** The check's title, as in the report's `checks`. */
  title: z.string(),
  /** What failed, one sentence each (the gate's unmet conditions, the missing items). */
  sentences: z.array(z.string()).min(1),
});

/**
 * A deployment that failed at least one check: one row per deployment, every
 * failed check listed in it.
 */
export const violationSchema = z.object({
  entityRef: z.string(),
  environmentId: z.string(),
  /** The environment's title in the flow's policy (its id when no longer there). */
  environmentTitle: z.string(),
  version: z.string(),
  deploymentId: z.string(),
  /** When the deployment was reported. */
  occurredAt: timestamp,
  failedChecks: z.array(failedCheckSchema).min(1),
  /**
   * A link a person can open: the flow's Promotion page in the portal, opened
   * on the trail of this deployment ("Why is V here?").
   */
  evidence: z.string().meta({
    description:
      "The flow's page in the portal, opened on the trail of this deployment (`?deployment=<id>`); see the `promotion.report.flowPageUrl` configuration",
  }),
});

/** A post-deployment item not completed yet and not due yet: pending, not failed. */
export const pendingItemSchema = z.object({
  itemId: z.string(),
  /** The item's title in the policy. */
  title: z.string(),
  /** Its minimum wait plus the environment's `dueWithin` after the deployment. */
  dueAt: timestamp.meta({
    description:
      "ISO 8601 date-time: the deployment plus the item's minimum wait plus the environment's postDeployment.dueWithin; failed if still open then",
  }),
  /** The checks that count it as failed if it is still open once due. */
  checks: z.array(violationKindSchema).min(1),
});

/** A deployment with post-deployment items still pending: one row per deployment. */
export const pendingDeploymentSchema = z.object({
  entityRef: z.string(),
  environmentId: z.string(),
  environmentTitle: z.string(),
  version: z.string(),
  deploymentId: z.string(),
  occurredAt: timestamp,
  items: z.array(pendingItemSchema).min(1),
  /** The same link as a violation's evidence. */
  evidence: z.string().meta({
    description:
      "The flow's page in the portal, opened on the trail of this deployment",
  }),
});

export const verificationReportSchema = z
  .object({
    from: timestamp,
    to: timestamp,
    /** The report's clock: what is due and what is pending is decided at this time. */
    generatedAt: timestamp,
    deploymentsChecked: z.number().int(),
    /** The deployments that failed a check, oldest first, one row each. */
    violations: z.array(violationSchema),
    /** The deployments whose post-deployment items are not due yet, one row each. */
    pending: z.array(pendingDeploymentSchema),
    checks: z.array(
      z.object({
        kind: violationKindSchema,
        title: z.string(),
        /** What the check looks at, in words; names what it could not check. */
        explanation: z.string(),
        passed: z.boolean(),
        /** How many deployments failed it. */
        failedDeployments: z.number().int(),
      }),
    ),
  })
  .meta({
    description:
      'As CSV (format=csv): one line per deployment that failed a check or has pending items, with the columns occurredAt, entityRef, environmentId, version, deploymentId, failedChecks (the kinds, joined with "; "), details (each failed check\'s title and sentences, joined with " | "), pending (each pending item with its due time, joined with "; ") and evidence.',
  });

// ---------------------------------------------------------------------------
// Governance insights
// ---------------------------------------------------------------------------

/** A duration in milliseconds, or null when nothing was measured. */
const durationMs = z
  .number()
  .int()
  .nullable()
  .meta({ description: 'Milliseconds; null when nothing was measured' });

/** Median and 90th percentile (linear interpolation, as PostgreSQL's percentile_cont) of a set of durations. */
export const durationSummarySchema = z.object({
  /** How many durations were measured. */
  count: z.number().int(),
  medianMs: durationMs,
  p90Ms: durationMs,
});

/** One ISO week (Monday 00:00 UTC) of the range. */
export const insightsWeekSchema = z.object({
  /** The Monday the week starts on, `YYYY-MM-DD` (UTC). */
  weekStart: z.string(),
  /** Successful deployments into a Production environment. */
  productionDeployments: z.number().int(),
  /** Rollbacks recorded in a Production environment. */
  rollbacks: z.number().int(),
  /** rollbacks ÷ productionDeployments; null in a week without Production deployments. */
  changeFailureRate: z.number().nullable(),
  /** Deployments recorded through a closed gate, in any environment. */
  violations: z.number().int(),
  /** Break-glass uses. */
  breakGlass: z.number().int(),
});

/** The time one version took from its first Dev deployment to its first Production deployment. */
export const devToProductionVersionSchema = z.object({
  entityRef: z.string(),
  version: z.string(),
  devAt: timestamp,
  productionAt: timestamp,
  durationMs: z.number().int(),
});

export const insightsSchema = z
  .object({
    from: timestamp,
    to: timestamp,
    /** The insights' clock: the waiting requests' ages are measured at this time. */
    generatedAt: timestamp,
    /** The flow the insights are about; absent for the whole portal. */
    flow: z.string().optional(),
    /** The environments counted as Production (`promotion.insights.productionEnvironments`). */
    productionEnvironments: z.array(z.string()),
    /** Requests decided (approved or rejected) in the range: from the request to its decision. */
    approvalLeadTime: durationSummarySchema,
    /** Versions whose first Production deployment falls in the range: from their first deployment into the first environment of the ladder. */
    devToProduction: durationSummarySchema.extend({
      /** The latest of those versions, newest first (at most 50). */
      versions: z.array(devToProductionVersionSchema),
    }),
    /** Every ISO week the range touches, oldest first, with zeros where nothing happened. */
    weeks: z.array(insightsWeekSchema),
    /** The range's totals; `changeFailureRate` is rollbacks ÷ Production deployments over the whole range. */
    totals: insightsWeekSchema.omit({ weekStart: true }),
    /** Requests pending now and their ages (not bounded by the range). */
    waiting: z.object({
      count: z.number().int(),
      oldestMs: durationMs,
      medianAgeMs: durationMs,
    }),
  })
  .meta({
    description:
      'As CSV (format=csv): one line per ISO week with the columns weekStart, productionDeployments, rollbacks, changeFailureRate, violations and breakGlass, then a line "total" with the range\'s totals, then lines "metric,value" with the approval lead time, the Dev to Production time and the waiting requests (milliseconds).',
  });

// ---------------------------------------------------------------------------
// The deployment trail
// ---------------------------------------------------------------------------

/** An audit event the deployment trail cites: find it by seq or id in the exported audit trail. */
export const auditEventRefSchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  type: auditEventTypeSchema,
  occurredAt: timestamp,
});

/** A checklist completion as the trail shows it. */
export const trailChecklistEntrySchema = z.object({
  completion: checklistCompletionSchema,
  /** The item's title in the policy; its id when the policy no longer has it. */
  itemTitle: z.string(),
  /** The audit event that recorded the completion. */
  auditEvent: auditEventRefSchema.optional(),
  /** When the completion was undone, after the deployment: it still counted when the deployment was reported. */
  undoneAt: timestamp.optional().meta({
    description:
      'When the completion was undone, after the deployment: it still counted then',
  }),
});

export const trailSignOffEntrySchema = z.object({
  signOff: signOffSchema,
  auditEvent: auditEventRefSchema.optional(),
});

export const trailDecisionEntrySchema = z.object({
  decision: decisionSchema,
  auditEvent: auditEventRefSchema.optional(),
});

/**
 * How the deployment met its environment's approval rule when it was
 * reported: no approval needed, a standing approval (`once`), an approved
 * request for the version (`every`), the version was the rollback target of
 * the environment's latest rollback and went back with no approval
 * (`rollback-target`), an approved break-glass declaration (`break-glass`),
 * or none in force (`missing`).
 */
export const deploymentApprovalBasisSchema = z
  .enum([
    'none',
    'standing-approval',
    'request',
    'rollback-target',
    'missing',
    'break-glass',
  ])
  .meta({
    description:
      'How the approval rule was met when the deployment was reported (rollback-target: it went back after a rollback, with no approval needed; break-glass: the gate was open only by the break-glass declaration in deployment.breakGlassId); missing when it was not',
  });

/** Who requested the deployment and who approved it. */
export const deploymentTrailApprovalSchema = z.object({
  /** The environment's approval mode in the flow's policy; absent when the environment is no longer on its ladder. */
  mode: z.enum(['none', 'once', 'every']).optional(),
  basis: deploymentApprovalBasisSchema,
  /** `rollback-target`: the rollback the version went back after. */
  rollback: rollbackSchema.optional().meta({
    description:
      'With basis rollback-target: the rollback whose target the version was',
  }),
  /** `once`: the standing approval in force when the deployment was reported. */
  standingApproval: standingApprovalSchema.optional(),
  /** The promotion request behind the approval: who requested it, and the dossier the approvals were given on. */
  request: promotionRequestSchema.optional().meta({
    description: 'The promotion request behind the approval, with its dossier',
  }),
  /** The approve decisions that counted on that request, given before the deployment. */
  approvals: z.array(trailDecisionEntrySchema),
  /** The audit events of the request (created, edited, approved), of the standing approval or of the rollback, oldest first. */
  auditEvents: z.array(auditEventRefSchema),
});

/** Who validated the previous environment's results for the version. */
export const deploymentTrailValidationSchema = z.object({
  environmentId: z.string(),
  environmentTitle: z.string(),
  /** The completions in force when the deployment was reported: version-scoped ones for the version, and flow-scoped ones. */
  completions: z.array(trailChecklistEntrySchema).meta({
    description: 'Completions in force when the deployment was reported',
  }),
  /** The policy's checklist items that were not completed when the deployment was reported. */
  missing: z.array(z.object({ id: z.string(), title: z.string() })),
  /** Completions recorded after the deployment: they did not validate it. */
  later: z.array(trailChecklistEntrySchema).meta({
    description: 'Completions recorded after the deployment',
  }),
});

/** When the previous environment's results were signed off for the version. */
export const deploymentTrailSignOffSchema = z.object({
  environmentId: z.string(),
  environmentTitle: z.string(),
  /** Whether the policy requires a sign-off there. */
  required: z.boolean(),
  /** Sign-offs given before the deployment. */
  signOffs: z.array(trailSignOffEntrySchema).meta({
    description: 'Sign-offs given before the deployment',
  }),
  /** Sign-offs given after the deployment: they did not precede it. */
  later: z.array(trailSignOffEntrySchema).meta({
    description: 'Sign-offs given after the deployment',
  }),
});

/** The environment's post-deployment checklist for the deployed version. */
export const deploymentTrailPostDeploymentSchema = z.object({
  /** Completions recorded after this deployment (and before the next deployment of the same version there). */
  completions: z.array(trailChecklistEntrySchema),
  /** Items not completed yet, with the time from which each may be completed. */
  open: z.array(
    z.object({ id: z.string(), title: z.string(), availableAt: timestamp }),
  ),
});

/**
 * The answers an auditor asks about one recorded deployment, computed from
 * what is recorded: who reported it, who requested and who approved it, who
 * validated and who signed off the previous environment's results, and the
 * post-deployment checklist, each with the audit events that record it. Only
 * facts recorded before the deployment count as having preceded it; later
 * ones are listed apart.
 */
export const deploymentTrailSchema = z.object({
  entityRef: z.string(),
  /** The environment's title in the flow's policy (its id when no longer there). */
  environmentTitle: z.string(),
  /** The deployment, with whether it went through a closed gate and the gate's unmet conditions then. */
  deployment: deploymentSchema,
  /** The audit event that recorded the deployment. */
  deploymentEvent: auditEventRefSchema.optional(),
  approval: deploymentTrailApprovalSchema,
  /** Absent on the first environment of the ladder. */
  validation: deploymentTrailValidationSchema.optional(),
  /** Absent on the first environment of the ladder. */
  signOff: deploymentTrailSignOffSchema.optional(),
  /** Present for a successful deployment into an environment with a post-deployment checklist. */
  postDeployment: deploymentTrailPostDeploymentSchema.optional(),
});

// ---------------------------------------------------------------------------
// Health and errors
// ---------------------------------------------------------------------------

export const healthSchema = z.object({ status: z.literal('ok') });

/** The body of every error response, as the Backstage error handler writes it. */
export const errorResponseSchema = z.object({
  error: z.object({
    name: z.string(),
    message: z.string(),
  }),
  request: z.object({ method: z.string(), url: z.string() }).optional(),
  response: z.object({ statusCode: z.number().int() }),
});
