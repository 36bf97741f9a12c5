import { ResponseError } from '@backstage/errors';

/** The backend's own message for a failed call ("You requested this promotion…"), else the error's. */
export function errorMessage(error: unknown): string {
  if (error instanceof ResponseError) {
    return error.body?.error?.message || error.cause?.message || error.message;
  }
  if (error instanceof Error) {
    return error.message;
  }
  return String(error);
}
