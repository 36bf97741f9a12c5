import { screen } from '@testing-library/react';
import { createFakePromotionApi } from '../../__testUtils__/flow';
import { renderWithApis } from '../../__testUtils__/render';
import { ApprovalsInbox } from './ApprovalsInbox';

describe('ApprovalsInbox', () => {
  it("shows the backend's error instead of an empty inbox", async () => {
    const api = createFakePromotionApi({
      getInbox: jest.fn(async () => {
        throw new Error('The promotion backend is not installed');
      }),
    });
    await renderWithApis(<ApprovalsInbox />, { api });

    expect(
      (await screen.findAllByText(/The promotion backend is not installed/))
        .length,
    ).toBeGreaterThan(0);
    expect(
      screen.queryByText('Nothing is waiting for your decision.'),
    ).not.toBeInTheDocument();
  });
});
