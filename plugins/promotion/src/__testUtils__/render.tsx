import type { Entity } from '@backstage/catalog-model';
import { identityApiRef } from '@backstage/core-plugin-api';
import {
  catalogApiRef,
  EntityProvider,
  entityRouteRef,
} from '@backstage/plugin-catalog-react';
import { catalogApiMock } from '@backstage/plugin-catalog-react/testUtils';
import { permissionApiRef } from '@backstage/plugin-permission-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import { ReactElement } from 'react';
import { PromotionApi, promotionApiRef } from '../api';
import { entity as defaultEntity } from './flow';

export const dependencyEntities: Entity[] = [
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'ledger',
      namespace: 'default',
      annotations: { 'promotion.io/policy': 'standard' },
    },
    spec: { type: 'service', owner: 'group:default/ledger' },
  },
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Resource',
    metadata: { name: 'payments-db', namespace: 'default' },
    spec: { type: 'database', owner: 'group:default/payments' },
  },
];

/**
 * Renders an element the way the app would: a fake PromotionApi, the signed-in
 * user, a catalog holding the dependencies, and the entity route mounted so
 * entity links resolve.
 */
export function renderWithApis(
  element: ReactElement,
  options: {
    api: PromotionApi;
    userEntityRef?: string;
    entity?: Entity;
    apis?: Array<readonly [any, any]>;
    auditAllowed?: boolean;
    /** The URL the app starts on, e.g. `/?deployment=dep-9`. */
    routeEntries?: string[];
  },
) {
  const apis = [
    [promotionApiRef, options.api],
    [
      identityApiRef,
      mockApis.identity({
        userEntityRef: options.userEntityRef ?? 'user:default/dave',
      }),
    ],
    [catalogApiRef, catalogApiMock({ entities: dependencyEntities })],
    [
      permissionApiRef,
      // AuthorizeResult.DENY / ALLOW, without depending on permission-common
      mockApis.permission({
        authorize: (options.auditAllowed === false ? 'DENY' : 'ALLOW') as any,
      }),
    ],
    ...(options.apis ?? []),
  ] as const;
  return renderInTestApp(
    <TestApiProvider apis={apis as any}>
      <EntityProvider entity={options.entity ?? defaultEntity}>
        {element}
      </EntityProvider>
    </TestApiProvider>,
    {
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
      routeEntries: options.routeEntries,
    },
  );
}
