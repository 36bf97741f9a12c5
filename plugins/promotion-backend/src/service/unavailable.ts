import { LoggerService } from '@backstage/backend-plugin-api';
import { isError, ServiceUnavailableError } from '@backstage/errors';
import { ErrorRequestHandler } from 'express';

/*
 * An outage is not a bug: when the database or the catalog cannot be reached,
 * the API answers 503 with `Retry-After` and a plain sentence, so a pipeline
 * can tell "try again" from "something is wrong". The error still goes to the
 * framework's error handler, which writes the body; this only translates it.
 * Outside development, any other unexpected error (not one of
 * `@backstage/errors`' types) is logged here and answered with a sentence
 * that carries no host, port, SQL or internal URL.
 */

/** Seconds a client should wait before retrying after a 503. */
export const RETRY_AFTER_SECONDS = 5;

/** Network-level error codes of a dependency that cannot be reached. */
const UNREACHABLE_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'PROTOCOL_CONNECTION_LOST', // mysql2
  'SQLITE_BUSY',
]);

/** SQLSTATE classes and codes of PostgreSQL that mean "the server is not there". */
const UNAVAILABLE_SQLSTATE = /^(08|57P0[1-3]|53300)/;

const UNAVAILABLE_MESSAGES = [
  /Connection terminated/i,
  /Timeout acquiring a connection/i,
  /Unable to acquire a connection/i,
  /connection (is )?(closed|lost|refused)/i,
  /the database system is (starting up|shutting down)/i,
  /too many clients/i,
];

/** Errors whose name says they are already meant for the client. */
const CLIENT_ERROR_NAMES = new Set([
  'InputError',
  'AuthenticationError',
  'NotAllowedError',
  'NotFoundError',
  'ConflictError',
  'NotModifiedError',
  'NotImplementedError',
  'ServiceUnavailableError',
]);

function causes(error: unknown): unknown[] {
  const chain: unknown[] = [];
  let current: unknown = error;
  while (isError(current) && chain.length < 5) {
    chain.push(current);
    current = (current as { cause?: unknown }).cause;
  }
  return chain;
}

/** True when the error says the database could not be reached. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return causes(error).some(e => {
    const { code, message } = e as { code?: unknown; message?: string };
    if (typeof code === 'string') {
      if (UNREACHABLE_CODES.has(code) || UNAVAILABLE_SQLSTATE.test(code)) {
        return true;
      }
    }
    return UNAVAILABLE_MESSAGES.some(pattern => pattern.test(message ?? ''));
  });
}

/** True when the catalog could not answer (network failure or its own 5xx). */
export function isCatalogUnavailable(error: unknown): boolean {
  return causes(error).some(e => {
    const { name, statusCode, response } = e as {
      name?: string;
      statusCode?: number;
      response?: { status?: number };
    };
    if (name === 'FetchError' || name === 'AbortError') {
      return true;
    }
    const status = statusCode ?? response?.status;
    return name === 'ResponseError' && typeof status === 'number'
      ? status >= 500
      : false;
  });
}

function isClientError(error: unknown): boolean {
  if (!isError(error)) {
    return false;
  }
  const status = (error as { statusCode?: unknown }).statusCode;
  return (
    CLIENT_ERROR_NAMES.has(error.name) ||
    (typeof status === 'number' && status < 500)
  );
}

/**
 * The router's last handler: turns an outage into a 503 with `Retry-After`
 * and hides the internals of unexpected errors outside development, then
 * hands the error on to the framework's error handler.
 */
export function translateUnavailable(options: {
  logger: LoggerService;
}): ErrorRequestHandler {
  const { logger } = options;
  return (error, _req, res, next) => {
    if (isClientError(error)) {
      next(error);
      return;
    }
    const database = isDatabaseUnavailable(error);
    if (database || isCatalogUnavailable(error)) {
      logger.warn(
        `Answering 503: the ${
          database ? 'database' : 'catalog'
        } is unavailable`,
        isError(error) ? error : undefined,
      );
      if (!res.headersSent) {
        res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
      }
      next(
        new ServiceUnavailableError(
          database
            ? 'The promotion database is unavailable; try again shortly'
            : 'The software catalog is unavailable; try again shortly',
        ),
      );
      return;
    }
    if (process.env.NODE_ENV === 'development') {
      next(error);
      return;
    }
    logger.error(
      'Unexpected error in the promotion API',
      isError(error) ? error : undefined,
    );
    next(
      new Error(
        'The promotion backend failed unexpectedly; the error is in its log',
      ),
    );
  };
}
