import {
  createApiFactory,
  createComponentExtension,
  createPlugin,
  createRoutableExtension,
  discoveryApiRef,
  fetchApiRef,
} from '@backstage/core-plugin-api';
import { PromotionClient, promotionApiRef } from './api';
import { entityContentRouteRef, rootRouteRef } from './routes';

/**
 * The Promotion frontend plugin (legacy frontend system).
 *
 * @public
 */
export const promotionPlugin = createPlugin({
  id: 'promotion',
  apis: [
    createApiFactory({
      api: promotionApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new PromotionClient({ discoveryApi, fetchApi }),
    }),
  ],
  routes: {
    root: rootRouteRef,
    entityContent: entityContentRouteRef,
  },
});

/**
 * The Promotion tab for an entity page.
 *
 * @public
 */
export const EntityPromotionContent = promotionPlugin.provide(
  createRoutableExtension({
    name: 'EntityPromotionContent',
    component: () =>
      import('./components/EntityPromotionContent').then(
        m => m.EntityPromotionContent,
      ),
    mountPoint: entityContentRouteRef,
  }),
);

/**
 * The overview card with the compact ladder.
 *
 * @public
 */
export const EntityPromotionCard = promotionPlugin.provide(
  createComponentExtension({
    name: 'EntityPromotionCard',
    component: {
      lazy: () =>
        import('./components/EntityPromotionCard').then(
          m => m.EntityPromotionCard,
        ),
    },
  }),
);

/**
 * The Approvals page: the approver's inbox, the verification report and the
 * audit trail.
 *
 * @public
 */
export const PromotionApprovalsPage = promotionPlugin.provide(
  createRoutableExtension({
    name: 'PromotionApprovalsPage',
    component: () =>
      import('./components/PromotionApprovalsPage').then(
        m => m.PromotionApprovalsPage,
      ),
    mountPoint: rootRouteRef,
  }),
);
