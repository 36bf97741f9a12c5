import { InputError } from '@backstage/errors';
import { z } from 'zod';

/*
 * Request validation with the zod schemas of the API contract
 * (`promotionApiOperations` in promotion-common): a failure is an
 * `InputError` (400) whose message names each offending field.
 */

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
