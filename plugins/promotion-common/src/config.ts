import { durationToMilliseconds, HumanDuration } from '@backstage/types';
import { Duration } from 'luxon';
import { z } from 'zod';
import {
  ApprovalRule,
  ChecklistAttester,
  ChecklistItemDefinition,
  EnvironmentDefinition,
  FreezeWindowDefinition,
  PostDeploymentItemDefinition,
  PROMOTION_POLICY_ANNOTATION,
  PromotionConfig,
  PromotionPolicy,
} from './types';
import { cronProblem, isKnownTimeZone, localDateTimeIn } from './freeze';

/*
 * The `promotion` key of app-config: its zod schema, and `readPromotionConfig`
 * which validates it and turns it into a normalised `PromotionConfig`.
 *
 * The schema checks each value on its own (types, id and entity ref formats,
 * numbers); the refinements check values against each other (duplicate ids,
 * approvers against `minApprovers`). Nothing in the schema transforms values,
 * so it can also be turned into documentation (`z.toJSONSchema`); the defaults
 * are applied afterwards, by `readPromotionConfig`.
 */

/** Environment, checklist item and policy ids. */
export const PROMOTION_ID_PATTERN = /^[a-z0-9][a-z0-9-_.]*$/i;

/** `user:ns/name`, `group:ns/name`, `user:name` or `group:name`. */
const APPROVER_REF_PATTERN = /^(user|group):(?:([^\s:/]+)\/)?([^\s:/]+)$/i;

const DEFAULT_REQUEST_EXPIRY_SECONDS = 14 * 24 * 60 * 60;
const DEFAULT_REMINDER_INTERVAL_SECONDS = 24 * 60 * 60;
const DEFAULT_INSIGHTS_MAX_RANGE_DAYS = 366;
const DEFAULT_POST_DEPLOYMENT_DUE_WITHIN_SECONDS = 24 * 60 * 60;
/** The post-deployment item that records the release notes' distribution, unless a policy names another. */
const DEFAULT_RELEASE_NOTES_ITEM = 'release-notes-delivered';

/** The units of a Backstage `HumanDuration`. */
const DURATION_UNITS = [
  'years',
  'months',
  'weeks',
  'days',
  'hours',
  'minutes',
  'seconds',
  'milliseconds',
] as const satisfies ReadonlyArray<keyof HumanDuration>;

/** A Backstage `HumanDuration` object: `{ days: 14 }`, `{ minutes: 15 }`. */
export type HumanDurationConfig = HumanDuration;

/** A duration as written in app-config: a `HumanDuration` object or an ISO 8601 string. */
export type DurationConfig = HumanDurationConfig | string;

/**
 * Reads an ISO 8601 duration (`P14D`, `PT15M`, `P1Y2M3W4DT5H6M7.5S`; a
 * leading `-` makes it negative) with luxon, or returns undefined. Luxon is
 * laxer than ISO 8601 in what it lets through (`P`, `PT`, `P1DT`, a sign on
 * each part) and stricter in what it reads (lower case, a decimal comma before
 * any unit but seconds); these few lines keep the standard's forms.
 */
function parseIsoDuration(text: string): HumanDuration | undefined {
  const iso = text.toUpperCase().replace(/,/g, '.');
  if (/[PT]$/.test(iso) || iso.includes('-', 1)) {
    return undefined;
  }
  const duration = Duration.fromISO(iso);
  return duration.isValid ? duration.toObject() : undefined;
}

/**
 * Converts a duration written in app-config to seconds. Years and months have
 * no fixed length; like `durationToMilliseconds`, we count 365 and 30 days.
 *
 * @throws Error when a string is not an ISO 8601 duration.
 */
export function durationToSeconds(duration: DurationConfig): number {
  const human =
    typeof duration === 'string' ? parseIsoDuration(duration.trim()) : duration;
  if (!human) {
    throw new Error(`"${duration}" is not an ISO 8601 duration`);
  }
  return durationToMilliseconds(human) / 1000;
}

// ---------------------------------------------------------------------------
// The schema
// ---------------------------------------------------------------------------

/** Who completes a checklist item: people (the default), the pipeline, or either. */
const checklistAttesterSchema = z.enum(['person', 'pipeline', 'both'], {
  error: issue =>
    `invalid attestedBy ${JSON.stringify(
      issue.input,
    )}: use "person", "pipeline" or "both"`,
});

const idSchema = (what: string) =>
  z
    .string({ error: `must be a string (the ${what} id)` })
    .regex(PROMOTION_ID_PATTERN, {
      error: issue =>
        `invalid ${what} id ${JSON.stringify(
          issue.input,
        )}: use letters, digits, "-", "_" and ".", starting with a letter or digit`,
    });

const humanDurationSchema = z.strictObject(
  Object.fromEntries(
    DURATION_UNITS.map(unit => [unit, z.number().optional()]),
  ) as Record<keyof HumanDuration, z.ZodOptional<z.ZodNumber>>,
);

const durationSchema = z.union(
  [
    humanDurationSchema,
    z
      .string()
      .refine(text => parseIsoDuration(text) !== undefined, {
        error: issue =>
          `${JSON.stringify(issue.input)} is not an ISO 8601 duration`,
      })
      .meta({ format: 'duration' }),
  ],
  {
    error:
      'must be a duration: an object such as { minutes: 15 } or an ISO 8601 string such as "PT15M"',
  },
);

/** Runs a refinement only on a value that passed its own checks. */
const isWellFormed = (payload: { issues: unknown[] }) =>
  payload.issues.length === 0;

const checklistItemSchema = z.strictObject({
  id: idSchema('checklist item'),
  title: z.string().min(1, { error: 'must not be empty' }),
  scope: z.enum(['version', 'flow']).optional(),
  description: z.string().optional(),
  evidenceRequired: z.boolean().optional(),
  resetOnRollback: z.boolean().optional(),
  attestedBy: checklistAttesterSchema.optional(),
});

const postDeploymentItemSchema = z.strictObject({
  id: idSchema('post-deployment item'),
  title: z.string().min(1, { error: 'must not be empty' }),
  description: z.string().optional(),
  minimumWait: durationSchema
    .refine(wait => durationToSeconds(wait) >= 0, {
      error: 'must not be negative',
      when: isWellFormed,
    })
    .optional(),
  evidenceRequired: z.boolean().optional(),
  attestedBy: checklistAttesterSchema.optional(),
});

const approverRefSchema = z.string().regex(APPROVER_REF_PATTERN, {
  error: issue =>
    `invalid approver ${JSON.stringify(
      issue.input,
    )}: use a user or group entity ref such as "user:default/jane" or "group:default/approvers"`,
});

const violationRecipientSchema = z.string().regex(APPROVER_REF_PATTERN, {
  error: issue =>
    `invalid recipient ${JSON.stringify(
      issue.input,
    )}: use a user or group entity ref such as "group:default/compliance" or "user:default/jane"`,
});

const notificationsSchema = z.strictObject({
  /**
   * Who learns, besides the environment's approvers, of a deployment
   * through a closed gate: the audit readers (compliance).
   */
  violationRecipients: z.array(violationRecipientSchema).optional(),
});

const approvalSchema = z
  .strictObject({
    mode: z.enum(['none', 'once', 'every']),
    approvers: z.array(approverRefSchema).optional(),
    minApprovers: z
      .number()
      .int({ error: 'must be a whole number' })
      .min(1, { error: 'must be at least 1' })
      .optional(),
    allowSelfApproval: z.boolean().optional(),
  })
  .superRefine((approval, ctx) => {
    const approvers = approval.approvers ?? [];
    if (approval.mode !== 'none' && approvers.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['approvers'],
        message: `approval mode "${approval.mode}" needs at least one approver`,
        input: approval.approvers,
      });
    }
    const minApprovers = approval.minApprovers ?? 1;
    const refs = approvers
      .filter(ref => APPROVER_REF_PATTERN.test(ref))
      .map(normaliseApproverRef);
    // A group may hold any number of people: only count when all are users.
    const distinctUsers = new Set(refs);
    if (
      approval.mode !== 'none' &&
      refs.length > 0 &&
      refs.length === approvers.length &&
      refs.every(ref => ref.startsWith('user:')) &&
      minApprovers > distinctUsers.size
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['minApprovers'],
        message: `needs ${minApprovers} distinct approvers but only ${
          distinctUsers.size
        } user${distinctUsers.size === 1 ? ' is' : 's are'} configured`,
        input: approval.minApprovers,
      });
    }
  });

/**
 * Break-glass: an emergency deployment the gate lets through on purpose,
 * declared with a reason and an incident link, approved by one approver of
 * the environment (none for the members of an on-call group, or for anyone
 * when `approvals` is 0), and reviewed afterwards.
 */
const breakGlassSchema = z.strictObject({
  approvals: z
    .union([z.literal(0), z.literal(1)], { error: 'must be 0 or 1' })
    .optional(),
  onCallGroups: z
    .array(
      z.string().regex(/^group:(?:([^\s:/]+)\/)?([^\s:/]+)$/i, {
        error: issue =>
          `invalid on-call group ${JSON.stringify(
            issue.input,
          )}: use a group entity ref such as "group:default/on-call"`,
      }),
    )
    .optional(),
  validFor: durationSchema
    .refine(validFor => durationToSeconds(validFor) > 0, {
      error: 'must be longer than zero',
      when: isWellFormed,
    })
    .optional(),
});

const DEFAULT_BREAK_GLASS_VALID_FOR_SECONDS = 24 * 60 * 60;

const environmentSchema = z
  .strictObject({
    id: idSchema('environment'),
    title: z.string().optional(),
    checklist: z.array(checklistItemSchema).optional(),
    signOff: z.strictObject({ required: z.boolean() }).optional(),
    approval: approvalSchema.optional(),
    postDeployment: z
      .strictObject({
        checklist: z.array(postDeploymentItemSchema),
        blocksNextVersion: z.boolean().optional(),
        dueWithin: durationSchema
          .refine(grace => durationToSeconds(grace) >= 0, {
            error: 'must not be negative',
            when: isWellFormed,
          })
          .optional(),
        releaseNotesItem: idSchema('post-deployment item').optional(),
      })
      .optional(),
    rollback: z
      .strictObject({ earlierVersionsDeployable: z.boolean().optional() })
      .optional(),
    breakGlass: breakGlassSchema.optional(),
    dependencies: z
      .strictObject({
        required: z.boolean(),
        environment: idSchema('environment').optional(),
      })
      .optional(),
  })
  .superRefine((environment, ctx) => {
    if (
      environment.breakGlass &&
      (environment.breakGlass.approvals ?? 1) === 1 &&
      (environment.approval?.approvers ?? []).length === 0
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['breakGlass', 'approvals'],
        message:
          'a break-glass that needs an approval needs approval.approvers to give it; list them, or set approvals to 0',
        input: environment.breakGlass.approvals,
      });
    }
    const releaseNotesItem = environment.postDeployment?.releaseNotesItem;
    if (
      releaseNotesItem !== undefined &&
      !(environment.postDeployment?.checklist ?? []).some(
        item => item.id === releaseNotesItem,
      )
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['postDeployment', 'releaseNotesItem'],
        message: `names no item of this environment's post-deployment checklist: ${JSON.stringify(
          releaseNotesItem,
        )}`,
        input: releaseNotesItem,
      });
    }
    reportDuplicates(
      environment.checklist ?? [],
      ['checklist'],
      'checklist item',
      ctx,
    );
    reportDuplicates(
      environment.postDeployment?.checklist ?? [],
      ['postDeployment', 'checklist'],
      'post-deployment item',
      ctx,
    );
  });

/**
 * A freeze window: one-off (`start` and `end`, local date-times in
 * `timeZone`) or recurring (`cron` for each start, in `timeZone`, and
 * `duration`).
 */
const freezeWindowSchema = z
  .strictObject({
    environments: z
      .array(idSchema('environment'), {
        error: 'must be a list of environment ids',
      })
      .min(1, { error: 'must name at least one environment' }),
    reason: z
      .string({ error: 'must be a string' })
      .refine(reason => reason.trim() !== '', { error: 'must not be empty' }),
    timeZone: z.string({ error: 'must be a string' }).refine(isKnownTimeZone, {
      error: issue =>
        `unknown time zone ${JSON.stringify(
          issue.input,
        )}: use an IANA name such as "Europe/Paris" or "UTC"`,
    }),
    start: z.string({ error: 'must be a string' }).optional(),
    end: z.string({ error: 'must be a string' }).optional(),
    cron: z.string({ error: 'must be a string' }).optional(),
    duration: durationSchema
      .refine(duration => durationToSeconds(duration) > 0, {
        error: 'must be longer than zero',
        when: isWellFormed,
      })
      .optional(),
  })
  .superRefine((window, ctx) => {
    const problem = (path: string, message: string, input?: unknown) =>
      ctx.addIssue({ code: 'custom', path: [path], message, input });
    const oneOff = window.start !== undefined || window.end !== undefined;
    const recurring =
      window.cron !== undefined || window.duration !== undefined;
    if (oneOff && recurring) {
      problem(
        window.cron !== undefined ? 'cron' : 'duration',
        'a window is either one-off (start and end) or recurring (cron and duration), not both',
      );
      return;
    }
    if (!oneOff && !recurring) {
      problem(
        'start',
        'give start and end (a one-off window) or cron and duration (a recurring one)',
      );
      return;
    }
    if (!isKnownTimeZone(window.timeZone)) {
      return;
    }
    if (oneOff) {
      const [start, end] = (['start', 'end'] as const).map(key => {
        const text = window[key];
        if (text === undefined) {
          problem(key, `is needed with ${key === 'start' ? 'end' : 'start'}`);
          return undefined;
        }
        const time = localDateTimeIn(text, window.timeZone);
        if (time === undefined) {
          problem(
            key,
            `${JSON.stringify(
              text,
            )} is not a date-time: use ISO 8601 such as "2026-12-24T18:00"`,
            text,
          );
        }
        return time;
      });
      if (start && end && Date.parse(end) <= Date.parse(start)) {
        problem('end', 'must be after start', window.end);
      }
      return;
    }
    if (window.cron === undefined) {
      problem('cron', 'is needed with duration');
    } else {
      const cronError = cronProblem(window.cron, window.timeZone);
      if (cronError) {
        problem(
          'cron',
          `${JSON.stringify(
            window.cron,
          )} is not a cron expression (${cronError})`,
          window.cron,
        );
      }
    }
    if (window.duration === undefined) {
      problem('duration', 'is needed with cron');
    }
  });

/** Environment ids a list of freeze windows names that `known` does not hold. */
function reportUnknownEnvironments(
  windows: Array<z.output<typeof freezeWindowSchema>>,
  known: Set<unknown>,
  where: string,
  ctx: z.RefinementCtx,
  basePath: Array<string | number>,
) {
  windows.forEach((window, index) =>
    (Array.isArray(window?.environments) ? window.environments : []).forEach(
      (id, envIndex) => {
        if (!known.has(id)) {
          ctx.addIssue({
            code: 'custom',
            path: [...basePath, index, 'environments', envIndex],
            message: `names no environment of ${where}: ${JSON.stringify(id)}`,
            input: id,
          });
        }
      },
    ),
  );
}

/** The environment ids of a policy that may be only partly valid. */
const ladderIds = (policy: { environments?: unknown }): unknown[] =>
  Array.isArray(policy?.environments)
    ? policy.environments.map(e => (e as { id?: unknown })?.id)
    : [];

const policySchema = z.strictObject({
  title: z.string().optional(),
  environments: z
    .array(environmentSchema, {
      error: 'must be a list of environments',
    })
    .min(1, { error: 'must list at least one environment' })
    .superRefine((environments, ctx) =>
      reportDuplicates(environments, [], 'environment', ctx),
    ),
  /** Freeze windows of this policy's environments. */
  freezeWindows: z.array(freezeWindowSchema).optional(),
});

/**
 * The raw value of the `promotion` key of app-config, as written by the
 * platform team. `readPromotionConfig` validates it and applies defaults.
 */
export const promotionConfigSchema = z.object({
  requestExpiry: durationSchema
    .refine(expiry => durationToSeconds(expiry) > 0, {
      error: 'must be longer than zero',
      when: isWellFormed,
    })
    .optional(),
  reminderInterval: durationSchema
    .refine(interval => durationToSeconds(interval) > 0, {
      error: 'must be longer than zero',
      when: isWellFormed,
    })
    .optional(),
  /**
   * Whether a new request for a newer version of a flow closes the flow's
   * pending request for an older version into the same environment. Defaults
   * to true.
   */
  supersedeOlderRequests: z.boolean().optional(),
  /** How the governance insights count. */
  insights: z
    .strictObject({
      productionEnvironments: z
        .array(idSchema('environment'))
        .min(1, { error: 'must name at least one environment' })
        .optional(),
      maxRangeDays: z
        .number()
        .int({ error: 'must be a whole number of days' })
        .min(1, { error: 'must be at least 1' })
        .max(3660, { error: 'must be at most 3660' })
        .optional(),
    })
    .optional(),
  notifications: notificationsSchema.optional(),
  /** Freeze windows for every policy with the environments they name. */
  freezeWindows: z.array(freezeWindowSchema).optional(),
  policies: z
    .record(
      z.string().regex(PROMOTION_ID_PATTERN, {
        error: issue =>
          `invalid policy name ${JSON.stringify(
            issue.input,
          )}: use letters, digits, "-", "_" and ".", starting with a letter or digit`,
      }),
      policySchema,
    )
    .optional()
    .superRefine((policies, ctx) =>
      reportUnknownDependencyEnvironments(policies ?? {}, ctx),
    ),
});

/**
 * A named dependency environment must be on some policy's ladder: a
 * dependency has a version "there" by environment id, whatever its policy.
 */
function reportUnknownDependencyEnvironments(
  policies: Record<string, z.infer<typeof policySchema>>,
  ctx: z.RefinementCtx,
) {
  const known = new Set(
    Object.values(policies).flatMap(p => p.environments.map(e => e.id)),
  );
  for (const [name, policy] of Object.entries(policies)) {
    policy.environments.forEach((environment, index) => {
      const named = environment.dependencies?.environment;
      if (named !== undefined && !known.has(named)) {
        ctx.addIssue({
          code: 'custom',
          path: [name, 'environments', index, 'dependencies', 'environment'],
          message: `names no environment of any configured policy: ${JSON.stringify(
            named,
          )} (environments: ${[...known].join(', ')})`,
          input: named,
        });
      }
    });
  }
}

/**
 * The freeze windows' environments against the ladders: a policy's window
 * names environments of its ladder, a portal-wide one environments of some
 * policy.
 */
const checkedConfigSchema = promotionConfigSchema.superRefine((config, ctx) => {
  const policies = Object.entries(config.policies ?? {});
  policies.forEach(([name, policy]) =>
    reportUnknownEnvironments(
      policy.freezeWindows ?? [],
      new Set(ladderIds(policy)),
      "this policy's ladder",
      ctx,
      ['policies', name, 'freezeWindows'],
    ),
  );
  reportUnknownEnvironments(
    config.freezeWindows ?? [],
    new Set(policies.flatMap(([, policy]) => ladderIds(policy))),
    'any policy',
    ctx,
    ['freezeWindows'],
  );
});

/** The raw `promotion` config value, before defaults. */
export type PromotionConfigInput = z.input<typeof promotionConfigSchema>;

function reportDuplicates(
  items: Array<{ id: string }>,
  basePath: Array<string | number>,
  what: string,
  ctx: z.RefinementCtx,
) {
  const seen = new Set<string>();
  items.forEach((item, index) => {
    if (typeof item?.id !== 'string') {
      return;
    }
    const key = item.id.toLocaleLowerCase('en-US');
    if (seen.has(key)) {
      ctx.addIssue({
        code: 'custom',
        path: [...basePath, index, 'id'],
        message: `duplicate ${what} id ${JSON.stringify(item.id)}`,
        input: item.id,
      });
    }
    seen.add(key);
  });
}

// ---------------------------------------------------------------------------
// Reading and normalising
// ---------------------------------------------------------------------------

/**
 * Normalises an approver entity ref: `user:jane` → `user:default/jane`,
 * lower case like the catalog's `stringifyEntityRef`.
 */
export function normaliseApproverRef(ref: string): string {
  const match = APPROVER_REF_PATTERN.exec(ref.trim());
  if (!match) {
    throw new Error(`Invalid approver entity ref "${ref}"`);
  }
  const [, kind, namespace, name] = match;
  return `${kind}:${namespace ?? 'default'}/${name}`.toLocaleLowerCase('en-US');
}

/** `promotion.policies.standard.environments[2].id` */
function formatPath(path: ReadonlyArray<PropertyKey>): string {
  return path.reduce<string>(
    (text, key) =>
      typeof key === 'number' ? `${text}[${key}]` : `${text}.${String(key)}`,
    'promotion',
  );
}

function formatIssue(issue: z.core.$ZodIssue): string[] {
  if (issue.code === 'invalid_key') {
    return [
      `${formatPath(issue.path)}: ${issue.issues
        .map(keyIssue => keyIssue.message)
        .join('; ')}`,
    ];
  }
  if (issue.code === 'unrecognized_keys') {
    return issue.keys.map(
      key => `${formatPath([...issue.path, key])}: unknown key`,
    );
  }
  return [`${formatPath(issue.path)}: ${issue.message}`];
}

/**
 * Validates the raw value of the `promotion` config key and returns it with
 * defaults applied, approver refs normalised and durations in seconds.
 *
 * @param raw - `config.getOptional('promotion')`; undefined means no policies.
 * @throws Error listing every problem, one per line, each starting with the
 *   config path of the bad key.
 */
export function readPromotionConfig(raw: unknown): PromotionConfig {
  const result = checkedConfigSchema.safeParse(raw ?? {});
  if (!result.success) {
    const problems = result.error.issues.flatMap(formatIssue);
    throw new Error(`Invalid Promotion configuration:\n${problems.join('\n')}`);
  }
  const input = result.data;

  const policies: Record<string, PromotionPolicy> = {};
  for (const [name, policy] of Object.entries(input.policies ?? {})) {
    policies[name] = {
      name,
      ...(policy.title !== undefined && { title: policy.title }),
      environments: policy.environments.map(
        (environment): EnvironmentDefinition => ({
          id: environment.id,
          title: environment.title ?? environment.id,
          checklist: (environment.checklist ?? []).map(
            (item): ChecklistItemDefinition => ({
              id: item.id,
              title: item.title,
              scope: item.scope ?? 'version',
              ...(item.description !== undefined && {
                description: item.description,
              }),
              evidenceRequired: item.evidenceRequired ?? false,
              resetOnRollback: item.resetOnRollback ?? true,
              ...attestedByOf(item.attestedBy),
            }),
          ),
          signOff: { required: environment.signOff?.required ?? false },
          approval: normaliseApproval(environment.approval),
          postDeployment: (environment.postDeployment?.checklist ?? []).map(
            (item): PostDeploymentItemDefinition => ({
              id: item.id,
              title: item.title,
              ...(item.description !== undefined && {
                description: item.description,
              }),
              minimumWaitSeconds:
                item.minimumWait === undefined
                  ? 0
                  : durationToSeconds(item.minimumWait),
              evidenceRequired: item.evidenceRequired ?? false,
              ...attestedByOf(item.attestedBy),
            }),
          ),
          postDeploymentRules: normalisePostDeploymentRules(
            environment.postDeployment,
          ),
          rollback: {
            earlierVersionsDeployable:
              environment.rollback?.earlierVersionsDeployable ?? false,
          },
          ...(environment.breakGlass && {
            breakGlass: {
              approvals: environment.breakGlass.approvals ?? 1,
              onCallGroups: [
                ...new Set(
                  (environment.breakGlass.onCallGroups ?? []).map(
                    normaliseApproverRef,
                  ),
                ),
              ],
              validForSeconds:
                environment.breakGlass.validFor === undefined
                  ? DEFAULT_BREAK_GLASS_VALID_FOR_SECONDS
                  : durationToSeconds(environment.breakGlass.validFor),
            },
          }),
          ...(environment.dependencies?.required && {
            dependencies: {
              environmentId:
                environment.dependencies.environment ?? environment.id,
            },
          }),
          ...freezeWindowsFor(environment.id, [
            ...(input.freezeWindows ?? []).map(w => ({
              ...w,
              configuredIn: 'portal' as const,
            })),
            ...(policy.freezeWindows ?? []).map(w => ({
              ...w,
              configuredIn: 'policy' as const,
            })),
          ]),
        }),
      ),
    };
  }

  return {
    policies,
    requestExpirySeconds:
      input.requestExpiry === undefined
        ? DEFAULT_REQUEST_EXPIRY_SECONDS
        : durationToSeconds(input.requestExpiry),
    reminderIntervalSeconds:
      input.reminderInterval === undefined
        ? DEFAULT_REMINDER_INTERVAL_SECONDS
        : durationToSeconds(input.reminderInterval),
    supersedeOlderRequests: input.supersedeOlderRequests ?? true,
    insights: {
      productionEnvironments: input.insights?.productionEnvironments ?? [
        'production',
      ],
      maxRangeDays: input.insights?.maxRangeDays ?? DEFAULT_INSIGHTS_MAX_RANGE_DAYS,
    },
    ...(input.notifications && {
      notifications: {
        violationRecipients: [
          ...new Set(
            (input.notifications.violationRecipients ?? []).map(
              normaliseApproverRef,
            ),
          ),
        ],
      },
    }),
  };
}

/** `attestedBy` where it is not the default (`person`), as the API shows it. */
function attestedByOf(attestedBy: ChecklistAttester | undefined): {
  attestedBy?: ChecklistAttester;
} {
  return attestedBy === undefined || attestedBy === 'person'
    ? {}
    : { attestedBy };
}

/** The freeze windows that name an environment, normalised; nothing when none does. */
function freezeWindowsFor(
  environmentId: string,
  windows: Array<
    z.output<typeof freezeWindowSchema> & {
      configuredIn: FreezeWindowDefinition['configuredIn'];
    }
  >,
): Pick<EnvironmentDefinition, 'freezeWindows'> {
  const freezeWindows = windows
    .filter(window => window.environments.includes(environmentId))
    .map(
      (window): FreezeWindowDefinition => ({
        reason: window.reason,
        timeZone: window.timeZone,
        ...(window.start !== undefined && {
          start: localDateTimeIn(window.start, window.timeZone),
        }),
        ...(window.end !== undefined && {
          end: localDateTimeIn(window.end, window.timeZone),
        }),
        ...(window.cron !== undefined && { cron: window.cron }),
        ...(window.duration !== undefined && {
          duration: isoDuration(window.duration),
        }),
        configuredIn: window.configuredIn,
      }),
    );
  return freezeWindows.length > 0 ? { freezeWindows } : {};
}

/** A duration as written in app-config, as ISO 8601 (`{ days: 2, hours: 6 }` → `P2DT6H`). */
function isoDuration(duration: DurationConfig): string {
  const human =
    typeof duration === 'string'
      ? parseIsoDuration(duration.trim())!
      : duration;
  return Duration.fromObject(human).toISO()!;
}

function normalisePostDeploymentRules(
  postDeployment:
    | z.output<typeof environmentSchema>['postDeployment']
    | undefined,
): EnvironmentDefinition['postDeploymentRules'] {
  const checklist = postDeployment?.checklist ?? [];
  const releaseNotesItemId =
    postDeployment?.releaseNotesItem ??
    checklist.find(item => item.id === DEFAULT_RELEASE_NOTES_ITEM)?.id;
  return {
    blocksNextVersion:
      postDeployment?.blocksNextVersion ?? checklist.length > 0,
    dueWithinSeconds:
      postDeployment?.dueWithin === undefined
        ? DEFAULT_POST_DEPLOYMENT_DUE_WITHIN_SECONDS
        : durationToSeconds(postDeployment.dueWithin),
    ...(releaseNotesItemId !== undefined && { releaseNotesItemId }),
  };
}

function normaliseApproval(
  approval: z.output<typeof approvalSchema> | undefined,
): ApprovalRule {
  return {
    mode: approval?.mode ?? 'none',
    approvers: [
      ...new Set((approval?.approvers ?? []).map(normaliseApproverRef)),
    ],
    minApprovers: approval?.minApprovers ?? 1,
    allowSelfApproval: approval?.allowSelfApproval ?? false,
  };
}

/** Which policy an entity follows, or why it follows none. */
export interface PolicyLookup {
  /** The annotation's value, when there is one. */
  policyName?: string;
  policy?: PromotionPolicy;
  problem?: 'missing-annotation' | 'unknown-policy';
}

/**
 * Finds the policy an entity opted in to with the
 * `promotion.io/policy` annotation.
 */
export function getPolicyForEntity(
  config: PromotionConfig,
  entity: { metadata: { annotations?: Record<string, string> } },
): PolicyLookup {
  const policyName =
    entity.metadata.annotations?.[PROMOTION_POLICY_ANNOTATION]?.trim();
  if (!policyName) {
    return { problem: 'missing-annotation' };
  }
  const policy = Object.prototype.hasOwnProperty.call(
    config.policies,
    policyName,
  )
    ? config.policies[policyName]
    : undefined;
  if (!policy) {
    return { policyName, problem: 'unknown-policy' };
  }
  return { policyName, policy };
}
