import {
  ApiBlueprint,
  createFrontendPlugin,
  discoveryApiRef,
  fetchApiRef,
  PageBlueprint,
} from '@backstage/frontend-plugin-api';
import {
  EntityCardBlueprint,
  EntityContentBlueprint,
} from '@backstage/plugin-catalog-react/alpha';
import AssignmentTurnedInIcon from '@material-ui/icons/AssignmentTurnedIn';
import { PROMOTION_POLICY_ANNOTATION } from '@promotion/plugin-promotion-common';
import { PromotionClient, promotionApiRef } from './api';
import { PromotionApprovalsNavIcon } from './components/PromotionApprovalsSidebarItem';
import { entityContentRouteRef, rootRouteRef } from './routes';

/** Entities that opt in to Promotion. */
const optedIn = {
  [`metadata.annotations.${PROMOTION_POLICY_ANNOTATION}`]: { $exists: true },
};

/** @alpha */
export const promotionApi = ApiBlueprint.make({
  params: defineParams =>
    defineParams({
      api: promotionApiRef,
      deps: { discoveryApi: discoveryApiRef, fetchApi: fetchApiRef },
      factory: ({ discoveryApi, fetchApi }) =>
        new PromotionClient({ discoveryApi, fetchApi }),
    }),
});

/** @alpha */
export const entityPromotionContent = EntityContentBlueprint.make({
  name: 'promotion',
  params: {
    path: '/promotion',
    title: 'Promotion',
    group: 'deployment',
    routeRef: entityContentRouteRef,
    filter: optedIn,
    loader: () =>
      import('./components/EntityPromotionContent').then(m => (
        <m.EntityPromotionContent />
      )),
  },
});

/** @alpha */
export const entityPromotionCard = EntityCardBlueprint.make({
  name: 'promotion',
  params: {
    filter: optedIn,
    loader: () =>
      import('./components/EntityPromotionCard').then(m => (
        <m.EntityPromotionCard />
      )),
  },
});

/**
 * The Approvals page; its title and icon make the nav item (the new frontend
 * system discovers nav items from pages). The icon carries the count of
 * requests waiting for the signed-in user.
 *
 * @alpha
 */
export const promotionApprovalsPage = PageBlueprint.make({
  params: {
    path: '/promotion',
    title: 'Approvals',
    icon: <PromotionApprovalsNavIcon />,
    routeRef: rootRouteRef,
    noHeader: true,
    loader: () =>
      import('./components/PromotionApprovalsPage').then(m => (
        <m.PromotionApprovalsPage />
      )),
  },
});

/**
 * The Promotion frontend plugin for the new frontend system.
 *
 * @alpha
 */
export default createFrontendPlugin({
  pluginId: 'promotion',
  title: 'Promotion',
  icon: <AssignmentTurnedInIcon fontSize="inherit" />,
  info: { packageJson: () => import('../package.json') },
  routes: {
    root: rootRouteRef,
    entityContent: entityContentRouteRef,
  },
  extensions: [
    promotionApi,
    entityPromotionContent,
    entityPromotionCard,
    promotionApprovalsPage,
  ],
});
