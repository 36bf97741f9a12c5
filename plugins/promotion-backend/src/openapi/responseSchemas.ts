import {
  AuditEvent,
  ChainVerification,
  ChecklistCompletion,
  Decision,
  Deployment,
  DeploymentTrail,
  EnvironmentDefinition,
  EnvironmentState,
  FlowPermissions,
  FlowState,
  GateCondition,
  GateResult,
  InboxResponse,
  Page,
  PromotionPolicy,
  PromotionRequest,
  SignOff,
  StandingApproval,
  VerificationReport,
} from '@promotion/plugin-promotion-common';
import { z } from 'zod';
import { RollbackResult } from '../service/PromotionService';

/*
 * Zod descriptions of what the API returns, for the OpenAPI document only.
 * Each is checked against the shared TypeScript type it describes, so the
 * document breaks the build when the contract changes.
 */

const timestamp = z.string().meta({ description: 'ISO 8601 date-time' });

export const gateConditionSchema = z.object({
  code: z.enum([
    'unknown-environment',
    'first-environment',
    'previous-deployment-missing',
    'version-rolled-back',
    'checklist-incomplete',
    'sign-off-missing',
    'post-deployment-incomplete',
    'approval-required',
    'approval-revoked',
    'approval-pending',
  ]),
  message: z.string().meta({ description: 'The condition in plain words' }),
  environmentId: z.string().optional(),
  itemIds: z.array(z.string()).optional(),
  requestId: z.string().optional(),
}) satisfies z.ZodType<GateCondition>;

export const gateResultSchema = z.object({
  entityRef: z.string(),
  environmentId: z.string(),
  version: z.string(),
  open: z.boolean(),
  unmetConditions: z.array(gateConditionSchema),
  approvedBy: z.enum(['none', 'standing-approval', 'request']).optional(),
}) satisfies z.ZodType<GateResult>;

export const deploymentSchema = z.object({
  id: z.string(),
  entityRef: z.string(),
  environmentId: z.string(),
  version: z.string(),
  status: z.enum(['succeeded', 'failed']),
  link: z.string().optional(),
  idempotencyKey: z.string().optional(),
  reportedBy: z.string(),
  reportedAt: timestamp,
  violation: z.boolean(),
  unmetConditions: z.array(gateConditionSchema),
  rolledBackAt: timestamp.optional(),
  rollbackId: z.string().optional(),
}) satisfies z.ZodType<Deployment>;

export const recordDeploymentResponseSchema = z.object({
  deployment: deploymentSchema,
  replayed: z.boolean(),
});

export const checklistCompletionSchema = z.object({
  id: z.string(),
  entityRef: z.string(),
  environmentId: z.string(),
  kind: z.enum(['validation', 'post-deployment']),
  itemId: z.string(),
  version: z.string().optional(),
  completedBy: z.string(),
  completedAt: timestamp,
  evidenceLink: z.string().optional(),
  note: z.string().optional(),
}) satisfies z.ZodType<ChecklistCompletion>;

export const signOffSchema = z.object({
  id: z.string(),
  entityRef: z.string(),
  environmentId: z.string(),
  version: z.string(),
  signedOffBy: z.string(),
  signedOffAt: timestamp,
  comment: z.string(),
}) satisfies z.ZodType<SignOff>;

const dossierOutputSchema = z.object({
  whatChanged: z.string(),
  why: z.string(),
  testResults: z.string(),
  releaseNotes: z.string(),
});

export const decisionSchema = z.object({
  id: z.string(),
  requestId: z.string(),
  decision: z.enum(['approve', 'reject']),
  decidedBy: z.string(),
  decidedAt: timestamp,
  comment: z.string(),
  dossierHash: z.string(),
  voidedAt: timestamp.optional(),
}) satisfies z.ZodType<Decision>;

export const promotionRequestSchema = z.object({
  id: z.string(),
  entityRef: z.string(),
  environmentId: z.string(),
  version: z.string(),
  status: z.enum(['pending', 'approved', 'rejected', 'withdrawn', 'expired']),
  dossier: dossierOutputSchema,
  dossierHash: z.string(),
  revision: z.number().int(),
  requestedBy: z.string(),
  createdAt: timestamp,
  updatedAt: timestamp,
  expiresAt: timestamp,
  decidedAt: timestamp.optional(),
  decisions: z.array(decisionSchema),
}) satisfies z.ZodType<PromotionRequest>;

export const standingApprovalSchema = z.object({
  id: z.string(),
  entityRef: z.string(),
  environmentId: z.string(),
  requestId: z.string().optional(),
  grantedAt: timestamp,
  grantedBy: z.array(z.string()),
  revokedAt: timestamp.optional(),
  revokedBy: z.string().optional(),
  revokeReason: z.string().optional(),
}) satisfies z.ZodType<StandingApproval>;

export const rollbackResultSchema = z.object({
  id: z.string(),
  entityRef: z.string(),
  environmentId: z.string(),
  fromVersion: z.string(),
  toVersion: z.string().optional(),
  reason: z.string(),
  incidentLink: z.string().optional(),
  recordedBy: z.string(),
  recordedAt: timestamp,
  revokedStandingApprovals: z.array(standingApprovalSchema),
  incidentReportRequested: z.boolean().meta({
    description: 'True when no incident link was given: please add one',
  }),
}) satisfies z.ZodType<RollbackResult>;

const environmentDefinitionSchema = z.object({
  id: z.string(),
  title: z.string(),
  checklist: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      scope: z.enum(['version', 'flow']),
      description: z.string().optional(),
      evidenceRequired: z.boolean(),
    }),
  ),
  signOff: z.object({ required: z.boolean() }),
  approval: z.object({
    mode: z.enum(['none', 'once', 'every']),
    approvers: z.array(z.string()),
    minApprovers: z.number().int(),
    allowSelfApproval: z.boolean(),
  }),
  postDeployment: z.array(
    z.object({
      id: z.string(),
      title: z.string(),
      description: z.string().optional(),
      minimumWaitSeconds: z.number(),
      evidenceRequired: z.boolean(),
    }),
  ),
}) satisfies z.ZodType<EnvironmentDefinition>;

export const promotionPolicySchema = z.object({
  name: z.string(),
  title: z.string().optional(),
  environments: z.array(environmentDefinitionSchema),
}) satisfies z.ZodType<PromotionPolicy>;

const environmentStateSchema = z.object({
  environment: environmentDefinitionSchema,
  currentVersion: z.string().optional(),
  currentDeployment: deploymentSchema.optional(),
  checklist: z.array(checklistCompletionSchema),
  postDeployment: z.array(checklistCompletionSchema),
  signOffs: z.array(signOffSchema),
  standingApproval: standingApprovalSchema.optional(),
}) satisfies z.ZodType<EnvironmentState>;

export const flowStateSchema = z.object({
  entityRef: z.string(),
  policy: promotionPolicySchema,
  environments: z.array(environmentStateSchema),
  nextGate: gateResultSchema.optional(),
  pendingRequests: z.array(promotionRequestSchema),
  rollbacks: z.array(
    rollbackResultSchema.omit({
      revokedStandingApprovals: true,
      incidentReportRequested: true,
    }),
  ),
}) satisfies z.ZodType<FlowState>;

export const auditEventSchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  type: z.enum([
    'deployment.recorded',
    'checklist.completed',
    'checklist.undone',
    'sign-off.given',
    'request.created',
    'request.edited',
    'request.withdrawn',
    'request.expired',
    'request.reminded',
    'request.approved',
    'request.rejected',
    'decision.recorded',
    'standing-approval.granted',
    'standing-approval.revoked',
    'rollback.recorded',
  ]),
  entityRef: z.string(),
  environmentId: z.string().optional(),
  version: z.string().optional(),
  actor: z.string(),
  occurredAt: timestamp,
  summary: z.string(),
  payload: z.record(z.string(), z.unknown()),
  previousHash: z.string(),
  hash: z.string(),
}) satisfies z.ZodType<AuditEvent>;

export const auditEventPageSchema = z.object({
  items: z.array(auditEventSchema),
  nextCursor: z.string().optional(),
  totalCount: z.number().int().optional(),
}) satisfies z.ZodType<Page<AuditEvent>>;

const auditEventRefSchema = z.object({
  seq: z.number().int(),
  id: z.string(),
  type: auditEventSchema.shape.type,
  occurredAt: timestamp,
});

const trailChecklistEntrySchema = z.object({
  completion: checklistCompletionSchema,
  itemTitle: z.string(),
  auditEvent: auditEventRefSchema.optional(),
  undoneAt: timestamp.optional().meta({
    description:
      'When the completion was undone, after the deployment: it still counted then',
  }),
});

const trailSignOffEntrySchema = z.object({
  signOff: signOffSchema,
  auditEvent: auditEventRefSchema.optional(),
});

export const deploymentTrailSchema = z.object({
  entityRef: z.string(),
  environmentTitle: z.string(),
  deployment: deploymentSchema,
  deploymentEvent: auditEventRefSchema.optional(),
  approval: z.object({
    mode: z.enum(['none', 'once', 'every']).optional(),
    basis: z.enum(['none', 'standing-approval', 'request', 'missing']).meta({
      description:
        'How the approval rule was met when the deployment was reported; missing when it was not',
    }),
    standingApproval: standingApprovalSchema.optional(),
    request: promotionRequestSchema.optional().meta({
      description:
        'The promotion request behind the approval, with its dossier',
    }),
    approvals: z.array(
      z.object({
        decision: decisionSchema,
        auditEvent: auditEventRefSchema.optional(),
      }),
    ),
    auditEvents: z.array(auditEventRefSchema),
  }),
  validation: z
    .object({
      environmentId: z.string(),
      environmentTitle: z.string(),
      completions: z.array(trailChecklistEntrySchema).meta({
        description: 'Completions in force when the deployment was reported',
      }),
      missing: z.array(z.object({ id: z.string(), title: z.string() })),
      later: z.array(trailChecklistEntrySchema).meta({
        description: 'Completions recorded after the deployment',
      }),
    })
    .optional(),
  signOff: z
    .object({
      environmentId: z.string(),
      environmentTitle: z.string(),
      required: z.boolean(),
      signOffs: z.array(trailSignOffEntrySchema).meta({
        description: 'Sign-offs given before the deployment',
      }),
      later: z.array(trailSignOffEntrySchema).meta({
        description: 'Sign-offs given after the deployment',
      }),
    })
    .optional(),
  postDeployment: z
    .object({
      completions: z.array(trailChecklistEntrySchema),
      open: z.array(
        z.object({ id: z.string(), title: z.string(), availableAt: timestamp }),
      ),
    })
    .optional(),
}) satisfies z.ZodType<DeploymentTrail>;

export const chainVerificationSchema = z.object({
  intact: z.boolean(),
  eventsChecked: z.number().int(),
  firstBrokenSeq: z.number().int().optional(),
  problem: z.string().optional(),
  verifiedAt: timestamp,
}) satisfies z.ZodType<ChainVerification>;

const violationKind = z.enum([
  'production-without-approval',
  'deployment-into-closed-gate',
  'not-validated-before-deployment',
  'release-notes-missing',
  'post-deployment-incomplete',
]);

export const verificationReportSchema = z.object({
  from: timestamp,
  to: timestamp,
  generatedAt: timestamp,
  deploymentsChecked: z.number().int(),
  violations: z.array(
    z.object({
      kind: violationKind,
      message: z.string(),
      entityRef: z.string(),
      environmentId: z.string(),
      version: z.string(),
      deploymentId: z.string(),
      occurredAt: timestamp,
      evidence: z.string(),
    }),
  ),
  checks: z.array(
    z.object({ kind: violationKind, title: z.string(), passed: z.boolean() }),
  ),
}) satisfies z.ZodType<VerificationReport>;

export const inboxResponseSchema = z.object({
  items: z.array(
    z.object({
      request: promotionRequestSchema,
      environmentTitle: z.string(),
      approvals: z.number().int(),
      requiredApprovals: z.number().int(),
      cannotDecideReason: z.string().optional(),
    }),
  ),
}) satisfies z.ZodType<InboxResponse>;

const permissionAnswerSchema = z.object({
  allowed: z.boolean(),
  reason: z.string().optional(),
});

export const flowPermissionsSchema = z.object({
  recordDeployment: permissionAnswerSchema,
  completeChecklist: permissionAnswerSchema,
  signOff: permissionAnswerSchema,
  request: permissionAnswerSchema,
  approve: permissionAnswerSchema,
  revoke: permissionAnswerSchema,
  rollback: permissionAnswerSchema,
  readAudit: permissionAnswerSchema,
}) satisfies z.ZodType<FlowPermissions>;

export const healthSchema = z.object({ status: z.literal('ok') });

/** The body of every error response, as the Backstage error handler writes it. */
export const errorSchema = z.object({
  error: z.object({
    name: z.string(),
    message: z.string(),
  }),
  request: z.object({ method: z.string(), url: z.string() }).optional(),
  response: z.object({ statusCode: z.number().int() }),
});
