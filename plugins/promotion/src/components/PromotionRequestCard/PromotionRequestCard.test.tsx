import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { renderInTestApp } from '@backstage/test-utils';
import { act, screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { pendingRequest } from '../../__testUtils__/flow';
import { fakeClockAt } from '../../__testUtils__/clock';
import { expectTextToWrap } from '../../__testUtils__/layout';
import { REQUESTER_REASON } from '../../utils/decisions';
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

  it('gives Approve and Reject one reason when both are blocked alike, shown once', async () => {
    await renderInTestApp(
      <PromotionRequestCard
        request={pendingRequest()}
        environmentTitle="Production"
        approvals={1}
        requiredApprovals={2}
        approveBlockedReason={REQUESTER_REASON}
        rejectBlockedReason={REQUESTER_REASON}
        onDecide={jest.fn()}
      />,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );

    for (const name of [
      'Approve 1.4.0 into Production',
      'Reject 1.4.0 into Production',
    ]) {
      const button = screen.getByRole('button', { name });
      expect(button).toBeDisabled();
      expect(button).toHaveAccessibleDescription(REQUESTER_REASON);
    }
    expect(screen.getAllByText(REQUESTER_REASON)).toHaveLength(1);
  });

  it('leaves out Approve and Reject for someone who may not decide', async () => {
    await renderInTestApp(
      <PromotionRequestCard
        request={pendingRequest()}
        environmentTitle="Production"
        approvals={1}
        requiredApprovals={2}
        approveBlockedReason="The permission policy does not allow you to approve or reject promotions of this flow (promotion.request.decide)"
        rejectBlockedReason="The permission policy does not allow you to approve or reject promotions of this flow (promotion.request.decide)"
        decisionsHidden
        onDecide={jest.fn()}
      />,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );

    expect(screen.getByText('1 of 2 approvals')).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: /Approve|Reject/ })).toBeNull();
    expect(screen.queryByText(/permission policy/)).toBeNull();
  });

  describe('at its deadline', () => {
    afterEach(() => {
      jest.useRealTimers();
    });

    it('shows "expired" from the deadline on, before the backend closes it, without controls', async () => {
      const expiresAt = '2024-05-08T10:00:00.000Z';
      fakeClockAt(Date.parse(expiresAt) - 5_000);
      await renderInTestApp(
        <PromotionRequestCard
          request={pendingRequest({ expiresAt })}
          environmentTitle="Production"
          approvals={1}
          requiredApprovals={2}
          onDecide={jest.fn()}
          requesterActions={{
            onEdit: jest.fn(),
            onWithdraw: jest.fn(),
          }}
        />,
        {
          mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
        },
      );
      const card = screen.getByRole('article', {
        name: 'Promote 1.4.0 into Production',
      });
      expect(within(card).getByText(/· expires /)).toBeInTheDocument();
      expect(
        within(card).getByRole('button', {
          name: 'Approve 1.4.0 into Production',
        }),
      ).toBeEnabled();

      act(() => {
        jest.advanceTimersByTime(5_000);
      });

      expect(within(card).getByText(/· expired on /)).toBeInTheDocument();
      expect(
        within(card).getByText(/can no longer be approved/),
      ).toBeInTheDocument();
      expect(
        within(card).queryAllByRole('button', {
          name: /Approve|Reject|Withdraw|Edit/,
        }),
      ).toHaveLength(0);
    });
  });
});
