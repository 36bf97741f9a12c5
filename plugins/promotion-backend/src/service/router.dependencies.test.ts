import { Entity } from '@backstage/catalog-model';
import {
  DependencyCheck,
  FlowState,
  GateCondition,
  InboxResponse,
} from '@promotion/plugin-promotion-common';
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
  ENTITIES,
  PROMOTION_CONFIG,
  startPromotionBackend,
  USERS,
} from './__testUtils__/promotionTestBackend';

jest.setTimeout(120_000);

/*
 * The dependency gate through the real plugin: Production of the standard
 * ladder requires every dependsOn flow to have a version there. The catalog
 * is the catalog's in-memory mock, with the relations the catalog would
 * have computed; everything else is real, on every database engine.
 */

const dependsOn = (...refs: string[]) =>
  refs.map(targetRef => ({ type: 'dependsOn', targetRef }));

const flow = (
  name: string,
  relations: Entity['relations'] = [],
  title?: string,
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    ...(title && { title }),
    annotations: { 'promotion.io/policy': 'standard' },
  },
  spec: { type: 'service', lifecycle: 'production', owner: 'team-payments' },
  relations,
});

const CATALOG: Entity[] = [
  ...ENTITIES.filter(
    e => !['payments-sftp', 'ledger'].includes(e.metadata.name),
  ),
  // payments-sftp depends on a flow, on things that are not flows, and on
  // ledger, which depends on payments-sftp in turn.
  flow(
    'payments-sftp',
    dependsOn(
      'component:default/file-router',
      'resource:default/payments-db',
      'component:default/no-annotation',
      'component:default/gone',
      'component:default/ledger',
    ),
  ),
  flow('file-router', [], 'File router'),
  flow('ledger', dependsOn('component:default/payments-sftp')),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name: 'payments-db', namespace: 'default' },
    spec: { type: 'database', owner: 'team-payments' },
  },
  flow('checkout', dependsOn('component:default/shipping')),
  flow('shipping'),
  flow('web', dependsOn('component:default/api')),
  flow('api'),
  // A longer cycle: orders, invoicing, tax, orders; and a flow whose ladder has no Production.
  flow(
    'orders',
    dependsOn('component:default/invoicing', 'component:default/sandbox'),
  ),
  {
    ...flow('sandbox'),
    metadata: {
      name: 'sandbox',
      namespace: 'default',
      annotations: { 'promotion.io/policy': 'sandbox' },
    },
  },
  flow('invoicing', dependsOn('component:default/tax')),
  flow('tax', dependsOn('component:default/orders')),
];

/** The test backend's configuration, Production of the standard ladder requiring the dependencies. */
const CONFIG = structuredClone(PROMOTION_CONFIG) as any;
CONFIG.policies.standard.environments[2].dependencies = { required: true };
CONFIG.policies.sandbox = { environments: [{ id: 'dev', title: 'Dev' }] };

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3', 'MYSQL_8']);

describe.each(databases.eachSupportedId())(
  'The dependency gate through the API on %p',
  databaseId => {
    let server: TestServer;
    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      ({ server } = await startPromotionBackend({
        knex,
        entities: CATALOG,
        config: CONFIG,
      }));
    }, DATABASE_HOOK_TIMEOUT_MS);
    const { api, deploy, gate, check } = promotionApi(() => server);

    /** Takes `version` of the flow through Dev and Test, every check done. */
    async function throughTest(name: string, version: string) {
      await deploy(name, 'dev', version);
      await bodyOf(check(name, 'dev', 'code-reviewed', { version }));
      await bodyOf(check(name, 'dev', 'release-notes', {}));
      await deploy(name, 'test', version);
      await bodyOf(
        check(name, 'test', 'e2e', {
          version,
          evidenceLink: `https://ci.example.com/${version}`,
        }),
      );
      await bodyOf(
        api(USERS.carol).post(`${flowPath(name)}/environments/test/sign-offs`, {
          version,
          comment: 'Confirmed',
        }),
      );
    }

    const missingFileRouter: GateCondition = {
      code: 'dependency-missing',
      message: 'File router is not in Production yet.',
      environmentId: 'prod',
      dependencyRef: 'component:default/file-router',
    };

    const notChecked: DependencyCheck[] = [
      {
        entityRef: 'resource:default/payments-db',
        environmentId: 'prod',
        status: 'not-a-flow',
        message:
          'payments-db is not a component taking part in Promotion: not checked.',
      },
      {
        entityRef: 'component:default/no-annotation',
        environmentId: 'prod',
        status: 'not-a-flow',
        message:
          'no-annotation is not a component taking part in Promotion: not checked.',
      },
      {
        entityRef: 'component:default/gone',
        environmentId: 'prod',
        status: 'not-a-flow',
        message: 'component:default/gone is not in the catalog: not checked.',
      },
      {
        entityRef: 'component:default/ledger',
        environmentId: 'prod',
        status: 'cycle',
        message: 'payments-sftp and ledger depend on each other: not required.',
      },
    ];

    it('keeps a flow out of Production until its dependency is there, in the gate, the flow state and the inbox', async () => {
      await throughTest('payments-sftp', '1.0.0');

      // The pipeline's gate answer: the dependency, then the approval.
      const closed = await gate('payments-sftp', 'prod', '1.0.0');
      expect(closed.open).toBe(false);
      expect(closed.unmetConditions.map(c => c.code)).toEqual([
        'dependency-missing',
        'approval-required',
      ]);
      expect(closed.unmetConditions[0]).toEqual(missingFileRouter);
      expect(closed.dependencies).toEqual([
        {
          entityRef: 'component:default/file-router',
          environmentId: 'prod',
          status: 'unmet',
          message: 'File router is not in Production yet.',
        },
        ...notChecked,
      ]);

      // The flow state: the next gate and the dependencies of each environment that requires them.
      const state: FlowState = await bodyOf(
        api().get(flowPath('payments-sftp')),
        200,
      );
      expect(state.nextGate?.unmetConditions).toContainEqual(missingFileRouter);
      expect(state.dependencies).toEqual([
        { environmentId: 'prod', checks: closed.dependencies },
      ]);

      // The approver's inbox: what still stands once approved.
      await bodyOf(
        api(USERS.alice).post(`${flowPath('payments-sftp')}/requests`, {
          environment: 'prod',
          version: '1.0.0',
          dossier: dossier(),
        }),
      );
      const inbox: InboxResponse = await bodyOf(
        api(USERS.dave).get(`${BASE}/inbox`),
        200,
      );
      const item = inbox.items.find(
        i => i.request.entityRef === 'component:default/payments-sftp',
      );
      expect(item?.gate).toEqual({
        openOnceApproved: false,
        otherConditions: [missingFileRouter],
      });

      // The dependency climbs to Production: the gate no longer waits for it.
      for (const environment of ['dev', 'test', 'prod']) {
        await deploy('file-router', environment, '2.0.0');
      }
      const open = await gate('payments-sftp', 'prod', '1.0.0');
      expect(open.unmetConditions.map(c => c.code)).toEqual([
        'approval-pending',
      ]);
      expect(open.dependencies?.[0]).toEqual({
        entityRef: 'component:default/file-router',
        environmentId: 'prod',
        status: 'met',
        version: '2.0.0',
        message: 'File router 2.0.0 is in Production.',
      });
      const after: InboxResponse = await bodyOf(
        api(USERS.dave).get(`${BASE}/inbox`),
        200,
      );
      expect(
        after.items.find(
          i => i.request.entityRef === 'component:default/payments-sftp',
        )?.gate,
      ).toEqual({ openOnceApproved: true, otherConditions: [] });
    });

    it('words the dependency in the inbox when the dependency waits for approval too', async () => {
      for (const name of ['web', 'api']) {
        await throughTest(name, '1.0.0');
        await bodyOf(
          api(USERS.alice).post(`${flowPath(name)}/requests`, {
            environment: 'prod',
            version: '1.0.0',
            dossier: dossier(),
          }),
        );
      }
      const inbox: InboxResponse = await bodyOf(
        api(USERS.dave).get(`${BASE}/inbox`),
        200,
      );
      const gateOf = (name: string) =>
        inbox.items.find(
          i => i.request.entityRef === `component:default/${name}`,
        )?.gate;
      expect(gateOf('web')).toEqual({
        openOnceApproved: false,
        otherConditions: [
          {
            code: 'dependency-missing',
            message: 'api is not in Production yet.',
            environmentId: 'prod',
            dependencyRef: 'component:default/api',
          },
        ],
      });
      expect(gateOf('api')).toEqual({
        openOnceApproved: true,
        otherConditions: [],
      });
    });

    it('does not check the dependencies of an environment that does not require them', async () => {
      await deploy('checkout', 'dev', '1.0.0');
      const result = await gate('checkout', 'test', '1.0.0');
      expect(result.dependencies).toBeUndefined();
      expect(result.unmetConditions.map(c => c.code)).not.toContain(
        'dependency-missing',
      );
    });

    it('does not require a dependency that depends on the flow through other flows, nor one whose ladder has no such environment', async () => {
      await throughTest('orders', '1.0.0');
      const result = await gate('orders', 'prod', '1.0.0');
      expect(result.dependencies).toEqual([
        {
          entityRef: 'component:default/invoicing',
          environmentId: 'prod',
          status: 'cycle',
          message:
            'orders and invoicing depend on each other (through tax): not required.',
        },
        {
          entityRef: 'component:default/sandbox',
          environmentId: 'prod',
          status: 'not-on-ladder',
          message: 'sandbox has no Production on its ladder: not checked.',
        },
      ]);
      expect(result.unmetConditions.map(c => c.code)).toEqual([
        'approval-required',
      ]);
    });

    it('records a deployment past an unmet dependency as a violation', async () => {
      await throughTest('checkout', '1.1.0');
      const deployment = await deploy('checkout', 'prod', '1.1.0');
      expect(deployment.violation).toBe(true);
      expect(deployment.unmetConditions).toContainEqual({
        code: 'dependency-missing',
        message: 'shipping is not in Production yet.',
        environmentId: 'prod',
        dependencyRef: 'component:default/shipping',
      });
    });
  },
);
