import { TestDatabaseId, TestDatabases } from '@backstage/backend-test-utils';
import { Deployment, GateResult } from '@promotion/plugin-promotion-common';
import type { Knex } from 'knex';
import request from 'supertest';
import { DATABASE_HOOK_TIMEOUT_MS } from '../../database/__testUtils__/testDatabases';
import {
  noneHeader,
  Recordings,
  serviceHeader,
  startPromotionBackend,
  userHeader,
  USERS,
} from './promotionTestBackend';

/*
 * Calls to the Promotion API for the router tests: the paths, a dossier, who
 * calls, and the steps a pipeline and a developer take on a flow.
 */

export const BASE = '/api/promotion';

export const flowPath = (name: string) =>
  `${BASE}/flows/default/component/${name}`;

export const dossier = (releaseNotes = 'Adds SFTP retries') => ({
  whatChanged: 'Retries failed transfers',
  why: 'Transfers to the bank time out',
  testResults: 'All green on Test',
  releaseNotes,
});

/** The codes of the gate's unmet conditions, in order. */
export const codes = (result: GateResult) =>
  result.unmetConditions.map(c => c.code);

/** What supertest calls: the test backend's HTTP server. */
export type TestServer = Parameters<typeof request>[0];

/**
 * The Authorization header of a caller: a user entity ref, `service` for a
 * pipeline's token, or `none` for a caller without credentials.
 */
export function authorizationOf(as: string): string {
  if (as === 'service') {
    return serviceHeader();
  }
  if (as === 'none') {
    return noneHeader();
  }
  return userHeader(as);
}

/**
 * The body of a call's response, once its status is `status`. A wrong status
 * fails with the call, the status and the body, so it shows what was refused.
 */
export async function bodyOf(call: request.Test, status = 201): Promise<any> {
  const res = await call;
  expect({
    call: `${call.method} ${call.url}`,
    status: res.status,
    body: res.body,
  }).toMatchObject({ status });
  return res.body;
}

/**
 * Calls to the Promotion API. `server` is asked for at each call, so the
 * helpers can be made before a `beforeAll` hook starts the backend.
 */
export function promotionApi(server: () => TestServer) {
  /** Calls as `as` (see {@link authorizationOf}); the developer by default. */
  const api = (as: string = USERS.alice) => {
    const header = authorizationOf(as);
    return {
      get: (path: string) =>
        request(server()).get(path).set('Authorization', header),
      post: (path: string, body: object = {}) =>
        request(server()).post(path).set('Authorization', header).send(body),
      patch: (path: string, body: object) =>
        request(server()).patch(path).set('Authorization', header).send(body),
      delete: (path: string) =>
        request(server()).delete(path).set('Authorization', header),
    };
  };
  const pipeline = () => api('service');

  /** The pipeline reports a successful deployment; 201 expected. */
  const deploy = async (
    flow: string,
    environment: string,
    version: string,
    extra: object = {},
  ): Promise<Deployment> =>
    (
      await bodyOf(
        pipeline().post(`${flowPath(flow)}/deployments`, {
          environment,
          version,
          status: 'succeeded',
          ...extra,
        }),
      )
    ).deployment;

  /** The pipeline asks the gate; 200 expected. */
  const gate = (
    flow: string,
    environment: string,
    version: string,
  ): Promise<GateResult> =>
    bodyOf(
      pipeline().get(
        `${flowPath(flow)}/gate?environment=${environment}&version=${version}`,
      ),
      200,
    );

  /** Completes a validation checklist item; the response is the caller's to check. */
  const check = (
    flow: string,
    environment: string,
    itemId: string,
    body: object,
    as: string = USERS.alice,
  ) =>
    api(as).post(
      `${flowPath(flow)}/environments/${environment}/checklist/${itemId}`,
      body,
    );

  return { api, pipeline, deploy, gate, check };
}

/** The backend {@link promotionBackendOn} started, once its `beforeAll` hook ran. */
export interface StartedBackend {
  server: TestServer;
  recordings: Recordings;
  knex: Knex;
}

/**
 * Starts the real plugin on a fresh `databaseId` database before the tests of
 * the enclosing `describe` block, and returns the API helpers for it and what
 * was started (read it inside tests and hooks, not while declaring them).
 */
export function promotionBackendOn(
  databases: TestDatabases,
  databaseId: TestDatabaseId,
) {
  const started = {} as StartedBackend;
  beforeAll(async () => {
    started.knex = await databases.init(databaseId);
    const { server, recordings } = await startPromotionBackend({
      knex: started.knex,
    });
    Object.assign(started, { server, recordings });
  }, DATABASE_HOOK_TIMEOUT_MS);
  return { started, ...promotionApi(() => started.server) };
}
