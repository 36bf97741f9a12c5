import {
  BackstageCredentials,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  TestDatabaseId,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import { readPromotionConfig } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  at,
  dossier,
  PIPELINE,
  setUpTestStore,
} from '../../database/__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../database/__testUtils__/testDatabases';
import { DatabasePromotionStore } from '../../database/DatabasePromotionStore';
import { DbDeploymentRow, TABLES } from '../../database/tables';
import { PromotionAuthorizer } from '../../permissions/PromotionAuthorizer';
import { FlowResolver } from '../flows/FlowResolver';
import { ApprovalInbox } from './ApprovalInbox';
import { countReads } from '../../database/__testUtils__/queryCounts';

/*
 * What the inbox reads, on a real store: the flows' entities in one catalog
 * call, and a number of queries that grows neither with the flows' histories
 * (2,000 deployments of other versions change neither the queries nor the
 * rows) nor with the number of flows up to a batch (5 flows or 40, the same
 * queries). The catalog's in-memory mock is counted; the inbox, the flow
 * lookup, the permission wrapper and the store are the real ones.
 */

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS * 3);

const databases = createTestDatabases();

const DIRECTOR = 'user:default/dana';
const REQUESTER = 'user:default/alice';
const ENVIRONMENTS = ['dev', 'test', 'prod'];

const config = readPromotionConfig({
  policies: {
    standard: {
      environments: [
        { id: 'dev', title: 'Dev' },
        {
          id: 'test',
          title: 'Test',
          checklist: [{ id: 'e2e', title: 'End-to-end tests passed' }],
          signOff: { required: true },
        },
        {
          id: 'prod',
          title: 'Production',
          approval: { mode: 'every', approvers: ['group:default/directors'] },
        },
      ],
    },
  },
});

const refOf = (n: number) => `component:default/flow-${n}`;

/** Flow 0 depends on flows 1 and 2 (which are flows of the inbox too). */
const component = (n: number): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: `flow-${n}`,
    namespace: 'default',
    annotations: { 'promotion.io/policy': 'standard' },
  },
  spec: { type: 'service', owner: 'group:default/payments' },
  relations:
    n === 0
      ? [refOf(1), refOf(2)].map(targetRef => ({
          type: 'dependsOn',
          targetRef,
        }))
      : [],
});

/** The catalog's calls, by method. */
function countingCatalog(entities: Entity[]) {
  const catalog = catalogServiceMock({ entities });
  const calls: string[] = [];
  const counted = new Proxy(catalog, {
    get(target, property, receiver) {
      const value = Reflect.get(target, property, receiver);
      return typeof value === 'function'
        ? (...args: unknown[]) => {
            calls.push(String(property));
            return value.apply(target, args);
          }
        : value;
    },
  }) as CatalogService;
  return { catalog: counted, calls };
}

const allowAll: PermissionsService = {
  async authorize(requests) {
    return requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any;
  },
  async authorizeConditional(requests) {
    return requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any;
  },
};

const userInfo: UserInfoService = {
  async getUserInfo(credentials: BackstageCredentials) {
    const ref = (credentials.principal as { userEntityRef: string })
      .userEntityRef;
    return {
      userEntityRef: ref,
      ownershipEntityRefs: [ref, 'group:default/directors'],
    };
  },
};

describe.each(databases.eachSupportedId())(
  'the inbox reads on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let store: DatabasePromotionStore;
    setUpTestStore(databases, databaseId, 'each', made => {
      ({ knex, store } = made);
    });

    /** Flows `from` to `to` - 1, each with 1.0.0 in Dev and Test and a request for it into Production. */
    async function flowsWithRequests(from: number, to: number) {
      let minutes = 0;
      for (let n = from; n < to; n++) {
        for (const environmentId of ['dev', 'test']) {
          await store.recordDeployment(
            {
              entityRef: refOf(n),
              environmentId,
              version: '1.0.0',
              status: 'succeeded',
              ladder: ENVIRONMENTS.slice(
                0,
                ENVIRONMENTS.indexOf(environmentId) + 1,
              ),
              evaluateGate: () => [],
            },
            { actor: PIPELINE, now: at(++minutes) },
          );
        }
        await store.createRequest(
          {
            entityRef: refOf(n),
            environmentId: 'prod',
            version: '1.0.0',
            dossier,
            expiresAt: at(100_000),
          },
          { actor: REQUESTER, now: at(++minutes) },
        );
      }
    }

    /**
     * 2,000 deployments of other versions, before the flow's recent history;
     * those in Production failed or were rolled back, so that none stands
     * there and the inbox's answer stays the same.
     */
    async function olderHistory(n: number) {
      const rows: DbDeploymentRow[] = Array.from({ length: 2_000 }, (_, i) => {
        const environmentId = ENVIRONMENTS[i % ENVIRONMENTS.length];
        const failed = i % 7 === 3;
        return {
          id: randomUUID(),
          entity_ref: refOf(n),
          environment_id: environmentId,
          version: `0.0.${i}`,
          status: failed ? 'failed' : 'succeeded',
          link: null,
          idempotency_key: null,
          reported_by: PIPELINE,
          reported_at: at(-5_000 + i),
          violation: false,
          unmet_conditions: '[]',
          rolled_back_at:
            !failed && (environmentId === 'prod' || i % 10 === 5)
              ? at(-5_000 + i)
              : null,
          rollback_id: null,
        };
      });
      await knex.batchInsert(TABLES.deployments, rows, 200);
    }

    function inboxOf(flows: number) {
      const { catalog, calls } = countingCatalog(
        Array.from({ length: flows }, (_, n) => component(n)),
      );
      const authorizer = new PromotionAuthorizer(allowAll);
      const inbox = new ApprovalInbox({
        store,
        flows: new FlowResolver({
          config,
          catalog,
          auth: mockServices.auth(),
          authorizer,
        }),
        authorizer,
        userInfo,
        now: () => at(1_000),
      });
      return {
        calls,
        read: () =>
          countReads(knex, () =>
            inbox.getInbox({
              credentials: mockCredentials.user(DIRECTOR),
            }),
          ),
      };
    }

    it('asks the catalog once, and reads as much for 40 flows as for 5, and with 2,000 deployments of other versions as without', async () => {
      await flowsWithRequests(0, 5);
      const five = inboxOf(5);
      const withFive = await five.read();
      expect(withFive.result.items).toHaveLength(5);
      // The flows' entities and their dependencies' in one call.
      expect(five.calls).toEqual(['getEntitiesByRefs']);

      await flowsWithRequests(5, 40);
      const forty = inboxOf(40);
      const withForty = await forty.read();
      expect(withForty.result.items).toHaveLength(40);
      expect(forty.calls).toEqual(['getEntitiesByRefs']);
      expect(withForty.queries).toBe(withFive.queries);
      expect(withFive.queries).toBeLessThanOrEqual(10);

      // The same inbox, and the same reads, over a long history.
      for (const n of [0, 1, 2, 7]) {
        await olderHistory(n);
      }
      expect((await store.getFlowFacts(refOf(0))).deployments.length).toBe(
        2_002,
      );
      const withHistory = await forty.read();
      expect(withHistory.result).toEqual(withForty.result);
      expect({
        queries: withHistory.queries,
        rows: withHistory.rows,
      }).toEqual({ queries: withForty.queries, rows: withForty.rows });

      // What the inbox tells, on the bounded reads: besides the approval, the
      // gate waits for the Test checklist and sign-off; flows 1 and 2 are
      // not in Production yet, a warning each.
      const first = withHistory.result.items.find(
        item => item.request.entityRef === refOf(0),
      )!;
      expect(first.gate.otherConditions.map(c => c.code)).toEqual([
        'checklist-incomplete',
        'sign-off-missing',
      ]);
      expect(first.dependencyWarnings).toEqual([
        { entityRef: refOf(1), environmentId: 'prod' },
        { entityRef: refOf(2), environmentId: 'prod' },
      ]);
    });
  },
);
