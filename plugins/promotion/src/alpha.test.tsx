import { identityApiRef } from '@backstage/core-plugin-api';
import { coreExtensionData } from '@backstage/frontend-plugin-api';
import {
  mockApis,
  renderInTestApp,
  renderTestApp,
  createExtensionTester,
} from '@backstage/frontend-test-utils';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import { EntityContentBlueprint } from '@backstage/plugin-catalog-react/alpha';
import {
  catalogApiMock,
  createTestEntityPage,
} from '@backstage/plugin-catalog-react/testUtils';
import { registerMswTestHooks } from '@backstage/test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { promotionApiRef } from './api';
import {
  allowAll,
  createFakePromotionApi,
  pendingRequest,
  entity,
  flowState,
  entityWithoutAnnotation,
  ENTITY_REF,
} from './__testUtils__/flow';
import promotionPlugin, {
  entityPromotionContent,
  promotionApprovalsPage,
} from './alpha';

const server = setupServer();

describe('promotion /alpha', () => {
  registerMswTestHooks(server);

  it('is the promotion plugin with the API, the tab, the card and the page', () => {
    expect(promotionPlugin.id).toBe('promotion');
    expect(
      promotionPlugin.getExtension('entity-content:promotion/promotion'),
    ).toBeDefined();
    expect(
      promotionPlugin.getExtension('entity-card:promotion/promotion'),
    ).toBeDefined();
    expect(promotionPlugin.getExtension('page:promotion')).toBeDefined();
    expect(promotionPlugin.getExtension('api:promotion')).toBeDefined();
  });

  it('offers the tab only to entities with the promotion.io/policy annotation', () => {
    const tester = createExtensionTester(entityPromotionContent);
    const filter = tester.get(EntityContentBlueprint.dataRefs.filterFunction);
    expect(tester.get(EntityContentBlueprint.dataRefs.title)).toBe('Promotion');
    expect(filter?.(entity)).toBe(true);
    expect(filter?.(entityWithoutAnnotation)).toBe(false);
  });

  it('renders the Promotion tab with the same components and client', async () => {
    const api = createFakePromotionApi();
    renderTestApp({
      extensions: [createTestEntityPage({ entity }), entityPromotionContent],
      apis: [
        [promotionApiRef, api],
        [catalogApiRef, catalogApiMock({ entities: [] })],
        [
          identityApiRef,
          mockApis.identity({ userEntityRef: 'user:default/dave' }),
        ],
      ],
    });

    const ladder = await screen.findByRole('region', { name: 'Ladder' });
    expect(within(ladder).getByText('Production')).toBeInTheDocument();
    expect(
      await screen.findByText('Next step: 1.4.0 into Production'),
    ).toBeInTheDocument();
    expect(api.getFlow).toHaveBeenCalledWith(ENTITY_REF);
  });

  it('installs as a feature: its API extension talks to the backend through the real client', async () => {
    server.use(
      http.get('*/api/promotion/flows/default/component/payments-sftp', () =>
        HttpResponse.json(flowState()),
      ),
      http.get(
        '*/api/promotion/flows/default/component/payments-sftp/permissions',
        () => HttpResponse.json(allowAll()),
      ),
      http.get(
        '*/api/promotion/flows/default/component/payments-sftp/events',
        () => HttpResponse.json({ items: [] }),
      ),
    );
    renderTestApp({
      features: [promotionPlugin],
      extensions: [createTestEntityPage({ entity })],
      apis: [
        [catalogApiRef, catalogApiMock({ entities: [] })],
        [
          identityApiRef,
          mockApis.identity({ userEntityRef: 'user:default/dave' }),
        ],
      ],
    });

    expect(
      (await screen.findAllByText('Next: 1.4.0 (gate closed)')).length,
    ).toBeGreaterThan(0);
  });

  it("puts the count of requests waiting for the user on the Approvals page's nav icon", async () => {
    const icon = createExtensionTester(promotionApprovalsPage).get(
      coreExtensionData.icon,
    );
    const api = createFakePromotionApi({
      getInbox: async () => ({
        items: ['r1', 'r2'].map(id => ({
          request: pendingRequest({ id }),
          environmentTitle: 'Production',
          approvals: 0,
          requiredApprovals: 1,
          gate: { openOnceApproved: true, otherConditions: [] },
          dependencyWarnings: [],
        })),
      }),
    });
    renderInTestApp(icon!, { apis: [[promotionApiRef, api]] });

    await waitFor(() =>
      expect(screen.getByTestId('promotion-waiting-count')).toHaveTextContent(
        '2',
      ),
    );
  });
});
