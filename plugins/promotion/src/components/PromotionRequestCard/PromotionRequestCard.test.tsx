import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { renderInTestApp } from '@backstage/test-utils';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { pendingRequest } from '../../__testUtils__/flow';
import { expectTextToWrap } from '../../__testUtils__/layout';
import { PromotionRequestCard } from './PromotionRequestCard';

describe('PromotionRequestCard', () => {
  it('shows progress, decisions and the dossier on demand', async () => {
    const user = userEvent.setup({ delay: null });
    await renderInTestApp(
      <PromotionRequestCard
        request={pendingRequest()}
        environmentTitle="Production"
        approvals={1}
        requiredApprovals={2}
        onDecide={jest.fn()}
      />,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );

    const card = screen.getByRole('article', {
      name: 'Promote 1.4.0 into Production',
    });
    expect(
      within(card).getByRole('progressbar', {
        name: 'Approval progress for 1.4.0 into Production',
      }),
    ).toHaveAttribute('aria-valuenow', '50');
    const decisions = within(card).getByRole('list', { name: 'Decisions' });
    expect(within(decisions).getByText('“Fine by me”')).toBeInTheDocument();
    expect(within(decisions).getByText(/no longer counts/)).toBeInTheDocument();
    // A comment is read whole, however long.
    expectTextToWrap(within(decisions).getByText('“Fine by me”'));

    await user.click(within(card).getByRole('button', { name: 'Dossier' }));
    expect(within(card).getByText('SFTP').tagName).toBe('STRONG');
    expect(
      within(card).queryByRole('button', { name: /Withdraw/ }),
    ).not.toBeInTheDocument();
  });

  it('passes the decision and comment to onDecide', async () => {
    const user = userEvent.setup({ delay: null });
    const onDecide = jest.fn(async () => {});
    await renderInTestApp(
      <PromotionRequestCard
        request={pendingRequest()}
        environmentTitle="Production"
        approvals={1}
        requiredApprovals={2}
        onDecide={onDecide}
      />,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );

    await user.click(
      screen.getByRole('button', { name: 'Reject 1.4.0 into Production' }),
    );
    const dialog = await screen.findByRole('dialog', {
      name: 'Reject 1.4.0 into Production',
    });
    await user.type(
      within(dialog).getByRole('textbox'),
      'Missing e2e evidence',
    );
    await user.click(within(dialog).getByRole('button', { name: 'Reject' }));

    expect(onDecide).toHaveBeenCalledWith('reject', 'Missing e2e evidence');
  });
});
