import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
} from '../database/__testUtils__/testDatabases';
import { mockServices } from '@backstage/backend-test-utils';
import { InputError } from '@backstage/errors';
import knexFactory, { Knex } from 'knex';
import net from 'node:net';
import {
  startPromotionBackend,
  USERS,
} from './__testUtils__/promotionTestBackend';
import {
  BASE,
  flowPath,
  promotionApi,
  TestServer,
} from './__testUtils__/apiHelpers';
import {
  isCatalogUnavailable,
  isDatabaseUnavailable,
  translateUnavailable,
} from './unavailable';

/*
 * An outage is a 503 with Retry-After and a plain sentence: the backend talks
 * to PostgreSQL through a TCP proxy that the test closes, as a database that
 * goes away would.
 */

jest.setTimeout(180_000);

const FLOW = flowPath('payments-sftp');

/** A TCP proxy to `target` that can be cut: open sockets die, new ones are refused. */
async function startProxy(target: { host: string; port: number }) {
  const sockets = new Set<net.Socket>();
  const server = net.createServer(client => {
    const upstream = net.connect(target);
    sockets.add(client).add(upstream);
    client.pipe(upstream).pipe(client);
    const drop = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop).on('close', drop);
    upstream.on('error', drop).on('close', drop);
  });
  await new Promise<void>(resolve => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  return {
    port,
    cut: async () => {
      await new Promise<void>(resolve => {
        server.close(() => resolve());
        sockets.forEach(socket => socket.destroy());
      });
    },
  };
}

const databases = createTestDatabases(['POSTGRES_15']);

describe('Promotion API while its database is down (POSTGRES_15)', () => {
  let direct: Knex;
  let proxied: Knex;
  let proxy: Awaited<ReturnType<typeof startProxy>>;
  let server: TestServer;
  const { api, pipeline } = promotionApi(() => server);

  beforeAll(async () => {
    direct = await databases.init('POSTGRES_15');
    const connection = direct.client.config
      .connection as Knex.PgConnectionConfig;
    proxy = await startProxy({
      host: String(connection.host ?? '127.0.0.1'),
      port: Number(connection.port ?? 5432),
    });
    proxied = knexFactory({
      client: 'pg',
      connection: { ...connection, port: proxy.port },
      pool: { min: 0, max: 4, acquireTimeoutMillis: 5_000 },
      acquireConnectionTimeout: 5_000,
    });
    ({ server } = await startPromotionBackend({ knex: proxied }));
  }, DATABASE_HOOK_TIMEOUT_MS);

  afterAll(async () => {
    await proxied?.destroy();
  });

  it('answers 503 with Retry-After and no internals, for pipelines and people', async () => {
    const before = await pipeline().get(
      `${FLOW}/gate?environment=dev&version=1.0.0`,
    );
    expect(before.status).toBe(200);

    await proxy.cut();

    const calls = [
      pipeline().get(`${FLOW}/gate?environment=test&version=1.0.0`),
      pipeline().post(`${FLOW}/deployments`, {
        environment: 'dev',
        version: '1.0.0',
        status: 'succeeded',
      }),
      api(USERS.ann).get(`${BASE}/audit/verify`),
    ];
    for (const call of calls) {
      const res = await call;
      expect(res.status).toBe(503);
      expect(res.headers['retry-after']).toBe('5');
      expect(res.body.error).toEqual({
        name: 'ServiceUnavailableError',
        message: 'The promotion database is unavailable; try again shortly',
      });
      const body = JSON.stringify(res.body);
      expect(body).not.toMatch(
        /127\.0\.0\.1|5432|ECONNREFUSED|select |insert |stack/i,
      );
      expect(body).not.toContain(String(proxy.port));
    }
  });
});

describe('isDatabaseUnavailable / isCatalogUnavailable', () => {
  it('recognises the drivers’ outage errors, and nothing else', () => {
    const refused = Object.assign(
      new Error('connect ECONNREFUSED 127.0.0.1:5433'),
      {
        code: 'ECONNREFUSED',
      },
    );
    expect(isDatabaseUnavailable(refused)).toBe(true);
    expect(
      isDatabaseUnavailable(new Error('Connection terminated unexpectedly')),
    ).toBe(true);
    expect(
      isDatabaseUnavailable(
        new Error(
          'Knex: Timeout acquiring a connection. The pool is probably full.',
        ),
      ),
    ).toBe(true);
    expect(
      isDatabaseUnavailable(
        Object.assign(new Error('terminating'), { code: '57P01' }),
      ),
    ).toBe(true);
    expect(
      isDatabaseUnavailable(
        Object.assign(new Error('unique violation'), { code: '23505' }),
      ),
    ).toBe(false);
    expect(isDatabaseUnavailable(new TypeError('x is undefined'))).toBe(false);

    const catalogDown = Object.assign(
      new Error('request to http://10.0.0.1/api failed'),
      {
        name: 'FetchError',
      },
    );
    expect(isCatalogUnavailable(catalogDown)).toBe(true);
    expect(
      isCatalogUnavailable(
        Object.assign(new Error('Request failed with 502'), {
          name: 'ResponseError',
          statusCode: 502,
        }),
      ),
    ).toBe(true);
    expect(
      isCatalogUnavailable(
        Object.assign(new Error('Request failed with 403'), {
          name: 'ResponseError',
          statusCode: 403,
        }),
      ),
    ).toBe(false);
  });
});

describe('translateUnavailable', () => {
  const translate = translateUnavailable({
    logger: mockServices.logger.mock(),
  });
  const run = (error: unknown) => {
    const next = jest.fn();
    const res = { headersSent: false, setHeader: jest.fn() };
    translate(error, {} as any, res as any, next);
    return { passed: next.mock.calls[0][0], res };
  };

  it('passes client errors on unchanged', () => {
    const error = new InputError('body.version: Required');
    expect(run(error).passed).toBe(error);
  });

  it('hides the internals of an unexpected error outside development', () => {
    const { passed, res } = run(
      new Error(
        'insert into "promotion_deployments" failed on db.internal:5432',
      ),
    );
    expect(passed).toBeInstanceOf(Error);
    expect(passed.message).toBe(
      'The promotion backend failed unexpectedly; the error is in its log',
    );
    expect(res.setHeader).not.toHaveBeenCalled();
  });
});
