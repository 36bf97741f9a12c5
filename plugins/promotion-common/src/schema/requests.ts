import { z } from 'zod';
import { decisionKindSchema, deploymentStatusSchema } from './model';

/*
 * Every input the REST API accepts, as zod schemas: path parameters, request
 * bodies and query parameters. The backend's router validates with them, its
 * OpenAPI document is generated from them, and the request types of
 * `../api.ts` are inferred from them.
 */

const MAX_VERSION = 128;
const MAX_COMMENT = 10_000;

const version = z
  .string()
  .trim()
  .min(1)
  .max(MAX_VERSION)
  .meta({ description: 'The version (1 to 128 characters).' });
const environmentId = z
  .string()
  .trim()
  .min(1)
  .max(64)
  .meta({ description: 'An environment id of the flow’s policy.' });
const comment = z.string().trim().min(1).max(MAX_COMMENT);
const httpLink = z
  .url({ protocol: /^https?$/, error: 'Must be an http(s) URL' })
  .max(2048);
const isoDateTime = z.iso
  .datetime({ offset: true })
  .meta({ description: 'An ISO 8601 date-time.' });

// ---------------------------------------------------------------------------
// Path parameters
// ---------------------------------------------------------------------------

export const flowParamsSchema = z.object({
  namespace: z.string().min(1).max(253),
  kind: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
});

export const environmentParamsSchema = flowParamsSchema.extend({
  environment: environmentId,
});

export const checklistItemParamsSchema = environmentParamsSchema.extend({
  itemId: z.string().min(1).max(128),
});

export const deploymentParamsSchema = flowParamsSchema.extend({
  deploymentId: z.guid().meta({ description: 'The deployment id.' }),
});

export const requestParamsSchema = z.object({
  id: z.guid().meta({ description: 'The promotion request id.' }),
});

// ---------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------

export const recordDeploymentRequestSchema = z.object({
  environment: environmentId,
  version,
  status: deploymentStatusSchema,
  link: httpLink.optional(),
  idempotencyKey: z.string().min(1).max(256).optional().meta({
    description:
      'Same key and same content replays the earlier answer (200); same key with different content is a 409.',
  }),
});

export const completeChecklistItemRequestSchema = z.object({
  version: version.optional().meta({
    description:
      'Required for version-scoped and post-deployment items, must be absent for flow-scoped items.',
  }),
  evidenceLink: httpLink.optional(),
  note: z.string().trim().max(MAX_COMMENT).optional(),
});

export const signOffRequestSchema = z.object({ version, comment });

export const dossierSchema = z.object({
  whatChanged: z.string().trim().min(1).max(MAX_COMMENT),
  why: z.string().trim().min(1).max(MAX_COMMENT),
  testResults: z.string().trim().max(MAX_COMMENT).default(''),
  releaseNotes: z.string().trim().max(MAX_COMMENT).default(''),
});

export const createPromotionRequestRequestSchema = z.object({
  environment: environmentId,
  version,
  dossier: dossierSchema,
});

export const editPromotionRequestRequestSchema = z.object({
  dossier: dossierSchema,
  /** The revision the editor saw; 409 if it changed meanwhile. */
  revision: z.number().int().min(1).optional(),
});

export const withdrawRequestSchema = z.object({
  reason: z.string().trim().min(1).max(MAX_COMMENT).optional(),
});

export const decisionRequestSchema = z.object({
  decision: decisionKindSchema,
  comment,
  /** The dossier hash the approver read; 409 if the dossier changed meanwhile. */
  dossierHash: z.string().min(1).max(128).optional(),
});

export const revokeRequestSchema = z.object({ reason: comment });

export const rollbackRequestSchema = z.object({
  environment: environmentId,
  /** The version being reverted; defaults to the version currently standing in the environment. */
  fromVersion: version.optional(),
  /** The previous working version; defaults to the one before. */
  toVersion: version.optional(),
  reason: comment,
  incidentLink: httpLink.optional(),
});

// ---------------------------------------------------------------------------
// Query parameters
// ---------------------------------------------------------------------------

export const gateQuerySchema = z.object({
  environment: environmentId,
  version,
});

export const versionQuerySchema = z.object({ version: version.optional() });

const limit = z.coerce.number().int().min(1).max(500).default(50);
const cursor = z.string().min(1).max(1024).optional();

export const pageQuerySchema = z.object({ cursor, limit });

export const auditEventsQuerySchema = z.object({
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  cursor,
  limit,
});

export const auditExportQuerySchema = z.object({
  format: z.enum(['csv', 'ndjson']).default('csv'),
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
});

export const verificationReportQuerySchema = z.object({
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  format: z.enum(['json', 'csv']).default('json'),
});
