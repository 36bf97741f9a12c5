import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { NotAllowedError, NotFoundError } from '@backstage/errors';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  AuthorizePermissionRequest,
  AuthorizeResult,
} from '@backstage/plugin-permission-common';
import {
  promotionApprovePermission,
  promotionReadPermission,
  readPromotionConfig,
} from '@promotion/plugin-promotion-common';
import { PromotionAuthorizer } from '../../permissions/PromotionAuthorizer';
import {
  DEFAULT_CATALOG_CACHE_TTL_MS,
  FlowResolver,
  ownersOf,
} from './FlowResolver';

const config = readPromotionConfig({
  policies: {
    standard: {
      environments: [
        { id: 'dev', title: 'Development' },
        { id: 'test', title: 'Test' },
      ],
    },
  },
});

function component(name: string, policy?: string): Entity {
  return {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: policy ? { 'promotion.io/policy': policy } : {},
    },
    spec: { type: 'service', owner: 'group:default/payments' },
  };
}

const ALICE = mockCredentials.user('user:default/alice');
const ERIN = mockCredentials.user('user:default/erin');
const PIPELINE = mockCredentials.service('external:pipeline');
const REF = { kind: 'component', namespace: 'default', name: 'payments-sftp' };

/** Erin may not read payments-sftp in the catalog; alice may not approve. */
function permissionPolicy(asked: string[][]): PermissionsService {
  const decide = (
    request: AuthorizePermissionRequest,
    credentials: BackstageCredentials,
  ) => {
    const principal = credentials.principal as { userEntityRef?: string };
    if (
      principal.userEntityRef === 'user:default/erin' &&
      request.permission.name === 'catalog.entity.read'
    ) {
      return AuthorizeResult.DENY;
    }
    if (
      principal.userEntityRef === 'user:default/alice' &&
      request.permission.name === promotionApprovePermission.name
    ) {
      return AuthorizeResult.DENY;
    }
    return AuthorizeResult.ALLOW;
  };
  return {
    async authorize(requests, options) {
      asked.push(requests.map(r => r.permission.name));
      return requests.map(request => ({
        result: decide(
          request as AuthorizePermissionRequest,
          options.credentials,
        ),
      })) as any;
    },
    async authorizeConditional() {
      throw new Error('not used by the flow resolver');
    },
  };
}

function setUp(options: { ttlMs?: number; entities?: Entity[] } = {}) {
  const catalog = catalogServiceMock({
    entities: options.entities ?? [
      component('payments-sftp', 'standard'),
      component('billing'),
    ],
  });
  const lookUp = jest.spyOn(catalog, 'getEntitiesByRefs');
  const asked: string[][] = [];
  let now = 1_000_000;
  const flows = new FlowResolver({
    config,
    catalog,
    auth: mockServices.auth(),
    authorizer: new PromotionAuthorizer(permissionPolicy(asked)),
    catalogCacheTtlMs: options.ttlMs,
    now: () => now,
  });
  return {
    flows,
    catalog,
    lookUp,
    asked,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('FlowResolver', () => {
  it('asks the catalog once per flow while the entity is fresh, and again after the time to live', async () => {
    const { flows, lookUp, advance } = setUp();
    const first = await flows.readable(REF, { credentials: ALICE });
    expect(first.entityRef).toBe('component:default/payments-sftp');
    expect(first.policy.name).toBe('standard');
    await flows.readable(REF, { credentials: PIPELINE });
    advance(DEFAULT_CATALOG_CACHE_TTL_MS - 1);
    await flows.readable(
      { ...REF, name: 'Payments-SFTP' },
      { credentials: ALICE },
    );
    expect(lookUp).toHaveBeenCalledTimes(1);
    advance(1);
    await flows.readable(REF, { credentials: ALICE });
    expect(lookUp).toHaveBeenCalledTimes(2);
  });

  it("reads the dependency gate's entities in one batch, none while fresh, and keeps no miss", async () => {
    const { flows, catalog, advance } = setUp();
    const getEntitiesByRefs = jest.spyOn(catalog, 'getEntitiesByRefs');
    const refs = [
      'component:default/payments-sftp',
      'component:default/billing',
      'component:default/gone',
    ];
    const first = await flows.cachedEntitiesOf(refs);
    expect([...first.values()].map(found => found?.policy?.name)).toEqual([
      'standard',
      undefined,
      undefined,
    ]);
    expect(first.get('component:default/gone')).toBeUndefined();
    expect(getEntitiesByRefs).toHaveBeenCalledTimes(1);

    // Fresh: only the entity not found is asked for again.
    advance(DEFAULT_CATALOG_CACHE_TTL_MS - 1);
    const again = await flows.cachedEntitiesOf(refs);
    expect(again.get('component:default/payments-sftp')?.policy?.name).toBe(
      'standard',
    );
    expect(getEntitiesByRefs).toHaveBeenCalledTimes(2);
    expect(getEntitiesByRefs.mock.calls[1][0]).toMatchObject({
      entityRefs: ['component:default/gone'],
    });

    advance(1);
    await flows.cachedEntitiesOf(refs);
    expect(getEntitiesByRefs.mock.calls[2][0]).toMatchObject({
      entityRefs: refs,
    });
  });

  it('asks the catalog every time with a time to live of 0', async () => {
    const { flows, lookUp } = setUp({ ttlMs: 0 });
    await flows.readable(REF, { credentials: ALICE });
    await flows.readable(REF, { credentials: ALICE });
    expect(lookUp).toHaveBeenCalledTimes(2);
  });

  it('keeps no miss: a flow added to the catalog is found at once', async () => {
    const { flows, lookUp } = setUp({ entities: [] });
    await expect(flows.readable(REF, { credentials: ALICE })).rejects.toThrow(
      new NotFoundError(
        'No entity component:default/payments-sftp found in the catalog',
      ),
    );
    lookUp.mockResolvedValueOnce({
      items: [component('payments-sftp', 'standard')],
    });
    await expect(
      flows.readable(REF, { credentials: ALICE }),
    ).resolves.toMatchObject({ entityRef: 'component:default/payments-sftp' });
    expect(lookUp).toHaveBeenCalledTimes(2);
  });

  it('answers a person who may not read the entity in the catalog as the catalog does: it does not exist, even once it is cached', async () => {
    const { flows, asked } = setUp();
    await flows.readable(REF, { credentials: ALICE });
    await expect(flows.readable(REF, { credentials: ERIN })).rejects.toThrow(
      new NotFoundError(
        'No entity component:default/payments-sftp found in the catalog',
      ),
    );
    // One batch per call: the catalog's read permission beside the flow's.
    expect(asked).toEqual([
      ['catalog.entity.read', promotionReadPermission.name],
      ['catalog.entity.read', promotionReadPermission.name],
    ]);
  });

  it("refuses a person the flow's permission with the permission named", async () => {
    const { flows } = setUp();
    await expect(
      flows.authorized(REF, promotionApprovePermission, { credentials: ALICE }),
    ).rejects.toThrow(NotAllowedError);
    await expect(
      flows.authorized(REF, promotionApprovePermission, { credentials: ERIN }),
    ).rejects.toThrow(NotFoundError);
  });

  it('checks a pipeline with the flow permission only, and reads the catalog as the plugin', async () => {
    const { flows, asked, lookUp } = setUp();
    await flows.authorized(REF, promotionApprovePermission, {
      credentials: PIPELINE,
    });
    expect(asked).toEqual([[promotionApprovePermission.name]]);
    const [, options] = lookUp.mock.calls[0] as unknown as [
      unknown,
      { credentials: BackstageCredentials },
    ];
    expect((options.credentials.principal as { type: string }).type).toBe(
      'service',
    );
    expect(
      (options.credentials.principal as { subject: string }).subject,
    ).not.toBe('external:pipeline');
  });

  it('says why an entity without the annotation is not a flow', async () => {
    const { flows } = setUp();
    await expect(
      flows.readable(
        { kind: 'component', namespace: 'default', name: 'billing' },
        { credentials: ALICE },
      ),
    ).rejects.toThrow(/does not take part in Promotion/);
  });

  describe('refreshFlowEntities', () => {
    /** 1,100 flows (annotated) and 103 components that are not flows. */
    const many = () => [
      ...Array.from({ length: 1100 }, (_, i) =>
        component(`flow-${i}`, 'standard'),
      ),
      ...Array.from({ length: 103 }, (_, i) => component(`other-${i}`)),
    ];

    it("reads every flow's entity a page of 500 at a time, and a flow read since costs no catalog call", async () => {
      const { flows, catalog, lookUp } = setUp({ entities: many() });
      const query = jest.spyOn(catalog, 'queryEntities');
      await expect(flows.refreshFlowEntities()).resolves.toBe(1100);
      expect(query).toHaveBeenCalledTimes(3);
      expect(query.mock.calls.map(([request]) => request?.limit)).toEqual([
        500, 500, 500,
      ]);
      for (const i of [0, 499, 500, 1099]) {
        await expect(
          flows.readable({ ...REF, name: `flow-${i}` }, { credentials: ALICE }),
        ).resolves.toMatchObject({ entityRef: `component:default/flow-${i}` });
      }
      await flows.readable(
        { ...REF, name: 'FLOW-7' },
        { credentials: PIPELINE },
      );
      expect(lookUp).not.toHaveBeenCalled();
      // A component that is not a flow was not read: it is looked up, and
      // answered as before.
      await expect(
        flows.readable(
          { ...REF, name: 'other-3' },
          { credentials: ALICE },
        ),
      ).rejects.toThrow(/does not take part in Promotion/);
      expect(lookUp).toHaveBeenCalledTimes(1);
    });

    it('keeps the entities fresh when run every half time to live, and lets them expire once not run', async () => {
      const { flows, lookUp, advance } = setUp({ entities: many() });
      await flows.refreshFlowEntities();
      advance(DEFAULT_CATALOG_CACHE_TTL_MS / 2);
      await flows.refreshFlowEntities();
      // Past the first read's time to live, within the second's.
      advance(DEFAULT_CATALOG_CACHE_TTL_MS / 2 + 1);
      await flows.readable({ ...REF, name: 'flow-42' }, { credentials: ALICE });
      expect(lookUp).not.toHaveBeenCalled();
      advance(DEFAULT_CATALOG_CACHE_TTL_MS / 2);
      await flows.readable({ ...REF, name: 'flow-42' }, { credentials: ALICE });
      expect(lookUp).toHaveBeenCalledTimes(1);
    });

    it('sees a flow that lost its annotation within the time to live', async () => {
      const { flows, catalog, advance } = setUp();
      await flows.refreshFlowEntities();
      await flows.readable(REF, { credentials: ALICE });
      // The annotation is removed in the catalog.
      jest
        .spyOn(catalog, 'getEntitiesByRefs')
        .mockResolvedValue({ items: [component('payments-sftp')] });
      jest
        .spyOn(catalog, 'queryEntities')
        .mockResolvedValue({ items: [], pageInfo: {}, totalItems: 0 });
      advance(DEFAULT_CATALOG_CACHE_TTL_MS / 2);
      await expect(flows.refreshFlowEntities()).resolves.toBe(0);
      await flows.readable(REF, { credentials: ALICE });
      advance(DEFAULT_CATALOG_CACHE_TTL_MS / 2);
      await expect(
        flows.readable(REF, { credentials: ALICE }),
      ).rejects.toThrow(/does not take part in Promotion/);
    });

    it('reads nothing with a time to live of 0', async () => {
      const { flows, catalog } = setUp({ ttlMs: 0 });
      const query = jest.spyOn(catalog, 'queryEntities');
      await expect(flows.refreshFlowEntities()).resolves.toBe(0);
      expect(query).not.toHaveBeenCalled();
    });

    it('holds the same fields of a flow however it was read, the owner among them', async () => {
      const refreshed = setUp();
      await refreshed.flows.refreshFlowEntities();
      const looked = setUp();
      const a = await refreshed.flows.readable(REF, { credentials: ALICE });
      const b = await looked.flows.readable(REF, { credentials: ALICE });
      expect(refreshed.lookUp).not.toHaveBeenCalled();
      expect(looked.lookUp).toHaveBeenCalledTimes(1);
      expect(a.entity).toEqual(b.entity);
      expect(a.entity).toEqual({
        kind: 'Component',
        metadata: {
          name: 'payments-sftp',
          namespace: 'default',
          annotations: { 'promotion.io/policy': 'standard' },
        },
        spec: { owner: 'group:default/payments' },
      });
      expect(ownersOf(a.entity)).toEqual(['group:default/payments']);
    });
  });
});
