import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  allowAll,
  createFakePromotionApi,
  flowState,
  pendingRequest,
} from '../../__testUtils__/flow';
import { renderWithApis } from '../../__testUtils__/render';
import { PendingRequests } from './PendingRequests';

function flowWithRequest() {
  return { ...flowState(), pendingRequests: [pendingRequest()] };
}

describe('PendingRequests', () => {
  it('says so when nothing is pending', async () => {
    await renderWithApis(
      <PendingRequests
        flow={flowState()}
        permissions={allowAll()}
        userEntityRef="user:default/dave"
        onChange={jest.fn()}
      />,
      { api: createFakePromotionApi() },
    );

    expect(
      screen.getByText('No promotion request is waiting for a decision.'),
    ).toBeInTheDocument();
  });

  it('lets the requester edit the dossier, sending the revision they saw', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi();
    const onChange = jest.fn();
    await renderWithApis(
      <PendingRequests
        flow={flowWithRequest()}
        permissions={allowAll()}
        userEntityRef="user:default/alice"
        onChange={onChange}
      />,
      { api },
    );

    await user.click(
      screen.getByRole('button', {
        name: 'Edit dossier of 1.4.0 into Production',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    await user.type(
      within(dialog).getByRole('textbox', { name: /Release notes/ }),
      '.',
    );
    await user.click(
      within(dialog).getByRole('button', { name: 'Save dossier' }),
    );

    await waitFor(() =>
      expect(api.editRequest).toHaveBeenCalledWith('r1', {
        dossier: {
          ...pendingRequest().dossier,
          releaseNotes: 'Retries failed uploads.',
        },
        revision: 2,
      }),
    );
    expect(onChange).toHaveBeenCalled();
  });

  it('lets the requester withdraw with an optional reason', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi();
    await renderWithApis(
      <PendingRequests
        flow={flowWithRequest()}
        permissions={allowAll()}
        userEntityRef="user:default/alice"
        onChange={jest.fn()}
      />,
      { api },
    );

    await user.click(
      screen.getByRole('button', { name: 'Withdraw 1.4.0 into Production' }),
    );
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByRole('textbox'), 'Superseded by 1.4.1');
    await user.click(within(dialog).getByRole('button', { name: 'Withdraw' }));

    await waitFor(() =>
      expect(api.withdrawRequest).toHaveBeenCalledWith('r1', {
        reason: 'Superseded by 1.4.1',
      }),
    );
  });

  it('waits for the permission decision before enabling Approve', async () => {
    await renderWithApis(
      <PendingRequests
        flow={flowWithRequest()}
        permissions={undefined}
        userEntityRef="user:default/dave"
        onChange={jest.fn()}
      />,
      { api: createFakePromotionApi() },
    );

    expect(
      screen.getByRole('button', { name: 'Approve 1.4.0 into Production' }),
    ).toBeDisabled();
  });
});
