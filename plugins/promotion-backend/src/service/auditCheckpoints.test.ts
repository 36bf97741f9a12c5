import { AuditCheckpoint } from '@promotion/plugin-promotion-common';
import request from 'supertest';
import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
} from '../database/__testUtils__/testDatabases';
import { TABLES } from '../database/tables';
import {
  Recordings,
  serviceHeader,
  startPromotionBackend,
  userHeader,
  USERS,
} from './__testUtils__/promotionTestBackend';

jest.setTimeout(60_000);

const BASE = '/api/promotion';
const flowPath = (name: string) => `${BASE}/flows/default/component/${name}`;

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3']);

describe.each(databases.eachSupportedId())(
  'Audit checkpoints on %p',
  databaseId => {
    let server: Parameters<typeof request>[0];
    let recordings: Recordings;
    let knex: Awaited<ReturnType<typeof databases.init>>;

    beforeAll(async () => {
      knex = await databases.init(databaseId);
      ({ server, recordings } = await startPromotionBackend({ knex }));
      for (const [flow, version] of [
        ['payments-sftp', '1.0.0'],
        ['ledger', '2.0.0'],
        ['payments-sftp', '1.0.1'],
      ]) {
        const res = await request(server)
          .post(`${flowPath(flow)}/deployments`)
          .set('Authorization', serviceHeader())
          .send({ environment: 'dev', version, status: 'succeeded' });
        if (res.status !== 201) {
          throw new Error(`Could not deploy ${flow} ${version}: ${res.text}`);
        }
      }
    }, DATABASE_HOOK_TIMEOUT_MS);

    const as = (user: string) => ({
      post: (path: string, body?: object) =>
        request(server)
          .post(path)
          .set('Authorization', userHeader(user))
          .send(body),
    });

    it('signs a checkpoint for an auditor, sends it to the auditor service, and verifies against it', async () => {
      const res = await as(USERS.ann).post(`${BASE}/audit/checkpoints`);
      expect(res.status).toBe(201);
      const checkpoint: AuditCheckpoint = res.body;
      expect(checkpoint).toMatchObject({
        createdBy: USERS.ann,
        flows: 2,
        events: 3,
        digest: expect.stringMatching(/^[0-9a-f]{64}$/),
        mac: expect.stringMatching(/^[0-9a-f]{64}$/),
      });
      expect(checkpoint.heads.map(h => [h.entityRef, h.chainSeq])).toEqual([
        ['component:default/ledger', 1],
        ['component:default/payments-sftp', 2],
      ]);
      expect(
        recordings.auditorEvents.filter(e => e.eventId === 'audit-checkpoint'),
      ).toEqual([
        expect.objectContaining({
          meta: expect.objectContaining({
            checkpointId: checkpoint.id,
            digest: checkpoint.digest,
            flows: 2,
            events: 3,
          }),
        }),
      ]);

      const verified = await as(USERS.ann).post(
        `${BASE}/audit/verify`,
        checkpoint,
      );
      expect(verified.status).toBe(200);
      expect(verified.body).toMatchObject({
        intact: true,
        eventsChecked: 3,
        breaks: [],
        checkpoint: { id: checkpoint.id, digest: checkpoint.digest },
      });

      // A checkpoint edited to hide a truncation is refused.
      const edited = await as(USERS.ann).post(`${BASE}/audit/verify`, {
        ...checkpoint,
        heads: checkpoint.heads.map(h => ({ ...h, chainSeq: 1 })),
      });
      expect(edited.status).toBe(200);
      expect(edited.body).toMatchObject({
        intact: false,
        breaks: [{ kind: 'checkpoint-mismatch' }],
      });

      // The newest event deleted behind the store, head and all.
      const [newest] = await knex(TABLES.auditEvents)
        .orderBy('seq', 'desc')
        .limit(1);
      await knex(TABLES.auditEvents).where({ seq: newest.seq }).delete();
      await knex(TABLES.auditChains)
        .where({ entity_ref: newest.entity_ref })
        .delete();
      const truncated = await as(USERS.ann).post(
        `${BASE}/audit/verify`,
        checkpoint,
      );
      expect(truncated.body.intact).toBe(false);
      expect(truncated.body.breaks).toEqual(
        expect.arrayContaining([
          expect.objectContaining({
            kind: 'chain-truncated',
            entityRef: 'component:default/payments-sftp',
          }),
        ]),
      );
    });

    it('refuses a malformed checkpoint with a 400 naming the field', async () => {
      const res = await as(USERS.ann).post(`${BASE}/audit/verify`, {
        id: 'not-a-uuid',
      });
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('body.id');
    });

    it('needs the audit-read permission', async () => {
      for (const path of ['/audit/checkpoints', '/audit/verify']) {
        const res = await as(USERS.alice).post(`${BASE}${path}`);
        expect([400, 403]).toContain(res.status);
      }
      const denied = await as(USERS.alice).post(`${BASE}/audit/checkpoints`);
      expect(denied.status).toBe(403);
      expect(denied.body.error.message).toContain('promotion.audit.read');
    });

    it('signs a checkpoint every hour', async () => {
      const task = recordings.tasks.find(
        t => t.id === 'promotion-audit-checkpoint',
      );
      expect(task).toMatchObject({
        frequency: { hours: 1 },
        scope: 'global',
      });
      const before = recordings.auditorEvents.length;
      await task!.fn(new AbortController().signal);
      expect(recordings.auditorEvents.slice(before)).toEqual([
        expect.objectContaining({
          eventId: 'audit-checkpoint',
          meta: expect.objectContaining({
            createdBy: 'service:plugin:promotion',
          }),
        }),
      ]);
    });
  },
);
