import { MIGRATIONS_DIR } from './migrationsDir';
import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { GENESIS_HASH } from '../audit/hashChain';
import {
  createTestDatabases,
  setUpEmptyDatabase,
  DATABASE_TEST_TIMEOUT_MS,
} from './__testUtils__/testDatabases';
import { testKeyring } from '../audit/__testUtils__/testKeyring';
import { DatabasePromotionStore } from './DatabasePromotionStore';
import { TABLES } from './tables';

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

const databases = createTestDatabases();

const REMINDERS = '20261122000000_request_reminders.js';
const SUPERSEDED = '20261128000000_superseded_requests.js';
const ATTESTED = '20261202000000_attested_evidence.js';

const FLOW = 'component:default/payments-sftp';
const actor = {
  actor: 'user:default/alice',
  now: new Date('2026-11-21T10:00:00.000Z'),
};

async function migrateUpOne(knex: Knex) {
  await knex.migrate.up({ directory: MIGRATIONS_DIR });
}

async function migrateDownOne(knex: Knex) {
  await knex.migrate.down({ directory: MIGRATIONS_DIR });
}

async function storeOn(knex: Knex) {
  return DatabasePromotionStore.create({
    keyring: testKeyring(),
    database: { getClient: async () => knex },
    skipMigrations: true,
  });
}

async function existingTables(knex: Knex): Promise<string[]> {
  const result: string[] = [];
  for (const table of Object.values(TABLES)) {
    if (await knex.schema.hasTable(table)) {
      result.push(table);
    }
  }
  return result;
}

describe.each(databases.eachSupportedId())(
  'migrations on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    setUpEmptyDatabase(databases, databaseId, made => {
      knex = made;
    });

    it('20261121000000_init creates every table, and its down removes them all', async () => {
      expect(await existingTables(knex)).toEqual([]);

      await migrateUpOne(knex);
      // The tables of later migrations (20261127000000_keyed_audit_chain) aside.
      expect(await existingTables(knex)).toEqual(
        Object.values(TABLES).filter(
          table =>
            table !== TABLES.auditChains &&
            table !== TABLES.auditChainLocks &&
            table !== TABLES.auditCheckpoints &&
            table !== TABLES.breakGlasses &&
            table !== TABLES.flowStateReads,
        ),
      );
      expect(await knex(TABLES.auditChainHead)).toEqual([
        expect.objectContaining({ id: 1, hash: GENESIS_HASH }),
      ]);

      await migrateDownOne(knex);
      expect(await existingTables(knex)).toEqual([]);
      const [completed] = await knex.migrate.list({
        directory: MIGRATIONS_DIR,
      });
      expect(completed).toEqual([]);
    });

    it('20261122000000_request_reminders adds last_reminded_at, and its down and up keep the data', async () => {
      await knex.migrate.latest({ directory: MIGRATIONS_DIR });
      expect(
        await knex.schema.hasColumn(TABLES.requests, 'last_reminded_at'),
      ).toBe(true);
      const store = await storeOn(knex);
      const { value: request } = await store.createRequest(
        {
          entityRef: FLOW,
          environmentId: 'production',
          version: '1.0.0',
          dossier: {
            whatChanged: 'New client',
            why: 'Deprecation',
            testResults: '',
            releaseNotes: '',
          },
          expiresAt: new Date('2026-12-05T10:00:00.000Z'),
        },
        actor,
      );
      const { value: decided } = await store.decide(
        {
          requestId: request.id,
          decision: 'approve',
          comment: 'ok',
          minApprovers: 2,
          grantsStandingApproval: false,
        },
        { ...actor, actor: 'user:default/bob' },
      );
      const remind = () =>
        store.claimReminders(
          {
            olderThan: new Date('2026-11-22T10:00:00.000Z'),
            now: new Date('2026-11-23T10:00:00.000Z'),
            limit: 10,
          },
          { actor: 'service:promotion' },
        );
      expect((await remind()).value).toEqual([decided.request]);

      // Down: the column goes, the requests, decisions and events stay.
      // (That migration by name: the keyed audit chain came after it.)
      await knex.migrate.down({ directory: MIGRATIONS_DIR, name: REMINDERS });
      expect(
        await knex.schema.hasColumn(TABLES.requests, 'last_reminded_at'),
      ).toBe(false);
      expect(await store.getRequest(request.id)).toEqual(decided.request);
      // The chain is intact; the state check (since the keyed audit chain)
      // names only what the down lost: the reminder the request row recorded.
      const afterDown = await store.verifyChain();
      expect(afterDown).toMatchObject({ eventsChecked: 3 });
      expect(afterDown.breaks).not.toEqual([]);
      for (const found of afterDown.breaks!) {
        expect(found).toMatchObject({
          kind: expect.stringMatching(/^state-/),
          table: TABLES.requests,
          rowId: request.id,
        });
      }
      // The one-pending-request index survived the change of the table.
      await expect(
        knex(TABLES.requests).insert({
          ...(await knex(TABLES.requests).where({ id: request.id }).first()),
          id: '00000000-0000-4000-8000-000000000000',
        }),
      ).rejects.toMatchObject({
        code: expect.stringMatching(
          /^(23505|ER_DUP_ENTRY|SQLITE_CONSTRAINT_UNIQUE)$/,
        ),
      });

      // Up again: the column is back, empty, so the request is due again.
      await knex.migrate.up({ directory: MIGRATIONS_DIR, name: REMINDERS });
      expect(await store.getRequest(request.id)).toEqual(decided.request);
      expect(
        (await knex(TABLES.requests).where({ id: request.id }).first())
          .last_reminded_at,
      ).toBeNull();
      expect((await remind()).value).toEqual([decided.request]);
    });

    it('20261128000000_superseded_requests adds closed_reason, and its down and up keep the data', async () => {
      await knex.migrate.latest({ directory: MIGRATIONS_DIR });
      const store = await storeOn(knex);
      const requestFor = (version: string, minutes: number) =>
        store.createRequest(
          {
            entityRef: FLOW,
            environmentId: 'production',
            version,
            dossier: {
              whatChanged: 'New client',
              why: 'Deprecation',
              testResults: '',
              releaseNotes: '',
            },
            expiresAt: new Date('2026-12-05T10:00:00.000Z'),
            supersedeOlderRequests: true,
          },
          { ...actor, now: new Date(actor.now.getTime() + minutes * 60_000) },
        );
      const { value: older } = await requestFor('1.0.0', 0);
      const { superseded } = await requestFor('1.1.0', 1);
      expect(superseded).toEqual([
        expect.objectContaining({
          id: older.id,
          status: 'superseded',
          closedReason: 'Superseded by the request for version 1.1.0',
        }),
      ]);
      expect(await store.verifyChain()).toMatchObject({ intact: true });

      // Down: the column goes, the requests and their events stay; the
      // state check names only the reason the request row lost.
      await knex.migrate.down({ directory: MIGRATIONS_DIR, name: SUPERSEDED });
      expect(
        await knex.schema.hasColumn(TABLES.requests, 'closed_reason'),
      ).toBe(false);
      const { closedReason, ...withoutReason } = superseded[0];
      expect(await store.getRequest(older.id)).toEqual(withoutReason);
      const afterDown = await store.verifyChain();
      expect(afterDown).toMatchObject({ eventsChecked: 3 });
      expect(afterDown.breaks).toEqual([
        expect.objectContaining({
          kind: 'state-altered',
          table: TABLES.requests,
          rowId: older.id,
          message: expect.stringContaining(`says closed_reason is null`),
        }),
      ]);

      // Up again: the column is back, empty.
      await knex.migrate.up({ directory: MIGRATIONS_DIR, name: SUPERSEDED });
      expect(
        (await knex(TABLES.requests).where({ id: older.id }).first())
          .closed_reason,
      ).toBeNull();
      expect(await store.getRequest(older.id)).toEqual(withoutReason);
    });

    it('20261202000000_attested_evidence adds result to checklist completions, and its down and up keep the data', async () => {
      await knex.migrate.latest({ directory: MIGRATIONS_DIR });
      const store = await storeOn(knex);
      const { value: attested } = await store.completeChecklistItem(
        {
          entityRef: FLOW,
          environmentId: 'test',
          kind: 'validation',
          itemId: 'tests-passing',
          version: '1.0.0',
          evidenceLink: 'https://ci.example.com/runs/7/report',
          result: 'All tests passing — 1,284 passed',
        },
        { ...actor, actor: 'service:pipeline' },
      );
      expect(attested.result).toBe('All tests passing — 1,284 passed');
      expect((await store.getFlowFacts(FLOW)).checklistCompletions).toEqual([
        attested,
      ]);
      expect(await store.verifyChain()).toMatchObject({ intact: true });

      // Down: the column goes, the completion and its event stay; the state
      // check names only the result the row lost.
      await knex.migrate.down({ directory: MIGRATIONS_DIR, name: ATTESTED });
      expect(
        await knex.schema.hasColumn(TABLES.checklistCompletions, 'result'),
      ).toBe(false);
      const { result, ...withoutResult } = attested;
      expect(
        (await knex(TABLES.checklistCompletions).where({ id: attested.id }))
          .length,
      ).toBe(1);
      const afterDown = await store.verifyChain();
      expect(afterDown.breaks).toEqual([
        expect.objectContaining({
          kind: 'state-altered',
          table: TABLES.checklistCompletions,
          rowId: attested.id,
          message: expect.stringContaining('says result is null'),
        }),
      ]);

      // Up again: the column is back, empty.
      await knex.migrate.up({ directory: MIGRATIONS_DIR, name: ATTESTED });
      const row = await knex(TABLES.checklistCompletions)
        .where({ id: attested.id })
        .first();
      expect(row.result).toBeNull();
      expect(row.evidence_link).toBe(withoutResult.evidenceLink);
      expect(result).toBeDefined();
    });

    it('20261205000000_flow_state_reads adds the copy of the flow states (unlogged on PostgreSQL), and its down drops it without touching the record', async () => {
      await knex.migrate.latest({ directory: MIGRATIONS_DIR });
      const store = await storeOn(knex);
      await store.recordDeployment(
        {
          entityRef: FLOW,
          environmentId: 'dev',
          version: '1.0.0',
          status: 'succeeded',
          evaluateGate: () => [],
        },
        actor,
      );
      const query = {
        entityRef: FLOW,
        environmentIds: ['dev', 'test'],
        rollbackLimit: 3,
      };
      const state = await store.getFlowStateFacts(query);
      expect(await knex(TABLES.flowStateReads).pluck('entity_ref')).toEqual([
        FLOW,
      ]);
      const postgres = knex.client.dialect === 'postgresql';
      const persistence = postgres
        ? (
            await knex.raw(
              'select relpersistence from pg_class where relname = ?',
              [TABLES.flowStateReads],
            )
          ).rows
        : 'no such choice';
      expect(persistence).toEqual(
        postgres ? [{ relpersistence: 'u' }] : 'no such choice',
      );

      await migrateDownOne(knex);
      expect(await knex.schema.hasTable(TABLES.flowStateReads)).toBe(false);
      expect(await store.getFlowFacts(FLOW)).toMatchObject({
        deployments: [expect.objectContaining({ version: '1.0.0' })],
      });
      await migrateUpOne(knex);
      expect(await store.getFlowStateFacts(query)).toEqual(state);
      expect(await store.verifyChain()).toMatchObject({ intact: true });
    });

    it('keeps data across a repeated migrate.latest, and starts empty after down and up', async () => {
      await knex.migrate.latest({ directory: MIGRATIONS_DIR });
      const store = await storeOn(knex);
      const { value: deployment } = await store.recordDeployment(
        {
          entityRef: FLOW,
          environmentId: 'dev',
          version: '1.0.0',
          status: 'succeeded',
          idempotencyKey: 'run-1',
          evaluateGate: () => [],
        },
        actor,
      );
      await store.completeChecklistItem(
        {
          entityRef: FLOW,
          environmentId: 'dev',
          kind: 'validation',
          itemId: 'code-reviewed',
        },
        actor,
      );

      // A restart runs migrate.latest again: nothing to do, nothing lost.
      await DatabasePromotionStore.create({
        keyring: testKeyring(),
        database: { getClient: async () => knex },
      });
      expect(await store.getDeployment(deployment.id)).toEqual(deployment);
      expect(
        (await store.getFlowFacts(FLOW)).checklistCompletions,
      ).toHaveLength(1);
      expect(await store.verifyChain()).toMatchObject({
        intact: true,
        eventsChecked: 2,
      });

      // Down to zero and up again: a fresh, working schema.
      await knex.migrate.rollback({ directory: MIGRATIONS_DIR }, true);
      expect(await existingTables(knex)).toEqual([]);
      await knex.migrate.latest({ directory: MIGRATIONS_DIR });
      expect(await store.getDeployment(deployment.id)).toBeUndefined();
      expect(await store.verifyChain()).toMatchObject({
        intact: true,
        eventsChecked: 0,
      });
      const again = await store.recordDeployment(
        {
          entityRef: FLOW,
          environmentId: 'dev',
          version: '1.0.0',
          status: 'succeeded',
          idempotencyKey: 'run-1',
          evaluateGate: () => [],
        },
        actor,
      );
      expect(again.replayed).toBe(false);
      expect(again.events[0]).toMatchObject({
        seq: 1,
        previousHash: GENESIS_HASH,
      });
    });
  },
);
