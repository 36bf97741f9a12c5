import type {
  ChecklistCompletion,
  ChecklistKind,
  CompleteChecklistItemRequest,
  GateResult,
  PromotionRequest,
  RecordDeploymentRequest,
  RecordDeploymentResponse,
  RollbackRequest,
  RollbackResult,
} from '@promotion/plugin-promotion-common';

/*
 * A small client for the Promotion pipeline routes, on Node's own fetch.
 * Every failure becomes a GateCliError with a message a pipeline log can show.
 * The request and response types are the API contract's, from
 * `@promotion/plugin-promotion-common` (types only: nothing of it runs here).
 */

export type {
  GateCondition,
  GateResult,
} from '@promotion/plugin-promotion-common';

/** An error the CLI reports and exits with code 2 for. */
export class GateCliError extends Error {
  readonly status?: number;
  constructor(message: string, status?: number) {
    super(message);
    this.name = 'GateCliError';
    this.status = status;
  }
}

/** The backend answered 503: unavailable for a moment, worth retrying. */
export class GateUnavailableError extends GateCliError {
  constructor(message: string, readonly retryAfterMs: number) {
    super(message, 503);
    this.name = 'GateUnavailableError';
  }
}

export interface FlowRef {
  kind: string;
  namespace: string;
  name: string;
}

/**
 * Parses `component:default/name`, `component:name`, `default/name` or `name`
 * (kind defaults to component, namespace to default).
 */
export function parseFlowRef(value: string): FlowRef {
  const match = /^(?:([^:/\s]+):)?(?:([^:/\s]+)\/)?([^:/\s]+)$/.exec(
    value.trim(),
  );
  if (!match) {
    throw new GateCliError(
      `--flow "${value}" is not an entity ref; use kind:namespace/name, e.g. component:default/payments-export`,
    );
  }
  return {
    kind: (match[1] ?? 'component').toLocaleLowerCase('en-US'),
    namespace: (match[2] ?? 'default').toLocaleLowerCase('en-US'),
    name: match[3],
  };
}

export function formatFlowRef(flow: FlowRef): string {
  return `${flow.kind}:${flow.namespace}/${flow.name}`;
}

export interface GateClientOptions {
  /** The Backstage backend's base URL, e.g. https://backstage.example.com */
  url: string;
  token: string;
  fetch?: typeof fetch;
  /** Waits between retries; tests pass a recording stand-in. */
  sleep?: (ms: number) => Promise<void>;
  /** How often a 503 (backend or its database unavailable) is retried; default 3. */
  retries?: number;
}

/** The longest wait a 503's Retry-After may ask for. */
const MAX_RETRY_AFTER_MS = 30_000;
const DEFAULT_RETRY_AFTER_MS = 5_000;

function parseRetryAfter(header: string | null): number {
  const seconds = Number(header);
  return Number.isFinite(seconds) && seconds >= 0
    ? Math.min(seconds * 1000, MAX_RETRY_AFTER_MS)
    : DEFAULT_RETRY_AFTER_MS;
}

export class GateClient {
  readonly #baseUrl: string;
  readonly #token: string;
  readonly #fetch: typeof fetch;
  readonly #sleep: (ms: number) => Promise<void>;
  readonly #retries: number;

  constructor(options: GateClientOptions) {
    let url: URL;
    try {
      url = new URL(options.url);
    } catch {
      throw new GateCliError(
        `--url "${options.url}" is not a URL; pass the Backstage backend's base URL, e.g. https://backstage.example.com`,
      );
    }
    if (!options.token) {
      throw new GateCliError(
        'No token: pass --token or set PROMOTION_TOKEN to the pipeline token configured in backend.auth.externalAccess',
      );
    }
    this.#baseUrl = `${url.toString().replace(/\/+$/, '')}/api/promotion`;
    this.#token = options.token;
    this.#fetch = options.fetch ?? fetch;
    this.#sleep =
      options.sleep ?? (ms => new Promise(resolve => setTimeout(resolve, ms)));
    this.#retries = options.retries ?? 3;
  }

  flowPath(flow: FlowRef): string {
    return `/flows/${encodeURIComponent(flow.namespace)}/${encodeURIComponent(
      flow.kind,
    )}/${encodeURIComponent(flow.name)}`;
  }

  checkGate(
    flow: FlowRef,
    environment: string,
    version: string,
  ): Promise<GateResult> {
    const query = new URLSearchParams({ environment, version });
    return this.#request('GET', `${this.flowPath(flow)}/gate?${query}`, flow);
  }

  getRequest(id: string): Promise<PromotionRequest> {
    return this.#request('GET', `/requests/${encodeURIComponent(id)}`);
  }

  reportDeployment(
    flow: FlowRef,
    body: RecordDeploymentRequest,
  ): Promise<RecordDeploymentResponse> {
    return this.#request(
      'POST',
      `${this.flowPath(flow)}/deployments`,
      flow,
      body,
    );
  }

  /** Completes (attests) a checklist item of an environment, as the pipeline. */
  attestChecklistItem(
    flow: FlowRef,
    target: { environment: string; kind: ChecklistKind; itemId: string },
    body: CompleteChecklistItemRequest,
  ): Promise<ChecklistCompletion> {
    const segment =
      target.kind === 'post-deployment' ? 'post-deployment' : 'checklist';
    return this.#request(
      'POST',
      `${this.flowPath(flow)}/environments/${encodeURIComponent(
        target.environment,
      )}/${segment}/${encodeURIComponent(target.itemId)}`,
      flow,
      body,
    );
  }

  recordRollback(
    flow: FlowRef,
    body: RollbackRequest,
  ): Promise<RollbackResult> {
    return this.#request(
      'POST',
      `${this.flowPath(flow)}/rollbacks`,
      flow,
      body,
    );
  }

  /**
   * One API call. A 503 means the backend or its database is unavailable for
   * a moment: it is retried after the answer's Retry-After (at most 30 s), up
   * to `retries` times, then reported with status 503 (exit code 3).
   */
  async #request<T>(
    method: string,
    path: string,
    flow?: FlowRef,
    body?: unknown,
  ): Promise<T> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.#requestOnce<T>(method, path, flow, body);
      } catch (error) {
        const unavailable = error instanceof GateUnavailableError;
        if (!unavailable || attempt >= this.#retries) {
          throw error;
        }
        await this.#sleep(error.retryAfterMs);
      }
    }
  }

  async #requestOnce<T>(
    method: string,
    path: string,
    flow?: FlowRef,
    body?: unknown,
  ): Promise<T> {
    const url = `${this.#baseUrl}${path}`;
    let res: Response;
    try {
      res = await this.#fetch(url, {
        method,
        headers: {
          Authorization: `Bearer ${this.#token}`,
          Accept: 'application/json',
          ...(body ? { 'Content-Type': 'application/json' } : {}),
        },
        body: body ? JSON.stringify(body) : undefined,
      });
    } catch (error) {
      const cause = (error as { cause?: { code?: string; message?: string } })
        .cause;
      throw new GateCliError(
        `Cannot reach the Promotion backend at ${this.#baseUrl} (${
          cause?.code ?? cause?.message ?? (error as Error).message
        }); check --url / PROMOTION_URL`,
      );
    }
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    if (res.ok) {
      return json as T;
    }
    const serverMessage: string | undefined = json?.error?.message;
    switch (res.status) {
      case 401:
        throw new GateCliError(
          'The backend rejected the token (401 Unauthorized): check --token / PROMOTION_TOKEN against backend.auth.externalAccess',
          401,
        );
      case 403:
        throw new GateCliError(
          `The token is not allowed to do this (403 Forbidden)${
            serverMessage ? `: ${serverMessage}` : ''
          }`,
          403,
        );
      case 503:
        throw new GateUnavailableError(
          `The Promotion backend is unavailable (503)${
            serverMessage ? `: ${serverMessage}` : ''
          }; try again later`,
          parseRetryAfter(res.headers.get('Retry-After')),
        );
      case 404:
        throw new GateCliError(
          flow
            ? `Unknown flow ${formatFlowRef(flow)} (404)${
                serverMessage ? `: ${serverMessage}` : ''
              }`
            : `Not found (404)${serverMessage ? `: ${serverMessage}` : ''}`,
          404,
        );
      default:
        throw new GateCliError(
          `${method} ${path} failed with ${res.status} ${res.statusText}${
            serverMessage ? `: ${serverMessage}` : ''
          }`,
          res.status,
        );
    }
  }
}
