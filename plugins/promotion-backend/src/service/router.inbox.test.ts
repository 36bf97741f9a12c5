import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { Entity } from '@backstage/catalog-model';
import {
  AuthorizePermissionRequest,
  AuthorizeResult,
} from '@backstage/plugin-permission-common';
import {
  InboxItem,
  promotionApprovePermission,
} from '@promotion/plugin-promotion-common';
import { deniedReason } from '../permissions/PromotionAuthorizer';
import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
} from '../database/__testUtils__/testDatabases';
import {
  BASE,
  bodyOf,
  dossier,
  flowPath,
  promotionApi,
  TestServer,
} from './__testUtils__/apiHelpers';
import {
  startPromotionBackend,
  USERS,
} from './__testUtils__/promotionTestBackend';

jest.setTimeout(180_000);

/*
 * The approver's inbox through the real plugin: however many flows hold a
 * pending request, it asks the permission policy once, and the flows only
 * of what the policy decides on a condition, in one batch. The permission
 * policy of the test backend is wrapped to count the calls the plugin makes
 * and to deny Dave some flows; the inbox itself is the real one. The number
 * of calls does not depend on the database: SQLite only.
 */

const databases = createTestDatabases(['SQLITE_3']);

const FLOWS = 50;
const flowName = (n: number) => `flow-${String(n).padStart(2, '0')}`;
const refOf = (n: number) => `component:default/${flowName(n)}`;

/**
 * Flows 1 to 50 on the regulated ladder (Dev, then Production approved by
 * Dave and Erin); flow 1 depends on flows 2, 3 and 45 and on a component
 * outside Promotion.
 */
const ENTITIES: Entity[] = [
  ...Array.from({ length: FLOWS }, (_, i): Entity => {
    const n = i + 1;
    return {
      apiVersion: 'backstage.io/v1alpha1',
      kind: 'Component',
      metadata: {
        name: flowName(n),
        namespace: 'default',
        annotations: { 'promotion.io/policy': 'regulated' },
      },
      spec: { type: 'service', lifecycle: 'production', owner: 'payments' },
      relations:
        n === 1
          ? [refOf(2), refOf(3), refOf(45), 'component:default/outside'].map(
              targetRef => ({ type: 'dependsOn', targetRef }),
            )
          : [],
    };
  }),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name: 'outside', namespace: 'default' },
    spec: { type: 'service', lifecycle: 'production', owner: 'payments' },
  },
];

/** Dave may not read flows 41–50 and may not approve on flows 31–40; Erin may everything. */
const DAVE_UNREADABLE = new Set(
  Array.from({ length: 10 }, (_, i) => refOf(41 + i)),
);
const DAVE_NO_APPROVE = new Set(
  Array.from({ length: 10 }, (_, i) => refOf(31 + i)),
);

/**
 * The calls the plugin made to the permission framework: `policy N` for N
 * permissions asked without a resource (`authorizeConditional`), `flows N`
 * for N questions about flows (`authorize`).
 */
const permissionCalls: string[] = [];

/**
 * The test backend's policy, counted, with Dave denied some flows as a
 * policy denies them: reading and approving are conditional for him (a
 * policy does not see the resource), and his questions about flows are
 * answered by those conditions.
 */
function countingAndDenying(policy: PermissionsService): PermissionsService {
  const userOf = (credentials: BackstageCredentials) =>
    (credentials.principal as { userEntityRef?: string }).userEntityRef;
  const isDavesCondition = (name: string) =>
    name === 'promotion.flow.read' || name === promotionApprovePermission.name;
  return {
    async authorize(requests, options) {
      permissionCalls.push(`flows ${requests.length}`);
      const decisions = await policy.authorize(requests, options);
      if (userOf(options.credentials) !== USERS.dave) {
        return decisions;
      }
      return decisions.map((decision, index) => {
        const { permission, resourceRef } = requests[
          index
        ] as AuthorizePermissionRequest;
        const denied =
          (permission.name === 'promotion.flow.read' &&
            DAVE_UNREADABLE.has(resourceRef!)) ||
          (permission.name === promotionApprovePermission.name &&
            DAVE_NO_APPROVE.has(resourceRef!));
        return denied ? { result: AuthorizeResult.DENY } : decision;
      }) as typeof decisions;
    },
    async authorizeConditional(requests, options) {
      permissionCalls.push(`policy ${requests.length}`);
      const decisions = await policy.authorizeConditional(requests, options);
      if (userOf(options.credentials) !== USERS.dave) {
        return decisions;
      }
      return decisions.map((decision, index) =>
        isDavesCondition(requests[index].permission.name)
          ? {
              result: AuthorizeResult.CONDITIONAL,
              pluginId: 'catalog',
              resourceType: 'catalog-entity',
              conditions: {
                rule: 'IS_ENTITY_OWNER',
                resourceType: 'catalog-entity',
                params: { claims: [USERS.dave] },
              },
            }
          : decision,
      ) as typeof decisions;
    },
  };
}

describe.each(databases.eachSupportedId())(
  'The inbox across many flows on %p',
  databaseId => {
    let server: TestServer;
    const { api, deploy } = promotionApi(() => server);
    /** The request ids, by flow number. */
    const requestIds = new Map<number, string>();

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      ({ server } = await startPromotionBackend({
        knex,
        entities: ENTITIES,
        permissions: countingAndDenying,
      }));
      for (let n = 1; n <= FLOWS; n++) {
        await deploy(flowName(n), 'dev', '1.0.0');
        const request = await bodyOf(
          api(USERS.alice).post(`${flowPath(flowName(n))}/requests`, {
            environment: 'prod',
            version: '1.0.0',
            dossier: dossier(),
          }),
        );
        requestIds.set(n, request.id);
      }
    }, DATABASE_HOOK_TIMEOUT_MS);

    /** The inbox of `who`, with the calls to the permission framework it made. */
    const inboxOf = async (who: string) => {
      permissionCalls.length = 0;
      const { items } = await bodyOf(api(who).get(`${BASE}/inbox`), 200);
      return { items: items as InboxItem[], calls: [...permissionCalls] };
    };

    const byFlow = (items: InboxItem[]) =>
      [...items].sort((a, b) =>
        a.request.entityRef.localeCompare(b.request.entityRef),
      );

    it('asks the permission policy once for 50 pending requests across 50 flows', async () => {
      const answer = await inboxOf(USERS.erin);
      const { calls } = answer;
      // In flow order (the inbox lists them oldest first).
      const items = byFlow(answer.items);

      // One request: the policy allows Erin to read flows (in the catalog
      // and in Promotion) and to approve them, whatever the flow.
      expect(calls).toEqual(['policy 3']);
      expect(items.map(i => i.request.id)).toEqual(
        Array.from({ length: FLOWS }, (_, i) => requestIds.get(i + 1)),
      );
      for (const [index, item] of items.entries()) {
        expect(item).toMatchObject({
          request: {
            entityRef: refOf(index + 1),
            environmentId: 'prod',
            version: '1.0.0',
            status: 'pending',
            requestedBy: USERS.alice,
          },
          environmentTitle: 'Production',
          approvals: 0,
          requiredApprovals: 2,
          gate: { openOnceApproved: true, otherConditions: [] },
          previousSignOff: {
            environmentId: 'dev',
            required: false,
            signOffs: [],
          },
        });
        expect(item.cannotDecideReason).toBeUndefined();
      }
      // Flow 1 waits for its dependencies in Production; the component
      // outside Promotion is not one.
      expect(items[0].dependencyWarnings).toEqual(
        [2, 3, 45].map(n => ({ entityRef: refOf(n), environmentId: 'prod' })),
      );
      expect(items.slice(1).every(i => i.dependencyWarnings.length === 0)).toBe(
        true,
      );
    });

    it('shows an approver denied some flows only the others, from one batch of questions', async () => {
      const everything = byFlow((await inboxOf(USERS.erin)).items);
      const answer = await inboxOf(USERS.dave);
      const { calls } = answer;
      const items = byFlow(answer.items);

      // The policy, then one batch of what it decides on a condition:
      // whether Dave reads and approves each of the 50 flows in Promotion
      // (flow 1's dependencies are among them).
      expect(calls).toEqual(['policy 3', 'flows 100']);
      // Flows 41–50 are left out; the rest are the items Erin sees.
      const readable = everything.filter(
        i => !DAVE_UNREADABLE.has(i.request.entityRef),
      );
      expect(items).toHaveLength(40);
      expect(items.map(i => i.request.id)).toEqual(
        readable.map(i => i.request.id),
      );
      for (const [index, item] of items.entries()) {
        const { cannotDecideReason, dependencyWarnings, ...rest } = item;
        const { dependencyWarnings: erinsWarnings, ...erinsRest } =
          readable[index];
        expect(rest).toEqual(erinsRest);
        // Flows 31–40 are listed, but Dave may not decide them.
        expect(cannotDecideReason).toBe(
          DAVE_NO_APPROVE.has(item.request.entityRef)
            ? deniedReason(promotionApprovePermission)
            : undefined,
        );
        // Flow 1's dependency on flow 45, which Dave may not read, is not told.
        expect(dependencyWarnings).toEqual(
          erinsWarnings.filter(w => !DAVE_UNREADABLE.has(w.entityRef)),
        );
      }
      expect(items[0].dependencyWarnings.map(w => w.entityRef)).toEqual([
        refOf(2),
        refOf(3),
      ]);
    });
  },
);
