import { createRouteRef } from '@backstage/core-plugin-api';

/** The Approvals page. */
export const rootRouteRef = createRouteRef({ id: 'promotion' });

/** The Promotion tab on an entity page. */
export const entityContentRouteRef = createRouteRef({
  id: 'promotion-entity-content',
});
