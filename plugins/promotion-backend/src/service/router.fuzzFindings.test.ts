import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
} from '../database/__testUtils__/testDatabases';
import { USERS } from './__testUtils__/promotionTestBackend';
import { BASE, flowPath, promotionBackendOn } from './__testUtils__/apiHelpers';

/*
 * What scripts/fuzz-api.sh found, each pinned by a test: a malformed request
 * is a 400 naming the field, decided by the API contract before any store or
 * database sees the input.
 */

jest.setTimeout(180_000);

const FLOW = flowPath('payments-sftp');

const base64url = (text: string) =>
  Buffer.from(text, 'utf8').toString('base64url');

/**
 * Cursors no page ever handed out. The first ones decode to a seq beyond
 * PostgreSQL's bigint or beyond a JavaScript safe integer: before the
 * contract checked them, PostgreSQL answered 500 and SQLite quietly
 * compared against a rounded number.
 */
const FOREIGN_CURSORS: Array<[string, string]> = [
  ['a seq beyond 2^64', base64url('seq:18446744073709551616')],
  ['a seq of 2^63', base64url('seq:9223372036854775808')],
  ['a seq of 32 digits', base64url(`seq:${'9'.repeat(32)}`)],
  ['a seq beyond 2^53', base64url('seq:9007199254740993')],
  ['a negative seq', base64url('seq:-1')],
  ['a seq of zero', base64url('seq:0')],
  ['a fractional seq', base64url('seq:1.5')],
  ['an exponent', base64url('seq:1e3')],
  ['no seq', base64url('1')],
  ['padded standard base64', 'c2VxOjE='],
  ['text that is not base64', 'not base64!!'],
];

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3']);

describe.each(databases.eachSupportedId())(
  'Findings of the API fuzzer on %p',
  databaseId => {
    const { api, pipeline } = promotionBackendOn(databases, databaseId);

    beforeAll(async () => {
      // Three audit events, so that a page of one has a next page.
      for (const environment of ['dev', 'test', 'prod']) {
        const res = await pipeline().post(`${FLOW}/deployments`, {
          environment,
          version: '1.0.0',
          status: 'succeeded',
        });
        if (res.status !== 201) {
          throw new Error(`Recording a deployment answered ${res.status}`);
        }
      }
    }, DATABASE_HOOK_TIMEOUT_MS);

    const asAuditor = (path: string) => api(USERS.ann).get(path);

    describe('text as long as the store holds', () => {
      const deploy = (body: object) =>
        pipeline().post(`${FLOW}/deployments`, {
          environment: 'dev',
          status: 'succeeded',
          ...body,
        });

      // Before, the contract allowed 128 and 256 characters where the
      // columns hold 100: PostgreSQL answered 500, SQLite stored them.
      it.each([
        ['version', { version: 'v'.repeat(101) }],
        [
          'idempotencyKey',
          { version: '1.0.1', idempotencyKey: 'k'.repeat(101) },
        ],
      ])(
        'refuses body.%s beyond 100 characters with a 400 naming it',
        async (field, body) => {
          const res = await deploy(body);
          expect(res.status).toBe(400);
          expect(res.body.error.name).toBe('InputError');
          expect(res.body.error.message).toMatch(
            new RegExp(`^body\\.${field}: `),
          );
        },
      );

      it('records and reads back a version and a key of exactly 100 characters', async () => {
        const version = `2.0.0+${'b'.repeat(94)}`;
        const idempotencyKey = 'k'.repeat(100);
        const res = await deploy({ version, idempotencyKey });
        expect(res.status).toBe(201);
        expect(res.body.deployment.version).toBe(version);
        const again = await deploy({ version, idempotencyKey });
        expect(again.status).toBe(200);
        expect(again.body.replayed).toBe(true);
      });
    });

    describe.each([
      ['the audit trail', `${BASE}/audit/events`],
      ['a flow’s events', `${FLOW}/events`],
    ])('a cursor of %s', (_, path) => {
      it.each(FOREIGN_CURSORS)(
        'refuses %s with a 400 naming query.cursor',
        async (__, cursor) => {
          const res = await asAuditor(
            `${path}?limit=1&cursor=${encodeURIComponent(cursor)}`,
          );
          expect(res.status).toBe(400);
          expect(res.body.error).toMatchObject({
            name: 'InputError',
            message: 'query.cursor: Must be the nextCursor of a previous page',
          });
        },
      );

      it('still follows the nextCursor of a page to the next page', async () => {
        const first = await asAuditor(`${path}?limit=1`);
        expect(first.status).toBe(200);
        expect(first.body.nextCursor).toEqual(expect.any(String));
        const second = await asAuditor(
          `${path}?limit=1&cursor=${encodeURIComponent(first.body.nextCursor)}`,
        );
        expect(second.status).toBe(200);
        expect(second.body.items).toHaveLength(1);
        expect(second.body.items[0].seq).toBe(first.body.items[0].seq - 1);
      });
    });
  },
);
