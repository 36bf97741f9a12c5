import { createTestDatabases } from '../database/__testUtils__/testDatabases';
import { AuditEvent } from '@promotion/plugin-promotion-common';
import { USERS } from './__testUtils__/promotionTestBackend';
import { BASE, flowPath, promotionBackendOn } from './__testUtils__/apiHelpers';

/*
 * Text that round-trips: every string the API stores is read back exactly as
 * it was received (and hashed into the audit chain) on every supported
 * database, and what a database cannot store is a 400 naming the field —
 * never a 500, never a silent change that breaks the chain.
 */

jest.setTimeout(180_000);

const FLOW = flowPath('payments-sftp');

/** Strings every engine stores exactly (none is trimmed away at its ends). */
const ROUND_TRIP_CORPUS: Array<[string, string]> = [
  ['U+FFFF', 'v1-\uffff-x'],
  ['a byte order mark', 'v1-\ufeff-x'],
  ['a line separator', 'v1-\u2028-x'],
  ['astral characters', 'v1-😀-𝌆-x'],
  ['a surrogate pair split across no boundary', 'v1-\ud83d\ude00'],
  ['quotes and backslashes', `v1-'"\\-x`],
  ['right-to-left text', 'v1-שלום-x'],
  ['a formula', '=HYPERLINK("http://evil.example/?x","open")'],
];

/** Strings no engine can store as received. */
const REFUSED_CORPUS: Array<[string, string]> = [
  ['a lone high surrogate', '1.0-\ud800'],
  ['a lone low surrogate', '1.0-\udc00-x'],
  ['reversed surrogates', '1.0-\udc00\ud800'],
  ['NUL', '1.0\u0000'],
];

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3', 'MYSQL_8']);

describe.each(databases.eachSupportedId())(
  'Text that round-trips on %p',
  databaseId => {
    const { api } = promotionBackendOn(databases, databaseId);
    const pipeline = api('service');
    const auditor = api(USERS.ann);

    it.each(REFUSED_CORPUS)(
      'refuses a version with %s: 400 naming the field, nothing written',
      async (_, version) => {
        const before = await auditor.get(`${BASE}/audit/events?limit=1`);
        const res = await pipeline.post(`${FLOW}/deployments`, {
          environment: 'dev',
          version,
          status: 'succeeded',
        });
        expect(res.status).toBe(400);
        expect(res.body.error.message).toContain(
          'body.version: Contains a character that cannot be stored',
        );
        const after = await auditor.get(`${BASE}/audit/events?limit=1`);
        expect(after.body.items).toEqual(before.body.items);
      },
    );

    it('refuses NUL and lone surrogates in every text field it stores', async () => {
      const rollback = await pipeline.post(`${FLOW}/rollbacks`, {
        environment: 'dev',
        toVersion: '1.0.0',
        reason: 'bad \ud800 release',
      });
      expect(rollback.status).toBe(400);
      expect(rollback.body.error.message).toContain('body.reason: Contains');

      const link = await pipeline.post(`${FLOW}/deployments`, {
        environment: 'dev',
        version: '1.0.0',
        status: 'succeeded',
        link: 'https://ci.example.com/run/\u0000',
      });
      expect(link.status).toBe(400);
      expect(link.body.error.message).toContain('body.link');

      const key = await pipeline.post(`${FLOW}/deployments`, {
        environment: 'dev',
        version: '1.0.0',
        status: 'succeeded',
        idempotencyKey: 'k\udfff',
      });
      expect(key.status).toBe(400);
      expect(key.body.error.message).toContain('body.idempotencyKey: Contains');

      const dossier = await api(USERS.alice).post(`${FLOW}/requests`, {
        environment: 'prod',
        version: '1.0.0',
        dossier: { whatChanged: 'x\u0000', why: 'y' },
      });
      expect(dossier.status).toBe(400);
      expect(dossier.body.error.message).toContain(
        'body.dossier.whatChanged: Contains',
      );
    });

    it('answers a 100,000-character string with a 400 naming the field', async () => {
      const res = await pipeline.post(`${FLOW}/rollbacks`, {
        environment: 'dev',
        toVersion: '1.0.0',
        reason: 'x'.repeat(100_000),
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('body.reason');
    });

    it.each([
      ['kind', `${BASE}/flows/default/comp%2Fonent/payments-sftp`],
      ['namespace', `${BASE}/flows/de%2Ffault/component/payments-sftp`],
      ['name', `${BASE}/flows/default/component/pay%3Aments`],
    ])('answers a malformed %s in the path with a 400', async (field, path) => {
      const res = await pipeline.get(path);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(
        `path.${field}: Must be a valid`,
      );
    });

    it('stores every other string exactly as received, and the chain stays intact', async () => {
      for (const [, version] of ROUND_TRIP_CORPUS) {
        const res = await pipeline.post(`${FLOW}/deployments`, {
          environment: 'dev',
          version,
          status: 'succeeded',
        });
        expect(res.status).toBe(201);
      }
      const events = await auditor.get(`${FLOW}/events?limit=100`);
      expect(events.status).toBe(200);
      const stored = (events.body.items as AuditEvent[])
        .filter(event => event.type === 'deployment.recorded')
        .map(event => event.version);
      for (const [, version] of ROUND_TRIP_CORPUS) {
        expect(stored).toContain(version);
      }

      const verification = await auditor.get(`${BASE}/audit/verify`);
      expect(verification.status).toBe(200);
      expect(verification.body.intact).toBe(true);
    });
  },
);
