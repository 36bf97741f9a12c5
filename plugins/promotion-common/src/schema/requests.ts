import { KubernetesValidatorFunctions } from '@backstage/catalog-model';
import { z } from 'zod';
import { decisionKindSchema, deploymentStatusSchema } from './model';

/*
 * Every input the REST API accepts, as zod schemas: path parameters, request
 * bodies and query parameters. The backend's router validates with them, its
 * OpenAPI document is generated from them, and the request types of
 * `../api.ts` are inferred from them.
 */

/** A high surrogate not followed by a low one, or a low one not preceded by a high one. */
const LONE_SURROGATE =
  /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/**
 * Text every supported database stores exactly as it was received, so what
 * is hashed into the audit chain is what is read back: no unpaired UTF-16
 * surrogate (PostgreSQL replaces it with U+FFFD, SQLite stores WTF-8) and no
 * NUL (PostgreSQL refuses it). Everything else, astral characters included,
 * round-trips on PostgreSQL, SQLite and MySQL (utf8mb4).
 */
export function isStorableText(value: string): boolean {
  return !value.includes('\u0000') && !LONE_SURROGATE.test(value);
}

const STORABLE_TEXT_ERROR =
  'Contains a character that cannot be stored: an unpaired UTF-16 surrogate or NUL (U+0000)';

/** A string input that passes `isStorableText`. */
const text = () =>
  z.string().refine(isStorableText, { error: STORABLE_TEXT_ERROR });

/**
 * The widest text the store's string columns hold (`NAME` of the migrations:
 * varchar(100) on PostgreSQL and MySQL): versions, checklist item ids and
 * idempotency keys. Longer text would be a database error, not a 400.
 */
const MAX_NAME = 100;
const MAX_VERSION = MAX_NAME;
const MAX_COMMENT = 10_000;
/** A pipeline's short result of an attested checklist item. */
const MAX_RESULT = 500;

const version = text()
  .trim()
  .min(1)
  .max(MAX_VERSION)
  .meta({ description: `The version (1 to ${MAX_VERSION} characters).` });
const environmentId = text()
  .trim()
  .min(1)
  .max(64)
  .meta({ description: 'An environment id of the flow’s policy.' });
const comment = text().trim().min(1).max(MAX_COMMENT);
const httpLink = z
  .url({ protocol: /^https?$/, error: 'Must be an http(s) URL' })
  .max(2048)
  .refine(isStorableText, { error: STORABLE_TEXT_ERROR });
const isoDateTime = z.iso
  .datetime({ offset: true })
  .meta({ description: 'An ISO 8601 date-time.' });

// ---------------------------------------------------------------------------
// Path parameters
// ---------------------------------------------------------------------------

/** A part of an entity ref as the catalog accepts it (no `/` or `:`). */
const refPart = (
  isValid: (value: unknown) => boolean,
  what: string,
  description: string,
) =>
  text()
    .min(1)
    .max(253)
    .refine(isValid, { error: `Must be a valid catalog entity ${what}` })
    .meta({ description });

export const flowParamsSchema = z.object({
  namespace: refPart(
    KubernetesValidatorFunctions.isValidNamespace,
    'namespace',
    'The flow’s catalog namespace, e.g. `default`.',
  ),
  kind: refPart(
    KubernetesValidatorFunctions.isValidObjectName,
    'kind',
    'The flow’s catalog kind, e.g. `component`.',
  ),
  name: refPart(
    KubernetesValidatorFunctions.isValidObjectName,
    'name',
    'The flow’s catalog name.',
  ),
});

/** The longest entity ref a `flow` query names: kind, namespace and name with their separators. */
const ENTITY_REF_MAX = 3 * 253 + 2;

/** `kind:namespace/name` or `kind:name` (namespace `default`), each part as the catalog accepts it. */
function isFlowRef(value: string): boolean {
  const match = /^([^:/]+):(?:([^:/]+)\/)?([^:/]+)$/.exec(value);
  if (!match) {
    return false;
  }
  const [, kind, namespace = 'default', name] = match;
  return (
    KubernetesValidatorFunctions.isValidObjectName(kind) &&
    KubernetesValidatorFunctions.isValidNamespace(namespace) &&
    KubernetesValidatorFunctions.isValidObjectName(name)
  );
}

export const environmentParamsSchema = flowParamsSchema.extend({
  environment: environmentId,
});

export const checklistItemParamsSchema = environmentParamsSchema.extend({
  itemId: text().min(1).max(MAX_NAME),
});

export const deploymentParamsSchema = flowParamsSchema.extend({
  deploymentId: z.guid().meta({ description: 'The deployment id.' }),
});

export const breakGlassParamsSchema = flowParamsSchema.extend({
  breakGlassId: z
    .guid()
    .meta({ description: 'The break-glass declaration id.' }),
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
  idempotencyKey: text().min(1).max(MAX_NAME).optional().meta({
    description:
      'Same key and same content replays the earlier answer (200); same key with different content is a 409.',
  }),
});

export const completeChecklistItemRequestSchema = z.object({
  version: version.optional().meta({
    description:
      'Required for version-scoped and post-deployment items, must be absent for flow-scoped items.',
  }),
  evidenceLink: httpLink.optional().meta({
    description:
      'A link to the evidence; required where the item asks for evidence and when a pipeline attests the item.',
  }),
  note: text().trim().max(MAX_COMMENT).optional(),
  result: text()
    .trim()
    .min(1)
    .max(MAX_RESULT)
    .optional()
    .meta({
      description: `A pipeline's short result, e.g. "All tests passing — 1,284 passed" (1 to ${MAX_RESULT} characters).`,
    }),
});

export const signOffRequestSchema = z.object({ version, comment });

export const dossierSchema = z.object({
  whatChanged: text().trim().min(1).max(MAX_COMMENT),
  why: text().trim().min(1).max(MAX_COMMENT),
  testResults: text().trim().max(MAX_COMMENT).default(''),
  releaseNotes: text().trim().max(MAX_COMMENT).default(''),
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
  reason: text().trim().min(1).max(MAX_COMMENT).optional(),
});

export const decisionRequestSchema = z.object({
  decision: decisionKindSchema,
  comment,
  /** The dossier hash the approver read; 409 if the dossier changed meanwhile. */
  dossierHash: text().min(1).max(128).optional(),
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

export const declareBreakGlassRequestSchema = z.object({
  environment: environmentId,
  version,
  /** Why the emergency deployment cannot wait for the gate. */
  reason: comment,
  /** The incident the emergency deployment answers. */
  incidentLink: httpLink,
});

export const breakGlassDecisionRequestSchema = z.object({
  decision: decisionKindSchema,
  comment,
});

export const closeBreakGlassReviewRequestSchema = z.object({ comment });

// ---------------------------------------------------------------------------
// Query parameters
// ---------------------------------------------------------------------------

export const gateQuerySchema = z.object({
  environment: environmentId,
  version,
});

export const versionQuerySchema = z.object({ version: version.optional() });

const limit = z.coerce.number().int().min(1).max(500).default(50);

/**
 * True for a cursor the audit store can have written: the base64url (no
 * padding) of `seq:<n>`, n the positive safe integer of the last event of
 * the previous page (`encodeCursor` of the store's `listEvents`). Anything
 * else is refused here, before a database sees a number beyond its column
 * (PostgreSQL's bigint ends at 2^63 - 1; a JavaScript number loses
 * precision beyond 2^53).
 */
function isPageCursor(value: string): boolean {
  if (!/^[A-Za-z0-9_-]{1,1024}$/.test(value) || value.length % 4 === 1) {
    return false;
  }
  const base64 = value.replace(/-/g, '+').replace(/_/g, '/');
  const seq = /^seq:([1-9][0-9]{0,15})$/.exec(atob(base64));
  return seq !== null && Number.isSafeInteger(Number(seq[1]));
}

const cursor = z
  .string()
  .refine(isPageCursor, { error: 'Must be the nextCursor of a previous page' })
  .optional()
  .meta({
    description: 'The `nextCursor` of the previous page.',
    pattern: '^[A-Za-z0-9_-]{1,1024}$',
  });

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

export const insightsQuerySchema = z.object({
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  flow: text()
    .trim()
    .max(ENTITY_REF_MAX)
    .refine(isFlowRef, {
      error: 'Must be a catalog entity ref such as component:default/payments',
    })
    .optional()
    .meta({
      description:
        'The flow to show, as a catalog entity ref (`component:default/payments`); the whole portal without.',
    }),
  format: z.enum(['json', 'csv']).default('json'),
});

export const verificationReportQuerySchema = z.object({
  from: isoDateTime.optional(),
  to: isoDateTime.optional(),
  format: z.enum(['json', 'csv']).default('json'),
});
