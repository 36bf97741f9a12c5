import { TestDatabaseId } from '@backstage/backend-test-utils';
import { ConflictError, InputError, NotFoundError } from '@backstage/errors';
import {
  AuditEvent,
  FlowFacts,
  GateCondition,
} from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  chainHeadText,
  computeEventHash,
  dossierHash,
  eventLinkText,
  GENESIS_HASH,
} from '../audit/hashChain';
import { waitUntilBlockedOnLocks } from './__testUtils__/lockWaits';
import {
  ALICE,
  as,
  at,
  BOB,
  CAROL,
  dossier,
  FLOW,
  PIPELINE,
  setUpTestStore,
  T0,
} from './__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from './__testUtils__/testDatabases';
import { testKeyring } from '../audit/__testUtils__/testKeyring';
import { lockFlowChain } from './operations/audit/chainHead';
import { DatabasePromotionStore } from './DatabasePromotionStore';
import { DecideInput, VerifyChainOptions } from './PromotionStore';
import { TABLES } from './tables';

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

const databases = createTestDatabases();

const OTHER_FLOW = 'component:default/billing';

const unmet: GateCondition[] = [
  {
    code: 'approval-required',
    message: 'Production needs an approval',
    environmentId: 'production',
  },
];

function settle<T>(results: PromiseSettledResult<T>[]) {
  const fulfilled = results.filter(r => r.status === 'fulfilled');
  const rejected = results.filter(
    (r): r is PromiseRejectedResult => r.status === 'rejected',
  );
  return { fulfilled, rejected };
}

describe.each(databases.eachSupportedId())(
  'DatabasePromotionStore on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let store: DatabasePromotionStore;
    setUpTestStore(databases, databaseId, 'each', made => {
      ({ knex, store } = made);
    });

    async function allEvents(): Promise<AuditEvent[]> {
      return (await store.listEvents({ order: 'asc', limit: 500 })).items;
    }

    async function createRequest(
      version = '1.0.0',
      environmentId = 'production',
      minutes = 0,
    ) {
      const { value } = await store.createRequest(
        {
          entityRef: FLOW,
          environmentId,
          version,
          dossier,
          expiresAt: at(minutes + 60),
        },
        as(ALICE, minutes),
      );
      return value;
    }

    function approve(
      requestId: string,
      overrides: Partial<DecideInput> = {},
    ): DecideInput {
      return {
        requestId,
        decision: 'approve',
        comment: 'Looks good',
        minApprovers: 1,
        grantsStandingApproval: false,
        ...overrides,
      };
    }

    describe('create', () => {
      it('runs the migrations unless told to skip them', async () => {
        expect(await knex.schema.hasTable(TABLES.auditEvents)).toBe(true);
        const head = await knex(TABLES.auditChainHead).select();
        expect(head).toEqual([
          expect.objectContaining({ id: 1, hash: GENESIS_HASH }),
        ]);
        expect(Number(head[0].seq)).toBe(0);

        const fresh = await databases.init(databaseId);
        try {
          await DatabasePromotionStore.create({
            keyring: testKeyring(),
            database: {
              getClient: async () => fresh,
              migrations: { skip: true },
            },
          });
          await DatabasePromotionStore.create({
            keyring: testKeyring(),
            database: { getClient: async () => fresh },
            skipMigrations: true,
          });
          expect(await fresh.schema.hasTable(TABLES.auditEvents)).toBe(false);
        } finally {
          await fresh.destroy();
        }
      });
    });

    describe('deployments', () => {
      it('records a deployment with its audit event', async () => {
        const result = await store.recordDeployment(
          {
            entityRef: FLOW,
            environmentId: 'dev',
            version: '1.0.0',
            status: 'succeeded',
            link: 'https://ci.example.com/runs/1',
            idempotencyKey: 'run-1',
            evaluateGate: () => [],
          },
          as(PIPELINE),
        );

        expect(result.replayed).toBe(false);
        expect(result.value).toEqual({
          id: expect.any(String),
          entityRef: FLOW,
          environmentId: 'dev',
          version: '1.0.0',
          status: 'succeeded',
          link: 'https://ci.example.com/runs/1',
          idempotencyKey: 'run-1',
          reportedBy: PIPELINE,
          reportedAt: T0.toISOString(),
          violation: false,
          unmetConditions: [],
        });
        expect(result.events).toEqual([
          expect.objectContaining({
            seq: 1,
            type: 'deployment.recorded',
            entityRef: FLOW,
            environmentId: 'dev',
            version: '1.0.0',
            actor: PIPELINE,
            occurredAt: T0.toISOString(),
            previousHash: GENESIS_HASH,
            payload: expect.objectContaining({
              deploymentId: result.value.id,
              status: 'succeeded',
              violation: false,
            }),
          }),
        ]);
        expect(await store.getDeployment(result.value.id)).toEqual(
          result.value,
        );
        expect(await allEvents()).toEqual(result.events);
        expect((await store.getFlowFacts(FLOW)).deployments).toEqual([
          result.value,
        ]);
      });

      it('flags a deployment reported while the gate was closed', async () => {
        const { value, events } = await store.recordDeployment(
          {
            entityRef: FLOW,
            environmentId: 'production',
            version: '1.0.0',
            status: 'succeeded',
            evaluateGate: () => unmet,
          },
          as(PIPELINE),
        );
        expect(value.violation).toBe(true);
        expect(value.unmetConditions).toEqual(unmet);
        expect(events[0].summary).toMatch(/gate was closed/);
        expect(await store.getDeployment(value.id)).toEqual(value);
      });

      it('returns undefined for an unknown deployment', async () => {
        expect(await store.getDeployment(randomUUID())).toBeUndefined();
      });

      it('replays a deployment with the same idempotency key and content', async () => {
        const input = {
          entityRef: FLOW,
          environmentId: 'test',
          version: '1.0.0',
          status: 'succeeded' as const,
          idempotencyKey: 'run-7',
          evaluateGate: () => [],
        };
        const first = await store.recordDeployment(input, as(PIPELINE));
        const again = await store.recordDeployment(
          { ...input, evaluateGate: () => unmet },
          as(PIPELINE, 5),
        );

        expect(again).toEqual({
          value: first.value,
          events: [],
          replayed: true,
          superseded: [],
        });
        expect(await allEvents()).toHaveLength(1);

        await expect(
          store.recordDeployment(
            { ...input, status: 'failed' },
            as(PIPELINE, 6),
          ),
        ).rejects.toThrow(ConflictError);
        await expect(
          store.recordDeployment(
            { ...input, version: '1.0.1' },
            as(PIPELINE, 6),
          ),
        ).rejects.toThrow(ConflictError);
        await expect(
          store.recordDeployment(
            { ...input, link: 'https://elsewhere' },
            as(PIPELINE, 6),
          ),
        ).rejects.toThrow(ConflictError);

        // The key is per flow; no key means no deduplication.
        const other = await store.recordDeployment(
          { ...input, entityRef: OTHER_FLOW },
          as(PIPELINE),
        );
        expect(other.replayed).toBe(false);
        const { idempotencyKey: _, ...withoutKey } = input;
        await store.recordDeployment(withoutKey, as(PIPELINE));
        await store.recordDeployment(withoutKey, as(PIPELINE));
        expect((await store.getFlowFacts(FLOW)).deployments).toHaveLength(3);
        expect(await allEvents()).toHaveLength(4);
      });

      it('records concurrent reports with the same key once', async () => {
        const input = {
          entityRef: FLOW,
          environmentId: 'test',
          version: '1.0.0',
          status: 'succeeded' as const,
          idempotencyKey: 'run-8',
          evaluateGate: () => [],
        };
        const results = await Promise.all([
          store.recordDeployment(input, as(PIPELINE)),
          store.recordDeployment(input, as(PIPELINE)),
          store.recordDeployment(input, as(PIPELINE)),
        ]);
        expect(results.filter(r => !r.replayed)).toHaveLength(1);
        expect(new Set(results.map(r => r.value.id)).size).toBe(1);
        expect((await store.getFlowFacts(FLOW)).deployments).toHaveLength(1);
        expect(await allEvents()).toHaveLength(1);
      });

      it('lists deployments in a time range, oldest first', async () => {
        const record = (environmentId: string, minutes: number) =>
          store.recordDeployment(
            {
              entityRef: minutes % 2 ? FLOW : OTHER_FLOW,
              environmentId,
              version: `1.0.${minutes}`,
              status: 'succeeded',
              evaluateGate: () => [],
            },
            as(PIPELINE, minutes),
          );
        await record('production', 3);
        await record('dev', 1);
        await record('production', 2);
        await record('test', 4);
        await record('production', 5);

        const versions = (list: { version: string }[]) =>
          list.map(d => d.version);
        expect(versions(await store.listDeployments({}))).toEqual([
          '1.0.1',
          '1.0.2',
          '1.0.3',
          '1.0.4',
          '1.0.5',
        ]);
        expect(
          versions(await store.listDeployments({ from: at(2), to: at(4) })),
        ).toEqual(['1.0.2', '1.0.3', '1.0.4']);
        expect(
          versions(
            await store.listDeployments({
              from: at(3),
              environmentIds: ['production'],
            }),
          ),
        ).toEqual(['1.0.3', '1.0.5']);
      });
    });

    describe('checklists and sign-offs', () => {
      it('completes version- and flow-scoped items', async () => {
        const versionItem = await store.completeChecklistItem(
          {
            entityRef: FLOW,
            environmentId: 'test',
            kind: 'validation',
            itemId: 'smoke-tests',
            version: '1.0.0',
            evidenceLink: 'https://ci.example.com/smoke',
            note: 'all green',
          },
          as(ALICE),
        );
        const flowItem = await store.completeChecklistItem(
          {
            entityRef: FLOW,
            environmentId: 'test',
            kind: 'validation',
            itemId: 'smoke-tests',
          },
          as(BOB, 1),
        );

        expect(versionItem.value).toEqual({
          id: expect.any(String),
          entityRef: FLOW,
          environmentId: 'test',
          kind: 'validation',
          itemId: 'smoke-tests',
          version: '1.0.0',
          completedBy: ALICE,
          completedAt: T0.toISOString(),
          evidenceLink: 'https://ci.example.com/smoke',
          note: 'all green',
        });
        expect(flowItem.value.version).toBeUndefined();
        expect(flowItem.value).not.toHaveProperty('evidenceLink', null);
        expect(flowItem.events[0]).toMatchObject({
          type: 'checklist.completed',
          version: undefined,
          actor: BOB,
          payload: { scope: 'flow', itemId: 'smoke-tests' },
        });
        expect(versionItem.events[0].payload).toMatchObject({
          scope: 'version',
          evidenceLink: 'https://ci.example.com/smoke',
        });
        expect((await store.getFlowFacts(FLOW)).checklistCompletions).toEqual([
          versionItem.value,
          flowItem.value,
        ]);
      });

      it('refuses to complete an item twice', async () => {
        const input = {
          entityRef: FLOW,
          environmentId: 'dev',
          kind: 'post-deployment' as const,
          itemId: 'logs-monitored',
          version: '1.0.0',
        };
        await store.completeChecklistItem(input, as(ALICE));
        await expect(
          store.completeChecklistItem(input, as(BOB)),
        ).rejects.toThrow(ConflictError);
        // Another version, kind or environment is another item.
        await store.completeChecklistItem(
          { ...input, version: '1.0.1' },
          as(BOB),
        );
        await store.completeChecklistItem(
          { ...input, kind: 'validation' },
          as(BOB),
        );
        await store.completeChecklistItem(
          { ...input, environmentId: 'test' },
          as(BOB),
        );
        expect(
          (await store.getFlowFacts(FLOW)).checklistCompletions,
        ).toHaveLength(4);
        expect(await allEvents()).toHaveLength(4);
        await expect(
          store.completeChecklistItem({ ...input, version: '' }, as(BOB)),
        ).rejects.toThrow(InputError);
      });

      it('lets exactly one of two concurrent completions win', async () => {
        const input = {
          entityRef: FLOW,
          environmentId: 'test',
          kind: 'validation' as const,
          itemId: 'e2e-tests',
        };
        const { fulfilled, rejected } = settle(
          await Promise.allSettled([
            store.completeChecklistItem(input, as(ALICE)),
            store.completeChecklistItem(input, as(BOB)),
          ]),
        );
        expect(fulfilled).toHaveLength(1);
        expect(rejected).toHaveLength(1);
        expect(rejected[0].reason).toBeInstanceOf(ConflictError);
        expect(
          (await store.getFlowFacts(FLOW)).checklistCompletions,
        ).toHaveLength(1);
        expect(await allEvents()).toHaveLength(1);
      });

      it('undoes an item, keeping it as history', async () => {
        const input = {
          entityRef: FLOW,
          environmentId: 'test',
          kind: 'validation' as const,
          itemId: 'smoke-tests',
        };
        const completed = await store.completeChecklistItem(input, as(ALICE));
        const undone = await store.undoChecklistItem(
          { ...input, reason: 'ran against the wrong build' },
          as(BOB, 1),
        );

        expect(undone.value).toEqual(completed.value);
        expect(undone.events[0]).toMatchObject({
          seq: 2,
          type: 'checklist.undone',
          actor: BOB,
          summary: expect.stringContaining('ran against the wrong build'),
          payload: { completionId: completed.value.id },
        });
        expect((await store.getFlowFacts(FLOW)).checklistCompletions).toEqual(
          [],
        );
        await expect(
          store.undoChecklistItem(input, as(BOB, 2)),
        ).rejects.toThrow(NotFoundError);

        // It can be completed again, and undone again.
        const again = await store.completeChecklistItem(input, as(ALICE, 3));
        expect((await store.getFlowFacts(FLOW)).checklistCompletions).toEqual([
          again.value,
        ]);
        await store.undoChecklistItem(input, as(ALICE, 4));

        const history = await knex(TABLES.checklistCompletions).orderBy(
          'completed_at',
        );
        expect(history).toHaveLength(2);
        expect(history[0]).toMatchObject({
          id: completed.value.id,
          undone_by: BOB,
          undo_reason: 'ran against the wrong build',
          undone_key: completed.value.id,
        });
        expect(history[0].undone_at).not.toBeNull();
        expect(history[1]).toMatchObject({
          id: again.value.id,
          undone_by: ALICE,
        });
      });

      it('records sign-offs', async () => {
        const { value, events } = await store.createSignOff(
          {
            entityRef: FLOW,
            environmentId: 'test',
            version: '1.0.0',
            comment: 'Customer validated the test results',
          },
          as(CAROL),
        );
        expect(value).toEqual({
          id: expect.any(String),
          entityRef: FLOW,
          environmentId: 'test',
          version: '1.0.0',
          signedOffBy: CAROL,
          signedOffAt: T0.toISOString(),
          comment: 'Customer validated the test results',
        });
        expect(events[0]).toMatchObject({
          type: 'sign-off.given',
          summary: 'Customer validated the test results',
          payload: { signOffId: value.id },
        });
        expect((await store.getFlowFacts(FLOW)).signOffs).toEqual([value]);
        expect((await store.getFlowFacts(OTHER_FLOW)).signOffs).toEqual([]);
      });
    });

    describe('promotion requests', () => {
      it('creates, reads and lists requests', async () => {
        const { value, events } = await store.createRequest(
          {
            entityRef: FLOW,
            environmentId: 'production',
            version: '1.0.0',
            dossier,
            expiresAt: at(60),
          },
          as(ALICE),
        );
        expect(value).toEqual({
          id: expect.any(String),
          entityRef: FLOW,
          environmentId: 'production',
          version: '1.0.0',
          status: 'pending',
          dossier,
          dossierHash: dossierHash(dossier),
          revision: 1,
          requestedBy: ALICE,
          createdAt: T0.toISOString(),
          updatedAt: T0.toISOString(),
          expiresAt: at(60).toISOString(),
          decisions: [],
        });
        expect(events[0]).toMatchObject({
          type: 'request.created',
          payload: { requestId: value.id, dossier, revision: 1 },
        });
        expect(await store.getRequest(value.id)).toEqual(value);
        expect(await store.getRequest(randomUUID())).toBeUndefined();

        const test = await createRequest('1.0.0', 'test', 1);
        const other = (
          await store.createRequest(
            {
              entityRef: OTHER_FLOW,
              environmentId: 'production',
              version: '2.0.0',
              dossier,
              expiresAt: at(60),
            },
            as(BOB, 2),
          )
        ).value;
        await store.withdrawRequest(other.id, as(BOB, 3));

        const ids = (list: { id: string }[]) => list.map(r => r.id);
        expect(ids(await store.listRequests({}))).toEqual([
          value.id,
          test.id,
          other.id,
        ]);
        expect(ids(await store.listRequests({ status: ['pending'] }))).toEqual([
          value.id,
          test.id,
        ]);
        expect(
          ids(await store.listRequests({ status: ['withdrawn', 'approved'] })),
        ).toEqual([other.id]);
        expect(ids(await store.listRequests({ entityRef: FLOW }))).toEqual([
          value.id,
          test.id,
        ]);
        expect(
          ids(
            await store.listRequests({
              entityRef: FLOW,
              environmentId: 'test',
            }),
          ),
        ).toEqual([test.id]);
        expect(ids((await store.getFlowFacts(FLOW)).requests)).toEqual([
          value.id,
          test.id,
        ]);
      });

      it('allows one pending request per version and environment', async () => {
        const first = await createRequest('1.0.0');
        await expect(createRequest('1.0.0')).rejects.toThrow(ConflictError);
        await createRequest('1.0.1');
        await createRequest('1.0.0', 'test');

        await store.withdrawRequest(first.id, as(ALICE, 1));
        const second = await createRequest('1.0.0', 'production', 2);
        expect(second.status).toBe('pending');

        const { fulfilled, rejected } = settle(
          await Promise.allSettled([
            createRequest('3.0.0'),
            createRequest('3.0.0'),
          ]),
        );
        expect(fulfilled).toHaveLength(1);
        expect(rejected[0].reason).toBeInstanceOf(ConflictError);
      });

      it('edits the dossier, bumping the revision and voiding decisions', async () => {
        const request = await createRequest();
        await store.decide(
          approve(request.id, { minApprovers: 2 }),
          as(BOB, 1),
        );
        const edited = { ...dossier, releaseNotes: 'Faster and safer uploads' };
        const { value, events } = await store.editRequest(
          { requestId: request.id, expectedRevision: 1, dossier: edited },
          as(ALICE, 2),
        );

        expect(value).toMatchObject({
          status: 'pending',
          revision: 2,
          dossier: edited,
          dossierHash: dossierHash(edited),
          updatedAt: at(2).toISOString(),
        });
        expect(value.decisions).toEqual([
          expect.objectContaining({
            decidedBy: BOB,
            dossierHash: dossierHash(dossier),
            voidedAt: at(2).toISOString(),
          }),
        ]);
        expect(events[0]).toMatchObject({
          type: 'request.edited',
          payload: {
            revision: 2,
            dossierHash: dossierHash(edited),
            previousDossierHash: dossierHash(dossier),
            voidedDecisions: 1,
          },
        });

        await expect(
          store.editRequest(
            { requestId: request.id, expectedRevision: 1, dossier },
            as(ALICE, 3),
          ),
        ).rejects.toThrow(ConflictError);
        await expect(
          store.editRequest({ requestId: randomUUID(), dossier }, as(ALICE, 3)),
        ).rejects.toThrow(NotFoundError);
        await store.withdrawRequest(request.id, as(ALICE, 4));
        await expect(
          store.editRequest({ requestId: request.id, dossier }, as(ALICE, 5)),
        ).rejects.toThrow(ConflictError);
      });

      it('withdraws a pending request only', async () => {
        const request = await createRequest();
        const { value, events } = await store.withdrawRequest(request.id, {
          ...as(ALICE, 1),
          reason: 'superseded by 1.0.1',
        });
        expect(value).toMatchObject({
          status: 'withdrawn',
          decidedAt: at(1).toISOString(),
        });
        expect(events[0]).toMatchObject({
          type: 'request.withdrawn',
          summary: expect.stringContaining('superseded by 1.0.1'),
        });
        await expect(
          store.withdrawRequest(request.id, as(ALICE, 2)),
        ).rejects.toThrow(ConflictError);
        await expect(
          store.withdrawRequest(randomUUID(), as(ALICE, 2)),
        ).rejects.toThrow(NotFoundError);
      });
    });

    describe('decisions', () => {
      it('approves when the quorum of distinct approvers is reached', async () => {
        const request = await createRequest();

        const first = await store.decide(
          approve(request.id, { minApprovers: 2 }),
          as(BOB, 1),
        );
        expect(first.value.request.status).toBe('pending');
        expect(first.value.decision).toEqual({
          id: expect.any(String),
          requestId: request.id,
          decision: 'approve',
          decidedBy: BOB,
          decidedAt: at(1).toISOString(),
          comment: 'Looks good',
          dossierHash: dossierHash(dossier),
        });
        expect(first.events.map(e => e.type)).toEqual(['decision.recorded']);

        await expect(
          store.decide(approve(request.id, { minApprovers: 2 }), as(BOB, 2)),
        ).rejects.toThrow(ConflictError);
        await expect(
          store.decide(
            approve(request.id, { decision: 'reject', minApprovers: 2 }),
            as(BOB, 2),
          ),
        ).rejects.toThrow(ConflictError);

        const second = await store.decide(
          approve(request.id, {
            minApprovers: 2,
            grantsStandingApproval: true,
            dossierHash: request.dossierHash,
          }),
          as(CAROL, 3),
        );
        expect(second.value.request).toMatchObject({
          status: 'approved',
          decidedAt: at(3).toISOString(),
        });
        expect(second.value.request.decisions.map(d => d.decidedBy)).toEqual([
          BOB,
          CAROL,
        ]);
        expect(second.events.map(e => e.type)).toEqual([
          'decision.recorded',
          'request.approved',
          'standing-approval.granted',
        ]);
        expect(second.events[1].payload).toMatchObject({
          approvers: [BOB, CAROL],
        });

        const facts = await store.getFlowFacts(FLOW);
        expect(facts.standingApprovals).toEqual([
          {
            id: expect.any(String),
            entityRef: FLOW,
            environmentId: 'production',
            requestId: request.id,
            grantedAt: at(3).toISOString(),
            grantedBy: [BOB, CAROL],
          },
        ]);
        expect(facts.requests[0]).toEqual(second.value.request);

        await expect(
          store.decide(approve(request.id), as(ALICE, 4)),
        ).rejects.toThrow(ConflictError);
      });

      it('does not grant a standing approval unless asked', async () => {
        const request = await createRequest();
        const { value, events } = await store.decide(
          approve(request.id),
          as(BOB, 1),
        );
        expect(value.request.status).toBe('approved');
        expect(events.map(e => e.type)).toEqual([
          'decision.recorded',
          'request.approved',
        ]);
        expect((await store.getFlowFacts(FLOW)).standingApprovals).toEqual([]);
      });

      it('ends the request on a single reject', async () => {
        const request = await createRequest();
        await store.decide(approve(request.id, { minApprovers: 2 }), as(BOB));
        const { value, events } = await store.decide(
          approve(request.id, {
            decision: 'reject',
            comment: 'Release notes are missing the migration',
            minApprovers: 2,
          }),
          as(CAROL, 1),
        );
        expect(value.request).toMatchObject({
          status: 'rejected',
          decidedAt: at(1).toISOString(),
        });
        expect(value.decision).toMatchObject({
          decision: 'reject',
          comment: 'Release notes are missing the migration',
        });
        expect(events.map(e => e.type)).toEqual([
          'decision.recorded',
          'request.rejected',
        ]);
        expect(events[1].summary).toContain(
          'Release notes are missing the migration',
        );
        await expect(
          store.decide(approve(request.id), as(ALICE, 2)),
        ).rejects.toThrow(ConflictError);
      });

      it('binds approvals to the dossier they were given on', async () => {
        const request = await createRequest();
        await store.decide(approve(request.id, { minApprovers: 2 }), as(BOB));
        const edited = { ...dossier, testResults: 'Re-run: green' };
        await store.editRequest(
          { requestId: request.id, dossier: edited },
          as(ALICE, 1),
        );

        // The approver read the old dossier.
        await expect(
          store.decide(
            approve(request.id, {
              minApprovers: 2,
              dossierHash: dossierHash(dossier),
            }),
            as(CAROL, 2),
          ),
        ).rejects.toThrow(ConflictError);

        // Bob's approval was voided: Carol's alone is not a quorum of two.
        const carol = await store.decide(
          approve(request.id, {
            minApprovers: 2,
            dossierHash: dossierHash(edited),
          }),
          as(CAROL, 3),
        );
        expect(carol.value.request.status).toBe('pending');
        expect(carol.value.decision.dossierHash).toBe(dossierHash(edited));

        // On the new revision Bob may decide again, and that makes two.
        const bob = await store.decide(
          approve(request.id, { minApprovers: 2 }),
          as(BOB, 4),
        );
        expect(bob.value.request.status).toBe('approved');
        expect(bob.events[1].payload).toMatchObject({
          approvers: [CAROL, BOB],
        });
      });

      it('refuses decisions on unknown requests', async () => {
        await expect(
          store.decide(approve(randomUUID()), as(BOB)),
        ).rejects.toThrow(NotFoundError);
      });

      it('expires pending requests past their expiry', async () => {
        const old = await createRequest('1.0.0', 'production', 0);
        const recent = await createRequest('1.0.1', 'production', 30);
        const approved = await createRequest('1.0.2', 'production', 0);
        await store.decide(approve(approved.id), as(BOB, 1));

        const { value, events } = await store.expireRequests(
          as('service:promotion', 61),
        );
        expect(value.map(r => r.id)).toEqual([old.id]);
        expect(value[0]).toMatchObject({
          status: 'expired',
          decidedAt: at(61).toISOString(),
        });
        expect(events).toEqual([
          expect.objectContaining({
            type: 'request.expired',
            actor: 'service:promotion',
            payload: { requestId: old.id, expiresAt: old.expiresAt },
          }),
        ]);
        expect((await store.getRequest(recent.id))?.status).toBe('pending');
        expect((await store.getRequest(approved.id))?.status).toBe('approved');

        expect(await store.expireRequests(as('service:promotion', 62))).toEqual(
          { value: [], events: [] },
        );
        const later = await store.expireRequests(as('service:promotion', 91));
        expect(later.value.map(r => r.id)).toEqual([recent.id]);
      });
    });

    describe('reminders', () => {
      const REMINDER = { actor: 'service:promotion' };
      /** Claims as the scheduled task would at `minutes`, with the given interval. */
      const claimAt = (minutes: number, intervalMinutes = 20, limit = 10) =>
        store.claimReminders(
          {
            olderThan: at(minutes - intervalMinutes),
            now: at(minutes),
            limit,
          },
          REMINDER,
        );
      const idsOf = (recorded: { value: Array<{ id: string }> }) =>
        recorded.value.map(r => r.id);

      it('claims each pending request once per interval until it ends', async () => {
        // Both expire 60 minutes after they were made.
        const first = await createRequest('1.0.0', 'production', 0);
        const second = await createRequest('1.0.1', 'production', 10);
        const decided = await createRequest('1.0.2', 'production', 0);
        await store.decide(approve(decided.id), as(BOB, 1));

        expect(await claimAt(19)).toEqual({ value: [], events: [] });

        const reminded = await claimAt(20);
        expect(idsOf(reminded)).toEqual([first.id]);
        expect(reminded.value[0]).toEqual(first);
        expect(reminded.events).toEqual([
          expect.objectContaining({
            type: 'request.reminded',
            actor: 'service:promotion',
            entityRef: FLOW,
            environmentId: 'production',
            version: '1.0.0',
            occurredAt: at(20).toISOString(),
            payload: { requestId: first.id, pendingSince: first.createdAt },
          }),
        ]);

        expect(idsOf(await claimAt(30))).toEqual([second.id]);
        expect(idsOf(await claimAt(39))).toEqual([]);
        expect(idsOf(await claimAt(40))).toEqual([first.id]);
        // The first expires at 60: no reminder for an expired request.
        expect(idsOf(await claimAt(60))).toEqual([second.id]);

        // A reminder is no change to the request: it can still be decided.
        await store.decide(approve(second.id), as(BOB, 61));
        expect(idsOf(await claimAt(69, 1))).toEqual([]);

        const reminders = (await allEvents()).filter(
          e => e.type === 'request.reminded',
        );
        expect(reminders.map(e => e.payload.requestId)).toEqual([
          first.id,
          second.id,
          first.id,
          second.id,
        ]);
        expect(await store.verifyChain()).toMatchObject({ intact: true });
      });

      it('claims at most the limit, the soonest to expire first', async () => {
        const requests = [
          await createRequest('1.0.2', 'production', 2),
          await createRequest('1.0.0', 'production', 0),
          await createRequest('1.0.1', 'production', 1),
        ];
        const [r2, r0, r1] = requests;
        expect(idsOf(await claimAt(30, 20, 2))).toEqual([r0.id, r1.id]);
        expect(idsOf(await claimAt(30, 20, 2))).toEqual([r2.id]);
        expect(idsOf(await claimAt(30, 20, 2))).toEqual([]);
      });

      it('refuses an interval that is not positive and a bad limit', async () => {
        await expect(
          store.claimReminders(
            { olderThan: at(1), now: at(1), limit: 10 },
            REMINDER,
          ),
        ).rejects.toThrow(InputError);
        await expect(claimAt(30, 20, 0)).rejects.toThrow(InputError);
      });
    });

    describe('races', () => {
      it('approve vs withdraw: one wins, the other gets a ConflictError', async () => {
        const request = await createRequest();
        const { fulfilled, rejected } = settle(
          await Promise.allSettled([
            store.decide(approve(request.id), as(BOB, 1)),
            store.withdrawRequest(request.id, as(ALICE, 1)),
          ]),
        );
        expect(fulfilled).toHaveLength(1);
        expect(rejected).toHaveLength(1);
        expect(rejected[0].reason).toBeInstanceOf(ConflictError);

        const final = await store.getRequest(request.id);
        expect(['approved', 'withdrawn']).toContain(final?.status);
        expect(final?.decisions).toHaveLength(
          final?.status === 'approved' ? 1 : 0,
        );
      });

      it('never records an approval after the request was withdrawn', async () => {
        // An approval short of the quorum may legitimately precede the
        // withdrawal; it must never land after it.
        for (let i = 0; i < 5; i++) {
          const request = await createRequest(`1.0.${i}`);
          const [decided, withdrawn] = await Promise.allSettled([
            store.decide(approve(request.id, { minApprovers: 2 }), as(BOB, 1)),
            store.withdrawRequest(request.id, as(ALICE, 1)),
          ]);
          expect(withdrawn.status).toBe('fulfilled');
          const final = await store.getRequest(request.id);
          expect(final?.status).toBe('withdrawn');
          const withdrawalSeq = (
            withdrawn as PromiseFulfilledResult<{ events: AuditEvent[] }>
          ).value.events[0].seq;
          // Either the approval came first (and counts for nothing now), or
          // it lost the race with a ConflictError.
          const outcome =
            decided.status === 'fulfilled'
              ? {
                  decidedFirst: decided.value.events[0].seq < withdrawalSeq,
                  decisions: final?.decisions.length,
                }
              : {
                  conflict: decided.reason instanceof ConflictError,
                  decisions: final?.decisions.length,
                };
          expect([
            { decidedFirst: true, decisions: 1 },
            { conflict: true, decisions: 0 },
          ]).toContainEqual(outcome);
        }
      });

      it('two approvals by the same person: one counts', async () => {
        const request = await createRequest();
        const { fulfilled, rejected } = settle(
          await Promise.allSettled([
            store.decide(approve(request.id, { minApprovers: 2 }), as(BOB, 1)),
            store.decide(approve(request.id, { minApprovers: 2 }), as(BOB, 1)),
          ]),
        );
        expect(fulfilled).toHaveLength(1);
        expect(rejected[0].reason).toBeInstanceOf(ConflictError);
        const final = await store.getRequest(request.id);
        expect(final?.status).toBe('pending');
        expect(final?.decisions).toHaveLength(1);
      });

      it('two approvers at once: both count towards the quorum', async () => {
        const request = await createRequest();
        const results = await Promise.all([
          store.decide(approve(request.id, { minApprovers: 2 }), as(BOB, 1)),
          store.decide(approve(request.id, { minApprovers: 2 }), as(CAROL, 1)),
        ]);
        const final = await store.getRequest(request.id);
        expect(final?.status).toBe('approved');
        expect(
          results
            .flatMap(r => r.events)
            .filter(e => e.type === 'request.approved'),
        ).toHaveLength(1);
      });

      it('edit vs final decision: one wins, the other gets a ConflictError', async () => {
        const request = await createRequest();
        const { fulfilled, rejected } = settle(
          await Promise.allSettled<unknown>([
            store.editRequest(
              {
                requestId: request.id,
                expectedRevision: 1,
                dossier: { ...dossier, why: 'Also a security fix' },
              },
              as(ALICE, 1),
            ),
            store.decide(
              approve(request.id, { dossierHash: request.dossierHash }),
              as(BOB, 1),
            ),
          ]),
        );
        expect(fulfilled).toHaveLength(1);
        expect(rejected[0].reason).toBeInstanceOf(ConflictError);
        const final = await store.getRequest(request.id);
        expect(
          final?.status === 'approved'
            ? final.revision === 1
            : final?.status === 'pending' && final.revision === 2,
        ).toBe(true);
      });

      it('two concurrent reminder claims remind each request once', async () => {
        const requests = [];
        for (let i = 0; i < 6; i++) {
          requests.push(await createRequest(`2.0.${i}`, 'production', i));
        }
        const claim = () =>
          store.claimReminders(
            { olderThan: at(20), now: at(30), limit: 100 },
            { actor: 'service:promotion' },
          );
        const results = await Promise.all([claim(), claim()]);
        const claimed = results.flatMap(r =>
          r.value.map(request => request.id),
        );
        expect([...claimed].sort()).toEqual(requests.map(r => r.id).sort());
        const reminders = (await allEvents()).filter(
          e => e.type === 'request.reminded',
        );
        expect(reminders.map(e => e.payload.requestId).sort()).toEqual(
          [...claimed].sort(),
        );
        expect(await store.verifyChain()).toMatchObject({ intact: true });
      });

      it('appends concurrent events without gaps or forks', async () => {
        await Promise.all(
          Array.from({ length: 12 }, (_, i) =>
            i % 3 === 0
              ? store.createSignOff(
                  {
                    entityRef: FLOW,
                    environmentId: 'test',
                    version: `1.0.${i}`,
                    comment: 'ok',
                  },
                  as(CAROL),
                )
              : store.recordDeployment(
                  {
                    entityRef: i % 2 ? FLOW : OTHER_FLOW,
                    environmentId: 'dev',
                    version: `1.0.${i}`,
                    status: 'succeeded',
                    evaluateGate: () => [],
                  },
                  as(PIPELINE),
                ),
          ),
        );
        const events = await allEvents();
        expect(events.map(e => e.seq)).toEqual(
          Array.from({ length: 12 }, (_, i) => i + 1),
        );
        expect(await store.verifyChain()).toMatchObject({
          intact: true,
          eventsChecked: 12,
        });
      });
    });

    // SQLite has no row locks: one writer at a time, so these races cannot
    // interleave there. They are declared for PostgreSQL and MySQL only, and
    // their title says so; the concurrency tests above run on all three.
    const describeWithRowLocks = databaseId.startsWith('SQLITE')
      ? () => {}
      : describe;

    const rowLockRaces =
      'races settled by row locks (PostgreSQL and MySQL only)';
    describeWithRowLocks(rowLockRaces, () => {
      /**
       * Makes the race deterministic where the database has row locks: holds
       * the request row locked, starts the operation (which reads the
       * request, then waits for the lock), waits until the database reports
       * it blocked, changes the request as a concurrent writer would, and
       * lets the operation go on.
       */
      async function whileRequestLocked<T>(
        requestId: string,
        operation: () => Promise<T>,
        concurrentChange: (tx: Knex.Transaction) => Promise<unknown>,
      ): Promise<PromiseSettledResult<T>> {
        const tx = await knex.transaction();
        await tx(TABLES.requests).where({ id: requestId }).forUpdate();
        const settled = Promise.allSettled([operation()]);
        await waitUntilBlockedOnLocks(knex, {
          count: 1,
          operation: settled,
          holder: tx,
        });
        await concurrentChange(tx);
        await tx.commit();
        return (await settled)[0];
      }

      it('a decision waiting for a withdrawal gets a ConflictError', async () => {
        const request = await createRequest();
        const result = await whileRequestLocked(
          request.id,
          () =>
            store.decide(approve(request.id, { minApprovers: 2 }), as(BOB, 1)),
          tx =>
            tx(TABLES.requests)
              .where({ id: request.id })
              .update({ status: 'withdrawn', pending_key: request.id }),
        );
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(
          ConflictError,
        );
        expect((await store.getRequest(request.id))?.decisions).toEqual([]);
        expect(await allEvents()).toHaveLength(1);
      });

      it('a decision waiting for an edit gets a ConflictError', async () => {
        const request = await createRequest();
        const result = await whileRequestLocked(
          request.id,
          () => store.decide(approve(request.id), as(BOB, 1)),
          tx =>
            tx(TABLES.requests)
              .where({ id: request.id })
              .update({ revision: 2 }),
        );
        expect(result.status).toBe('rejected');
        expect((result as PromiseRejectedResult).reason).toBeInstanceOf(
          ConflictError,
        );
        expect((await store.getRequest(request.id))?.status).toBe('pending');
      });

      it('an approval waiting for another approval counts it', async () => {
        const request = await createRequest();
        const result = await whileRequestLocked(
          request.id,
          () =>
            store.decide(approve(request.id, { minApprovers: 2 }), as(BOB, 1)),
          tx =>
            tx(TABLES.decisions).insert({
              id: randomUUID(),
              request_id: request.id,
              request_revision: 1,
              dossier_hash: request.dossierHash,
              decision: 'approve',
              decided_by: CAROL,
              decided_at: at(1),
              comment: 'ok',
              voided_at: null,
            }),
        );
        expect(result.status).toBe('fulfilled');
        const { value } = result as PromiseFulfilledResult<
          Awaited<ReturnType<typeof store.decide>>
        >;
        expect(value.value.request.status).toBe('approved');
        expect(
          [...(value.events[1].payload.approvers as string[])].sort(),
        ).toEqual([BOB, CAROL]);
      });

      it('of two reminder claims waiting for the same rows, only the first claims them', async () => {
        const requests = [];
        for (let i = 0; i < 4; i++) {
          requests.push(await createRequest(`3.0.${i}`, 'production', i));
        }
        const claim = () =>
          store.claimReminders(
            { olderThan: at(20), now: at(30), limit: 100 },
            { actor: 'service:promotion' },
          );
        // Both claims read the due requests, then wait for the first row.
        const tx = await knex.transaction();
        await tx(TABLES.requests).where({ id: requests[0].id }).forUpdate();
        const claims = Promise.all([claim(), claim()]);
        await waitUntilBlockedOnLocks(knex, {
          count: 2,
          operation: claims,
          holder: tx,
        });
        await tx.commit();
        const results = await claims;

        expect(results.map(r => r.value.length).sort()).toEqual([0, 4]);
        const winner = results.find(r => r.value.length > 0)!;
        expect(winner.value.map(r => r.id)).toEqual(requests.map(r => r.id));
        expect(
          (await allEvents()).filter(e => e.type === 'request.reminded'),
        ).toHaveLength(4);
      });

      it('a rollback revokes an approval granted while it waited for the chain', async () => {
        await store.recordDeployment(
          {
            entityRef: FLOW,
            environmentId: 'production',
            version: '1.0.0',
            status: 'succeeded',
            evaluateGate: () => [],
          },
          as(PIPELINE, 0),
        );
        // Another writer holds the flow's chain head while it grants an approval.
        const tx = await knex.transaction();
        await lockFlowChain(tx, FLOW);
        const rollback = Promise.allSettled([
          store.recordRollback(
            {
              entityRef: FLOW,
              environmentId: 'production',
              fromVersion: '1.0.0',
              reason: 'broken',
            },
            as(ALICE, 2),
          ),
        ]);
        await waitUntilBlockedOnLocks(knex, {
          count: 1,
          operation: rollback,
          holder: tx,
        });
        const grantedId = randomUUID();
        await tx(TABLES.standingApprovals).insert({
          id: grantedId,
          entity_ref: FLOW,
          environment_id: 'production',
          request_id: null,
          granted_at: at(1),
          granted_by: JSON.stringify([BOB]),
        });
        await tx.commit();

        const [result] = await rollback;
        expect(result.status).toBe('fulfilled');
        const { value } = result as PromiseFulfilledResult<
          Awaited<ReturnType<typeof store.recordRollback>>
        >;
        expect(value.value.revoked.map(a => a.id)).toEqual([grantedId]);
      });

      it('a deployment waiting for a concurrent revocation evaluates the gate after it', async () => {
        const request = await createRequest();
        await store.decide(
          approve(request.id, { grantsStandingApproval: true }),
          as(BOB, 1),
        );
        // A writer holds the flow's chain lock while it revokes the standing approval.
        const tx = await knex.transaction();
        await lockFlowChain(tx, FLOW);
        const seen: FlowFacts[] = [];
        const deployment = store.recordDeployment(
          {
            entityRef: FLOW,
            environmentId: 'production',
            version: '1.0.0',
            status: 'succeeded',
            evaluateGate: facts => {
              seen.push(facts);
              return facts.standingApprovals.some(a => !a.revokedAt)
                ? []
                : [{ code: 'approval-revoked', message: 'Revoked' }];
            },
          },
          as(ALICE, 3),
        );
        await waitUntilBlockedOnLocks(knex, {
          count: 1,
          operation: deployment,
          holder: tx,
        });
        expect(seen).toEqual([]);
        await tx(TABLES.standingApprovals)
          .where({ entity_ref: FLOW })
          .update({
            revoked_at: at(2),
            revoked_by: BOB,
            revoke_reason: 'Rollback',
          });
        await tx.commit();

        const { value } = await deployment;
        expect(seen).toHaveLength(1);
        expect(value.violation).toBe(true);
        expect(value.unmetConditions.map(c => c.code)).toEqual([
          'approval-revoked',
        ]);
      });
    });

    describe('standing approvals and rollbacks', () => {
      async function grantStandingApproval(environmentId = 'production') {
        const request = await createRequest('1.0.0', environmentId);
        const { value } = await store.decide(
          approve(request.id, { grantsStandingApproval: true }),
          as(BOB, 1),
        );
        return value.request;
      }

      it('revokes the active standing approval', async () => {
        const request = await grantStandingApproval();
        await grantStandingApproval('test');

        const { value, events } = await store.revokeStandingApproval(
          {
            entityRef: FLOW,
            environmentId: 'production',
            reason: 'Incident INC-42',
          },
          as(BOB, 2),
        );
        expect(value).toEqual([
          {
            id: expect.any(String),
            entityRef: FLOW,
            environmentId: 'production',
            requestId: request.id,
            grantedAt: at(1).toISOString(),
            grantedBy: [BOB],
            revokedAt: at(2).toISOString(),
            revokedBy: BOB,
            revokeReason: 'Incident INC-42',
          },
        ]);
        expect(events).toEqual([
          expect.objectContaining({
            type: 'standing-approval.revoked',
            environmentId: 'production',
            summary: expect.stringContaining('Incident INC-42'),
            payload: expect.objectContaining({
              standingApprovalId: value[0].id,
            }),
          }),
        ]);
        const approvals = (await store.getFlowFacts(FLOW)).standingApprovals;
        expect(approvals.find(a => a.environmentId === 'production')).toEqual(
          value[0],
        );
        expect(
          approvals.find(a => a.environmentId === 'test')?.revokedAt,
        ).toBeUndefined();

        expect(
          await store.revokeStandingApproval(
            { entityRef: FLOW, environmentId: 'production', reason: 'again' },
            as(BOB, 3),
          ),
        ).toEqual({ value: [], events: [] });
      });

      it('records a rollback, marking deployments and revoking the approval', async () => {
        await grantStandingApproval();
        const record = (environmentId: string, version: string) =>
          store.recordDeployment(
            {
              entityRef: FLOW,
              environmentId,
              version,
              status: 'succeeded',
              evaluateGate: () => [],
            },
            as(PIPELINE, 2),
          );
        const previous = await record('production', '0.9.0');
        const bad = await record('production', '1.0.0');
        const badAgain = await record('production', '1.0.0');
        const inTest = await record('test', '1.0.0');

        const { value, events } = await store.recordRollback(
          {
            entityRef: FLOW,
            environmentId: 'production',
            fromVersion: '1.0.0',
            toVersion: '0.9.0',
            reason: 'Uploads fail for large files',
            incidentLink: 'https://incidents.example.com/42',
          },
          as(ALICE, 3),
        );

        expect(value.rollback).toEqual({
          id: expect.any(String),
          entityRef: FLOW,
          environmentId: 'production',
          fromVersion: '1.0.0',
          toVersion: '0.9.0',
          reason: 'Uploads fail for large files',
          incidentLink: 'https://incidents.example.com/42',
          recordedBy: ALICE,
          recordedAt: at(3).toISOString(),
        });
        expect(value.revoked).toHaveLength(1);
        expect(value.revoked[0]).toMatchObject({
          revokedBy: ALICE,
          revokedAt: at(3).toISOString(),
        });
        expect(events.map(e => e.type)).toEqual([
          'rollback.recorded',
          'standing-approval.revoked',
        ]);
        expect(events[0].payload).toMatchObject({
          rollbackId: value.rollback.id,
          deploymentIds: [bad.value.id, badAgain.value.id].sort(),
        });

        const deployments = new Map(
          (await store.getFlowFacts(FLOW)).deployments.map(d => [d.id, d]),
        );
        for (const d of [bad, badAgain]) {
          expect(deployments.get(d.value.id)).toMatchObject({
            rolledBackAt: at(3).toISOString(),
            rollbackId: value.rollback.id,
          });
        }
        for (const d of [previous, inTest]) {
          expect(deployments.get(d.value.id)?.rolledBackAt).toBeUndefined();
          expect(deployments.get(d.value.id)?.rollbackId).toBeUndefined();
        }

        expect(await store.listRollbacks({ entityRef: FLOW })).toEqual([
          value.rollback,
        ]);
        expect(
          await store.listRollbacks({ entityRef: FLOW, environmentId: 'test' }),
        ).toEqual([]);
        expect(await store.listRollbacks({ from: at(4) })).toEqual([]);
        expect(
          await store.listRollbacks({ from: at(3), to: at(3) }),
        ).toHaveLength(1);

        // A version rolled back no longer stands: rolling it back again is
        // a conflict, and records nothing.
        const eventsBefore = (await allEvents()).length;
        await expect(
          store.recordRollback(
            {
              entityRef: FLOW,
              environmentId: 'production',
              fromVersion: '1.0.0',
              reason: 'again',
            },
            as(ALICE, 4),
          ),
        ).rejects.toThrow(ConflictError);
        expect(await allEvents()).toHaveLength(eventsBefore);
        expect(await store.listRollbacks({ entityRef: FLOW })).toHaveLength(1);

        // Nothing left to revoke the second time.
        const second = await store.recordRollback(
          {
            entityRef: FLOW,
            environmentId: 'production',
            fromVersion: '0.9.0',
            reason: 'again',
          },
          as(ALICE, 4),
        );
        expect(second.value.revoked).toEqual([]);
        expect(second.value.rollback.toVersion).toBeUndefined();
        expect(second.events[0].payload.deploymentIds).toEqual([
          previous.value.id,
        ]);
      });
    });

    describe('the audit trail', () => {
      async function recordEvents() {
        // Seven events over two flows, one minute apart.
        for (let i = 0; i < 7; i++) {
          await store.recordDeployment(
            {
              entityRef: i % 3 === 0 ? OTHER_FLOW : FLOW,
              environmentId: 'dev',
              version: `1.0.${i}`,
              status: 'succeeded',
              evaluateGate: () => [],
            },
            as(PIPELINE, i),
          );
        }
      }

      it('pages through events newest first and oldest first', async () => {
        await recordEvents();

        const seqs = (page: { items: AuditEvent[] }) =>
          page.items.map(e => e.seq);
        const first = await store.listEvents({
          limit: 3,
          includeTotalCount: true,
        });
        expect(seqs(first)).toEqual([7, 6, 5]);
        expect(first.totalCount).toBe(7);
        const second = await store.listEvents({
          limit: 3,
          cursor: first.nextCursor,
        });
        expect(seqs(second)).toEqual([4, 3, 2]);
        const third = await store.listEvents({
          limit: 3,
          cursor: second.nextCursor,
        });
        expect(seqs(third)).toEqual([1]);
        expect(third.nextCursor).toBeUndefined();

        const asc = await store.listEvents({ order: 'asc', limit: 4 });
        expect(seqs(asc)).toEqual([1, 2, 3, 4]);
        const ascRest = await store.listEvents({
          order: 'asc',
          limit: 4,
          cursor: asc.nextCursor,
        });
        expect(seqs(ascRest)).toEqual([5, 6, 7]);
        expect(ascRest.nextCursor).toBeUndefined();
        expect(ascRest.totalCount).toBeUndefined();

        const exact = await store.listEvents({ limit: 7 });
        expect(exact.items).toHaveLength(7);
        expect(exact.nextCursor).toBeUndefined();
        expect((await store.listEvents({})).items).toHaveLength(7);
      });

      it('filters events by flow and time range', async () => {
        await recordEvents();

        const flow = await store.listEvents({
          entityRef: FLOW,
          limit: 2,
          includeTotalCount: true,
        });
        expect(flow.items.map(e => e.seq)).toEqual([6, 5]);
        expect(flow.totalCount).toBe(4);
        const flowRest = await store.listEvents({
          entityRef: FLOW,
          limit: 2,
          cursor: flow.nextCursor,
        });
        expect(flowRest.items.map(e => e.seq)).toEqual([3, 2]);
        expect(flowRest.nextCursor).toBeUndefined();

        const range = await store.listEvents({
          from: at(2),
          to: at(4),
          order: 'asc',
          includeTotalCount: true,
        });
        expect(range.items.map(e => e.occurredAt)).toEqual([
          at(2).toISOString(),
          at(3).toISOString(),
          at(4).toISOString(),
        ]);
        expect(range.totalCount).toBe(3);
        expect(
          (
            await store.listEvents({
              entityRef: OTHER_FLOW,
              from: at(1),
            })
          ).items.map(e => e.seq),
        ).toEqual([7, 4]);
      });

      it('rejects invalid page sizes and cursors', async () => {
        for (const limit of [0, 501, 2.5, -1]) {
          await expect(store.listEvents({ limit })).rejects.toThrow(InputError);
        }
        await expect(store.listEvents({ limit: 500 })).resolves.toEqual({
          items: [],
        });
        await expect(
          store.listEvents({ cursor: 'not-a-cursor' }),
        ).rejects.toThrow(InputError);
      });

      /** The verification with the chains' breaks only: the state rows' breaks have their own suite (operations/binding). */
      async function verifyChainOnly(options?: VerifyChainOptions) {
        const result = await store.verifyChain(options);
        return {
          ...result,
          breaks: result.breaks?.filter(b => !b.kind.startsWith('state-')),
        };
      }

      // The chain is keyed per flow since 20261127000000_keyed_audit_chain:
      // these tests pinned the unkeyed global chain and now check the keyed
      // one, naming every break rather than the first.

      it('returns events exactly as stored and linked', async () => {
        await recordEvents();
        const keyring = testKeyring();
        const rows = await knex(TABLES.auditEvents).orderBy('seq', 'asc');
        const events = await allEvents();
        expect(events.map(e => e.seq)).toEqual(rows.map(r => Number(r.seq)));
        const last = new Map<string, { chainSeq: number; link: string }>();
        for (const [i, event] of events.entries()) {
          const flow = last.get(event.entityRef) ?? {
            chainSeq: 0,
            link: GENESIS_HASH,
          };
          const chainSeq = Number(rows[i].chain_seq);
          expect(chainSeq).toBe(flow.chainSeq + 1);
          expect(rows[i].key_id).toBe('test');
          expect(event.previousHash).toBe(flow.link);
          expect(
            keyring.check(
              eventLinkText({ ...event, chainSeq, keyId: 'test' }),
              'test',
              event.hash,
            ),
          ).toBe('valid');
          expect(computeEventHash(event)).not.toBe(event.hash);
          last.set(event.entityRef, { chainSeq, link: event.hash });
        }
        const heads = await knex(TABLES.auditChains).orderBy('entity_ref');
        expect(
          heads.map(h => [h.entity_ref, Number(h.chain_seq), h.link]),
        ).toEqual(
          [...last.entries()]
            .sort(([a], [b]) => (a < b ? -1 : 1))
            .map(([ref, flow]) => [ref, flow.chainSeq, flow.link]),
        );
        // The legacy head is no longer written.
        const legacy = await knex(TABLES.auditChainHead).first();
        expect(Number(legacy.seq)).toBe(0);
      });

      it('verifies an intact chain', async () => {
        expect(await store.verifyChain()).toEqual({
          intact: true,
          eventsChecked: 0,
          flowsChecked: 0,
          rowsChecked: 0,
          breaks: [],
          breaksTruncated: false,
          verifiedAt: expect.any(String),
        });
        await recordEvents();
        const request = await createRequest();
        await store.decide(
          approve(request.id, { grantsStandingApproval: true }),
          as(BOB),
        );
        expect(await store.verifyChain()).toEqual({
          intact: true,
          eventsChecked: 11,
          flowsChecked: 2,
          rowsChecked: expect.any(Number),
          breaks: [],
          breaksTruncated: false,
          verifiedAt: expect.any(String),
        });
      });

      // recordEvents: seq 1, 4, 7 on OTHER_FLOW; 2, 3, 5, 6 on FLOW.

      it('detects an edited event', async () => {
        await recordEvents();
        await knex(TABLES.auditEvents)
          .where({ seq: 4 })
          .update({ summary: 'Nothing to see here' });
        expect(await verifyChainOnly()).toMatchObject({
          intact: false,
          eventsChecked: 7,
          firstBrokenSeq: 4,
          problem: expect.stringMatching(/Event #4 .* was altered/),
          breaks: [{ kind: 'event-altered', seq: 4, entityRef: OTHER_FLOW }],
        });
      });

      it('detects an edited event whose hash was recomputed without the key', async () => {
        await recordEvents();
        const [event] = (
          await store.listEvents({ order: 'asc', limit: 3 })
        ).items.slice(2);
        const forged = { ...event, actor: 'user:default/mallory' };
        await knex(TABLES.auditEvents)
          .where({ seq: 3 })
          .update({ actor: forged.actor, hash: computeEventHash(forged) });
        expect(await verifyChainOnly()).toMatchObject({
          intact: false,
          firstBrokenSeq: 3,
          problem: expect.stringMatching(/unkeyed sha256/),
          breaks: [
            { kind: 'link-forged', seq: 3, entityRef: FLOW },
            { kind: 'link-forged', seq: 5, entityRef: FLOW },
          ],
        });
      });

      it('detects a deleted event', async () => {
        await recordEvents();
        await knex(TABLES.auditEvents).where({ seq: 5 }).delete();
        expect(await verifyChainOnly()).toMatchObject({
          intact: false,
          eventsChecked: 6,
          firstBrokenSeq: 6,
          problem: expect.stringMatching(
            /missing the event\(s\) at position 3/,
          ),
          breaks: [{ kind: 'event-missing', seq: 6, entityRef: FLOW }],
        });
      });

      it('detects deleted last events', async () => {
        await recordEvents();
        await knex(TABLES.auditEvents).where('seq', '>=', 6).delete();
        expect(await verifyChainOnly()).toMatchObject({
          intact: false,
          eventsChecked: 5,
          firstBrokenSeq: 6,
          // The heads are checked in the order of their flows.
          breaks: [
            { kind: 'chain-truncated', seq: 7, entityRef: OTHER_FLOW },
            { kind: 'chain-truncated', seq: 6, entityRef: FLOW },
          ],
        });
      });

      it('detects an edited last event whose hash was recomputed without the key', async () => {
        await recordEvents();
        const [last] = (await store.listEvents({ limit: 1 })).items;
        const forged = { ...last, summary: 'Nothing to see here' };
        await knex(TABLES.auditEvents)
          .where({ seq: 7 })
          .update({ summary: forged.summary, hash: computeEventHash(forged) });
        expect(await verifyChainOnly()).toMatchObject({
          intact: false,
          eventsChecked: 7,
          firstBrokenSeq: 7,
          breaks: [
            { kind: 'link-forged', seq: 7, entityRef: OTHER_FLOW },
            { kind: 'head-altered', seq: 7, entityRef: OTHER_FLOW },
          ],
        });
      });

      it('detects an event appended behind the store', async () => {
        await recordEvents();
        const [last] = (await store.listEvents({ limit: 1 })).items;
        const fields = {
          ...last,
          seq: 8,
          id: randomUUID(),
          summary: 'Forged approval',
          previousHash: last.hash,
        };
        await knex(TABLES.auditEvents).insert({
          id: fields.id,
          seq: 8,
          type: fields.type,
          entity_ref: fields.entityRef,
          environment_id: fields.environmentId ?? null,
          version: fields.version ?? null,
          actor: fields.actor,
          occurred_at: new Date(fields.occurredAt),
          summary: fields.summary,
          payload: JSON.stringify(fields.payload),
          chain_seq: 4,
          key_id: 'test',
          previous_hash: fields.previousHash,
          hash: computeEventHash(fields),
        });
        expect(await verifyChainOnly()).toMatchObject({
          intact: false,
          eventsChecked: 8,
          firstBrokenSeq: 8,
          breaks: [
            { kind: 'link-forged', seq: 8, entityRef: OTHER_FLOW },
            { kind: 'event-inserted', seq: 8, entityRef: OTHER_FLOW },
          ],
        });
      });

      it('detects a payload that is no longer JSON', async () => {
        await recordEvents();
        await knex(TABLES.auditEvents)
          .where({ seq: 2 })
          .update({ payload: '{broken' });
        expect(await verifyChainOnly()).toMatchObject({
          intact: false,
          firstBrokenSeq: 2,
          problem: expect.stringMatching(/cannot be read/),
        });
      });

      it('verifies chains longer than one batch', async () => {
        // Builds 2,100 valid events directly, to cross two batch boundaries.
        const keyring = testKeyring();
        const rows = [];
        let previousHash = GENESIS_HASH;
        for (let seq = 1; seq <= 2100; seq++) {
          const fields = {
            seq,
            id: randomUUID(),
            type: 'sign-off.given' as const,
            entityRef: FLOW,
            environmentId: 'test',
            version: undefined,
            actor: CAROL,
            occurredAt: at(seq).toISOString(),
            summary: `ok ${seq}`,
            payload: { n: seq },
            previousHash,
          };
          const { mac: hash } = keyring.sign(
            eventLinkText({ ...fields, chainSeq: seq, keyId: 'test' }),
          );
          rows.push({
            id: fields.id,
            seq,
            type: fields.type,
            entity_ref: FLOW,
            environment_id: 'test',
            version: null,
            actor: CAROL,
            occurred_at: at(seq),
            summary: fields.summary,
            payload: JSON.stringify(fields.payload),
            chain_seq: seq,
            key_id: 'test',
            previous_hash: previousHash,
            hash,
          });
          previousHash = hash;
        }
        await knex.batchInsert(TABLES.auditEvents, rows, 100);
        if (knex.client.dialect === 'postgresql') {
          // Explicit seq values do not advance PostgreSQL's sequence.
          await knex.raw(
            `select setval(pg_get_serial_sequence(?, 'seq'), 2100)`,
            [TABLES.auditEvents],
          );
        }
        const head = { entityRef: FLOW, chainSeq: 2100, seq: 2100 };
        const signed = keyring.sign(
          chainHeadText({ ...head, link: previousHash }),
        );
        await knex(TABLES.auditChains).insert({
          entity_ref: FLOW,
          chain_seq: 2100,
          seq: 2100,
          link: previousHash,
          key_id: signed.keyId,
          mac: signed.mac,
        });

        expect(await store.verifyChain()).toMatchObject({
          intact: true,
          eventsChecked: 2100,
        });

        // The store continues the chain.
        await store.createSignOff(
          {
            entityRef: FLOW,
            environmentId: 'test',
            version: '1.0.0',
            comment: 'ok',
          },
          as(CAROL, 3000),
        );
        expect(await store.verifyChain()).toMatchObject({
          intact: true,
          eventsChecked: 2101,
        });

        await knex(TABLES.auditEvents)
          .where({ seq: 1500 })
          .update({ summary: 'changed' });
        expect(await store.verifyChain()).toMatchObject({
          intact: false,
          eventsChecked: 2101,
          firstBrokenSeq: 1500,
          breaks: [{ kind: 'event-altered', seq: 1500 }],
        });
      });
    });
  },
);
