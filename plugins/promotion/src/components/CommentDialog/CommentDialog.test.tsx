import { renderInTestApp } from '@backstage/test-utils';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { CommentDialog } from './CommentDialog';

describe('CommentDialog', () => {
  it('requires a comment, submits it trimmed and closes', async () => {
    const user = userEvent.setup({ delay: null });
    const onSubmit = jest.fn(async () => {});
    const onClose = jest.fn();
    await renderInTestApp(
      <CommentDialog
        open
        title="Sign off 1.4.0 on Test"
        label="Comment"
        submitLabel="Sign off"
        onSubmit={onSubmit}
        onClose={onClose}
      />,
    );

    const submit = screen.getByRole('button', { name: 'Sign off' });
    expect(submit).toBeDisabled();
    await user.type(screen.getByRole('textbox', { name: /Comment/ }), '   ');
    expect(submit).toBeDisabled();
    await user.type(screen.getByRole('textbox', { name: /Comment/ }), 'ok  ');
    await user.click(submit);

    await waitFor(() => expect(onSubmit).toHaveBeenCalledWith('ok'));
    expect(onClose).toHaveBeenCalled();
  });

  it('is usable from the keyboard alone', async () => {
    const user = userEvent.setup({ delay: null });
    const onSubmit = jest.fn(async () => {});
    await renderInTestApp(
      <CommentDialog
        open
        title="Revoke the standing approval of Production"
        label="Reason"
        submitLabel="Revoke"
        onSubmit={onSubmit}
        onClose={jest.fn()}
      />,
    );

    await user.tab();
    expect(screen.getByRole('textbox', { name: /Reason/ })).toHaveFocus();
    await user.keyboard('Incident INC-9');
    await user.tab();
    expect(screen.getByRole('button', { name: 'Cancel' })).toHaveFocus();
    await user.tab();
    expect(screen.getByRole('button', { name: 'Revoke' })).toHaveFocus();
    await user.keyboard('{Enter}');

    await waitFor(() =>
      expect(onSubmit).toHaveBeenCalledWith('Incident INC-9'),
    );
  });

  it('allows an empty text when not required', async () => {
    const user = userEvent.setup({ delay: null });
    const onSubmit = jest.fn(async () => {});
    await renderInTestApp(
      <CommentDialog
        open
        title="Withdraw"
        label="Reason"
        required={false}
        submitLabel="Withdraw"
        onSubmit={onSubmit}
        onClose={jest.fn()}
      />,
    );

    await user.click(screen.getByRole('button', { name: 'Withdraw' }));
    await waitFor(() => expect(onSubmit).toHaveBeenCalledWith(''));
  });
});
