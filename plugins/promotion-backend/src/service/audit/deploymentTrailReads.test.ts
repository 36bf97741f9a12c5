import { TestDatabaseId } from '@backstage/backend-test-utils';
import {
  Deployment,
  DeploymentTrail,
  PromotionPolicy,
} from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  ENVIRONMENTS,
  History,
  policies,
  POLICIES,
  randomFrom,
  randomStep,
} from '../../database/__testUtils__/randomHistory';
import {
  ALICE,
  at,
  BOB,
  dossier,
  PIPELINE,
  setUpTestStore,
} from '../../database/__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../database/__testUtils__/testDatabases';
import { DatabasePromotionStore } from '../../database/DatabasePromotionStore';
import {
  DbAuditEventRow,
  DbDeploymentRow,
  TABLES,
} from '../../database/tables';
import { buildDeploymentTrail } from './deploymentTrail';
import { readDeploymentTrail } from './deploymentTrailReads';
import {
  readTrailEvents,
  trailEventFilter,
  trailEventsUntil,
  TRAIL_EVENTS_PAGE_SIZE,
} from './trailEvents';
import { countReads } from '../../database/__testUtils__/queryCounts';

/*
 * The deployment trail on bounded reads (readDeploymentTrail) is the trail
 * on the flow's whole history (every fact, and every audit event up to the
 * trail's last fact, a page at a time): for every deployment of random
 * histories recorded through the store, under two policies, on PostgreSQL,
 * SQLite and MySQL. And 2,000 deployments of other versions, with their
 * audit events, change neither the queries nor the rows it reads.
 */

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS * 4);

const databases = createTestDatabases();

type Flow = { entityRef: string; policy: PromotionPolicy };

/** The trail as it was read before: the whole history, every event up to its last fact. */
async function wholeHistoryTrail(
  store: DatabasePromotionStore,
  flow: Flow,
  deployment: Deployment,
): Promise<DeploymentTrail> {
  const facts = await store.getFlowFacts(flow.entityRef);
  const to = trailEventsUntil(flow.policy, facts, deployment);
  const events = await readTrailEvents(
    cursor =>
      store.listEvents({
        entityRef: flow.entityRef,
        to,
        cursor,
        limit: TRAIL_EVENTS_PAGE_SIZE,
        order: 'asc',
      }),
    trailEventFilter(flow.policy, deployment),
  );
  return buildDeploymentTrail({
    entityRef: flow.entityRef,
    policy: flow.policy,
    facts,
    deployment,
    events,
  });
}

describe.each(databases.eachSupportedId())(
  'deployment trails on bounded reads on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let store: DatabasePromotionStore;
    setUpTestStore(databases, databaseId, 'each', made => {
      ({ knex, store } = made);
    });

    it('random histories: the trail of every deployment is the one on the whole history', async () => {
      const turns = new Set<string>();
      let compared = 0;
      for (const seed of [1, 6, 9]) {
        const random = randomFrom(seed);
        const history: History = {
          entityRef: `component:default/trail-${seed}`,
          versions: ['1.0.0'],
          minutes: 0,
        };
        for (let step = 1; step <= 160; step++) {
          await randomStep(store, random, history);
        }
        const { deployments } = await store.getFlowFacts(history.entityRef);
        for (const deployment of deployments) {
          for (const policy of POLICIES) {
            const flow = { entityRef: history.entityRef, policy };
            const whole = await wholeHistoryTrail(store, flow, deployment);
            expect({
              seed,
              policy: policy.name,
              deployment: deployment.id,
              trail: await readDeploymentTrail(store, flow, deployment),
            }).toEqual({
              seed,
              policy: policy.name,
              deployment: deployment.id,
              trail: whole,
            });
            compared++;
            turns.add(`basis ${whole.approval.basis}`);
            if (whole.approval.approvals.length > 0) {
              turns.add('approvals');
            }
            if (whole.validation?.completions.some(c => c.undoneAt)) {
              turns.add('validation undone since');
            }
            if ((whole.validation?.later.length ?? 0) > 0) {
              turns.add('validation later');
            }
            if ((whole.signOff?.signOffs.length ?? 0) > 0) {
              turns.add('sign-off');
            }
            if ((whole.signOff?.later.length ?? 0) > 0) {
              turns.add('sign-off later');
            }
            if ((whole.postDeployment?.completions.length ?? 0) > 0) {
              turns.add('post-deployment');
            }
          }
        }
      }
      expect(compared).toBeGreaterThan(200);
      expect([...turns].sort()).toEqual(
        [
          'approvals',
          'basis missing',
          'basis none',
          'basis request',
          'basis rollback-target',
          'basis standing-approval',
          'post-deployment',
          'sign-off',
          'sign-off later',
          'validation later',
          'validation undone since',
        ].sort(),
      );
    });

    it('reads as much with 2,000 deployments of other versions, and their audit events, as without', async () => {
      const entityRef = 'component:default/long-history';
      let minutes = 0;
      const ctx = (actor: string) => ({ actor, now: at(++minutes) });
      const deploy = (environmentId: string, version: string) =>
        store.recordDeployment(
          {
            entityRef,
            environmentId,
            version,
            status: 'succeeded',
            evaluateGate: () => [],
          },
          ctx(PIPELINE),
        );
      // 1.0.0 and 1.1.0 up the ladder, 1.1.0 rolled back in Production to
      // 1.0.0, which goes in again as the rollback target; 1.2.0 in Test
      // with its checklist and sign-off, approved into Production.
      for (const version of ['1.0.0', '1.1.0']) {
        for (const environmentId of ENVIRONMENTS) {
          await deploy(environmentId, version);
        }
      }
      await store.recordRollback(
        {
          entityRef,
          environmentId: 'production',
          fromVersion: '1.1.0',
          toVersion: '1.0.0',
          reason: 'Uploads fail',
        },
        ctx(ALICE),
      );
      const { value: back } = await deploy('production', '1.0.0');
      await deploy('dev', '1.2.0');
      await deploy('test', '1.2.0');
      await store.completeChecklistItem(
        {
          entityRef,
          environmentId: 'test',
          kind: 'validation',
          itemId: 'e2e',
          version: '1.2.0',
        },
        ctx(ALICE),
      );
      await store.createSignOff(
        {
          entityRef,
          environmentId: 'test',
          version: '1.2.0',
          comment: 'Looks good',
        },
        ctx(BOB),
      );
      const request = await store.createRequest(
        {
          entityRef,
          environmentId: 'production',
          version: '1.2.0',
          dossier,
          expiresAt: at(10_000),
        },
        ctx(ALICE),
      );
      await store.decide(
        {
          requestId: request.value.id,
          decision: 'approve',
          comment: 'Go',
          minApprovers: 1,
          grantsStandingApproval: false,
        },
        ctx(BOB),
      );
      const { value: approved } = await deploy('production', '1.2.0');

      const flow = { entityRef, policy: policies.strict };
      const trailOf = (deployment: Deployment) => () =>
        readDeploymentTrail(store, flow, deployment);
      const trails = async () => {
        const measured = [];
        for (const deployment of [back, approved]) {
          const { result, queries, rows } = await countReads(
            knex,
            trailOf(deployment),
          );
          expect(result).toEqual(
            await wholeHistoryTrail(store, flow, deployment),
          );
          measured.push({ basis: result.approval.basis, queries, rows });
        }
        return measured;
      };
      const before = await trails();
      expect(before.map(t => t.basis)).toEqual(['rollback-target', 'request']);

      // 2,000 deployments of other versions before it all, with their
      // audit events (written as rows: this test reads, it verifies no chain).
      const deployments: DbDeploymentRow[] = [];
      const events: Array<Omit<DbAuditEventRow, 'seq'>> = [];
      for (let i = 0; i < 2_000; i++) {
        const id = randomUUID();
        const environmentId = ENVIRONMENTS[i % ENVIRONMENTS.length];
        const version = `0.0.${i}`;
        deployments.push({
          id,
          entity_ref: entityRef,
          environment_id: environmentId,
          version,
          status: 'failed',
          link: null,
          idempotency_key: null,
          reported_by: PIPELINE,
          reported_at: at(-5_000 + i),
          violation: false,
          unmet_conditions: '[]',
          rolled_back_at: null,
          rollback_id: null,
        });
        events.push({
          id: randomUUID(),
          type: 'deployment.recorded',
          entity_ref: entityRef,
          environment_id: environmentId,
          version,
          actor: PIPELINE,
          occurred_at: at(-5_000 + i),
          summary: `Deployment of ${version} failed`,
          payload: JSON.stringify({ deploymentId: id, status: 'failed' }),
          chain_seq: 1_000_000 + i,
          key_id: 'sha256-legacy',
          previous_hash: '',
          hash: randomUUID(),
        });
      }
      await knex.batchInsert(TABLES.deployments, deployments, 200);
      await knex.batchInsert(TABLES.auditEvents, events, 200);
      expect((await store.getFlowFacts(entityRef)).deployments.length).toBe(
        2_010,
      );

      expect(await trails()).toEqual(before);
      // And few: the queries of the trail, not of the history.
      for (const trail of before) {
        expect(trail.queries).toBeLessThanOrEqual(11);
        expect(trail.rows).toBeLessThanOrEqual(40);
      }
    });
  },
);
