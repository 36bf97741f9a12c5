import { InputError } from '@backstage/errors';
import { z } from 'zod';

/*
 * The zod schemas of every input the REST API accepts. The router validates
 * with them and the OpenAPI document (src/openapi) is generated from them, so
 * the two cannot drift apart.
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

export const flowParams = z.object({
  namespace: z.string().min(1).max(253),
  kind: z.string().min(1).max(253),
  name: z.string().min(1).max(253),
});

export const environmentParams = flowParams.extend({
  environment: environmentId,
});

export const checklistItemParams = environmentParams.extend({
  itemId: z.string().min(1).max(128),
});

export const deploymentParams = flowParams.extend({
  deploymentId: z.guid().meta({ description: 'The deployment id.' }),
});

export const requestParams = z.object({
  id: z.guid().meta({ description: 'The promotion request id.' }),
});

// ---------------------------------------------------------------------------
// Request bodies
// ---------------------------------------------------------------------------

export const recordDeploymentBody = z.object({
  environment: environmentId,
  version,
  status: z.enum(['succeeded', 'failed']),
  link: httpLink.optional(),
  idempotencyKey: z.string().min(1).max(256).optional().meta({
    description:
      'Same key and same content replays the earlier answer (200); same key with different content is a 409.',
  }),
});

export const completeChecklistItemBody = z.object({
  version: version.optional().meta({
    description:
      'Required for version-scoped and post-deployment items, must be absent for flow-scoped items.',
  }),
  evidenceLink: httpLink.optional(),
  note: z.string().trim().max(MAX_COMMENT).optional(),
});

export const signOffBody = z.object({ version, comment });

export const dossierSchema = z.object({
  whatChanged: z.string().trim().min(1).max(MAX_COMMENT),
  why: z.string().trim().min(1).max(MAX_COMMENT),
  testResults: z.string().trim().max(MAX_COMMENT).default(''),
  releaseNotes: z.string().trim().max(MAX_COMMENT).default(''),
});

export const createRequestBody = z.object({
  environment: environmentId,
  version,
  dossier: dossierSchema,
});

export const editRequestBody = z.object({
  dossier: dossierSchema,
  revision: z.number().int().min(1).optional(),
});

export const withdrawBody = z.object({
  reason: z.string().trim().min(1).max(MAX_COMMENT).optional(),
});

export const decisionBody = z.object({
  decision: z.enum(['approve', 'reject']),
  comment,
  dossierHash: z.string().min(1).max(128).optional(),
});

export const revokeBody = z.object({ reason: comment });

export const rollbackBody = z.object({
  environment: environmentId,
  fromVersion: version.optional(),
  toVersion: version.optional(),
  reason: comment,
  incidentLink: httpLink.optional(),
});

// ---------------------------------------------------------------------------
// Query parameters
// ---------------------------------------------------------------------------

export const gateQuery = z.object({ environment: environmentId, version });

export const versionQuery = z.object({ version: version.optional() });

const limit = z.coerce.number().int().min(1).max(500).default(50);
const cursor = z.string().min(1).max(1024).optional();

export const pageQuery = z.object({ cursor, limit });

export const auditEventsQuery = z.object({
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  cursor,
  limit,
});

export const auditExportQuery = z.object({
  format: z.enum(['csv', 'ndjson']).default('csv'),
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
});

export const verificationReportQuery = z.object({
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  format: z.enum(['json', 'csv']).default('json'),
});

// ---------------------------------------------------------------------------
// Parsing
// ---------------------------------------------------------------------------

/** Where an input came from; prefixes the field in error messages. */
export type InputLocation = 'body' | 'query' | 'path';

function describeIssue(issue: z.core.$ZodIssue, location: InputLocation) {
  const field = [location, ...issue.path.map(String)].join('.');
  const missing =
    issue.code === 'invalid_type' && / received undefined$/.test(issue.message);
  return `${field}: ${missing ? 'Required' : issue.message}`;
}

/**
 * Validates an input with `safeParse`; a failure becomes an `InputError`
 * naming each offending field (`body.status: Invalid option…`).
 */
export function parseInput<T extends z.ZodType>(
  schema: T,
  input: unknown,
  location: InputLocation,
): z.output<T> {
  const result = schema.safeParse(input ?? {});
  if (!result.success) {
    throw new InputError(
      result.error.issues
        .map(issue => describeIssue(issue, location))
        .join('; '),
    );
  }
  return result.data;
}
