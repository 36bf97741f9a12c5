import { screen, within } from '@testing-library/react';
import {
  createFakePromotionApi,
  entityWithoutAnnotation,
  flowState,
  pendingRequest,
} from '../../__testUtils__/flow';
import { renderWithApis } from '../../__testUtils__/render';
import { EntityPromotionCard } from './EntityPromotionCard';

describe('EntityPromotionCard', () => {
  it('shows the compact ladder and the next step in one line', async () => {
    const api = createFakePromotionApi({
      getFlow: jest.fn(async () => ({
        ...flowState(),
        pendingRequests: [pendingRequest()],
      })),
    });
    await renderWithApis(<EntityPromotionCard />, { api });

    const ladder = await screen.findByRole('region', { name: 'Ladder' });
    expect(within(ladder).getByText('Test')).toBeInTheDocument();
    expect(within(ladder).getByText('1.3.0')).toBeInTheDocument();
    expect(
      screen.getByText('1.4.0 cannot go to Production yet: 3 open conditions.'),
    ).toBeInTheDocument();
    expect(
      screen.getByText('1 promotion request waiting for a decision.'),
    ).toBeInTheDocument();
  });

  it("shows the backend's error", async () => {
    const api = createFakePromotionApi({
      getFlow: jest.fn(async () => {
        throw new Error('Promotion is not reachable');
      }),
    });
    await renderWithApis(<EntityPromotionCard />, { api });

    expect(
      (await screen.findAllByText(/Promotion is not reachable/)).length,
    ).toBeGreaterThan(0);
  });

  it('shows how to opt in without the annotation', async () => {
    await renderWithApis(<EntityPromotionCard />, {
      api: createFakePromotionApi(),
      entity: entityWithoutAnnotation,
    });

    expect(screen.getByText('Missing Annotation')).toBeInTheDocument();
  });
});
