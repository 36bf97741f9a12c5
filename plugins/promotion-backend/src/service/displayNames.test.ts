import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { CatalogDisplayNames } from './displayNames';

const DANA: Entity = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name: 'dana', namespace: 'default' },
  spec: { profile: { displayName: 'Dana Director' } },
};

function setUp(ttlMs?: number) {
  const catalog = catalogServiceMock({ entities: [DANA] });
  const getEntitiesByRefs = jest.spyOn(catalog, 'getEntitiesByRefs');
  let now = 5_000;
  const names = new CatalogDisplayNames({
    catalog,
    auth: mockServices.auth(),
    logger: mockServices.logger.mock(),
    ttlMs,
    now: () => now,
  });
  return {
    names,
    getEntitiesByRefs,
    advance(ms: number) {
      now += ms;
    },
  };
}

describe('CatalogDisplayNames', () => {
  it('reads each name once per time to live, and only the names it has not read', async () => {
    const { names, getEntitiesByRefs, advance } = setUp(10_000);
    const first = await names.lookup(['user:default/dana', 'user:default/zoe']);
    expect(first('user:default/dana')).toBe('Dana Director');
    expect(first('user:default/zoe')).toBe('zoe');
    const second = await names.lookup([
      'user:default/Dana',
      'user:default/zoe',
      'group:default/payments',
    ]);
    expect(second('user:default/dana')).toBe('Dana Director');
    expect(getEntitiesByRefs).toHaveBeenCalledTimes(2);
    expect(getEntitiesByRefs.mock.calls[1][0].entityRefs).toEqual([
      'group:default/payments',
    ]);
    await names.lookup(['user:default/dana']);
    expect(getEntitiesByRefs).toHaveBeenCalledTimes(2);
    advance(10_000);
    await names.lookup(['user:default/dana']);
    expect(getEntitiesByRefs).toHaveBeenCalledTimes(3);
  });

  it('asks the catalog on every lookup without a time to live', async () => {
    const { names, getEntitiesByRefs } = setUp();
    await names.lookup(['user:default/dana']);
    await names.lookup(['user:default/dana']);
    expect(getEntitiesByRefs).toHaveBeenCalledTimes(2);
  });

  it('keeps nothing when the catalog cannot be read, and names by the entity name meanwhile', async () => {
    const { names, getEntitiesByRefs } = setUp(10_000);
    getEntitiesByRefs.mockRejectedValueOnce(new Error('catalog down'));
    const during = await names.lookup(['user:default/dana']);
    expect(during('user:default/dana')).toBe('dana');
    const after = await names.lookup(['user:default/dana']);
    expect(after('user:default/dana')).toBe('Dana Director');
    expect(getEntitiesByRefs).toHaveBeenCalledTimes(2);
  });
});
