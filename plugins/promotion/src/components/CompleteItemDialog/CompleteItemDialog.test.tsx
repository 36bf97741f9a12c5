import { renderInTestApp } from '@backstage/test-utils';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { CompleteItemDialog } from './CompleteItemDialog';

describe('CompleteItemDialog', () => {
  it('requires an http(s) evidence link when the item needs evidence', async () => {
    const user = userEvent.setup({ delay: null });
    const onSubmit = jest.fn(async () => {});
    await renderInTestApp(
      <CompleteItemDialog
        open
        itemTitle="Smoke tests"
        appliesTo="version 1.4.0 on Test"
        evidenceRequired
        onSubmit={onSubmit}
        onClose={jest.fn()}
      />,
    );

    const complete = screen.getByRole('button', { name: 'Complete' });
    expect(complete).toBeDisabled();
    const link = screen.getByRole('textbox', { name: /Evidence link/ });
    await user.type(link, 'ftp://files.example.com/run/7');
    expect(
      screen.getByText('The evidence link must be an http(s) address.'),
    ).toBeInTheDocument();
    expect(complete).toBeDisabled();

    await user.clear(link);
    await user.type(link, 'https://ci.example.com/run/7');
    await user.click(complete);

    await waitFor(() =>
      expect(onSubmit).toHaveBeenCalledWith({
        evidenceLink: 'https://ci.example.com/run/7',
        note: undefined,
      }),
    );
  });

  it("shows the backend's message and stays open when completion fails", async () => {
    const user = userEvent.setup({ delay: null });
    const onClose = jest.fn();
    await renderInTestApp(
      <CompleteItemDialog
        open
        itemTitle="Monitor logs"
        appliesTo="version 1.3.0 on Production"
        evidenceRequired={false}
        onSubmit={async () => {
          throw new Error('The minimum wait has not elapsed.');
        }}
        onClose={onClose}
      />,
    );

    await user.click(screen.getByRole('button', { name: 'Complete' }));

    expect(
      await screen.findByText('The minimum wait has not elapsed.'),
    ).toBeInTheDocument();
    expect(onClose).not.toHaveBeenCalled();
  });
});
