import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  createFakePromotionApi,
  deploymentTrail,
  ENTITY_REF,
} from '../../__testUtils__/flow';
import { renderWithApis } from '../../__testUtils__/render';
import { EntityPromotionContent } from './EntityPromotionContent';

/*
 * The verification report's evidence links to the flow's Promotion tab with
 * `?deployment=<id>`: the tab opens the trail of that deployment.
 */
describe('EntityPromotionContent opened on a deployment', () => {
  it('opens "Why is V here?" for the deployment the URL names, and closes it', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi({
      getDeploymentTrail: jest.fn(async () => deploymentTrail()),
    });
    await renderWithApis(<EntityPromotionContent />, {
      api,
      routeEntries: ['/?deployment=dep-9'],
    });

    const dialog = await screen.findByRole('dialog', {
      name: 'Why is 1.3.0 in Production?',
    });
    expect(api.getDeploymentTrail).toHaveBeenCalledWith(ENTITY_REF, 'dep-9');
    expect(
      await within(dialog).findByRole('region', { name: 'Who requested it?' }),
    ).toBeInTheDocument();
    // The tab itself is there behind it.
    expect(
      screen.getByRole('region', { name: 'Ladder', hidden: true }),
    ).toBeInTheDocument();

    await user.click(within(dialog).getByRole('button', { name: 'Close' }));
    await waitFor(() =>
      expect(screen.queryByRole('dialog')).not.toBeInTheDocument(),
    );
  });

  it('opens no trail without the parameter', async () => {
    const api = createFakePromotionApi({
      getDeploymentTrail: jest.fn(async () => deploymentTrail()),
    });
    await renderWithApis(<EntityPromotionContent />, { api });

    expect(
      await screen.findByRole('region', { name: 'Ladder' }),
    ).toBeInTheDocument();
    expect(screen.queryByRole('dialog')).not.toBeInTheDocument();
    expect(api.getDeploymentTrail).not.toHaveBeenCalled();
  });
});
