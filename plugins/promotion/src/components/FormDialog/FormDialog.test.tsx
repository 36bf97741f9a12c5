import { renderInTestApp } from '@backstage/test-utils';
import { ResponseError } from '@backstage/errors';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { FormDialog } from './FormDialog';

describe('FormDialog', () => {
  it('submits, then closes', async () => {
    const onSubmit = jest.fn().mockResolvedValue(undefined);
    const onClose = jest.fn();
    await renderInTestApp(
      <FormDialog
        open
        title="Sign off Test"
        submitLabel="Sign off"
        canSubmit
        onSubmit={onSubmit}
        onClose={onClose}
      >
        <p>Confirm the results.</p>
      </FormDialog>,
    );
    expect(screen.getByRole('dialog', { name: 'Sign off Test' })).toBeVisible();
    await userEvent.click(screen.getByRole('button', { name: 'Sign off' }));
    expect(onSubmit).toHaveBeenCalledTimes(1);
    await waitFor(() => expect(onClose).toHaveBeenCalledTimes(1));
  });

  it('keeps the submit button disabled while the form is incomplete', async () => {
    const onSubmit = jest.fn();
    await renderInTestApp(
      <FormDialog
        open
        title="Reject"
        submitLabel="Reject"
        canSubmit={false}
        onSubmit={onSubmit}
        onClose={jest.fn()}
      >
        <p>Say why.</p>
      </FormDialog>,
    );
    expect(screen.getByRole('button', { name: 'Reject' })).toBeDisabled();
    expect(onSubmit).not.toHaveBeenCalled();
  });

  it('stays open and shows the backend message when the call fails', async () => {
    const response = new Response(
      JSON.stringify({
        error: {
          name: 'ConflictError',
          message: 'This request is no longer pending',
        },
        response: { statusCode: 409 },
      }),
      { status: 409, headers: { 'Content-Type': 'application/json' } },
    );
    const onSubmit = jest
      .fn()
      .mockRejectedValue(await ResponseError.fromResponse(response));
    const onClose = jest.fn();
    await renderInTestApp(
      <FormDialog
        open
        title="Approve"
        submitLabel="Approve"
        canSubmit
        onSubmit={onSubmit}
        onClose={onClose}
      >
        <p>Approve 1.4.0 into Production.</p>
      </FormDialog>,
    );
    await userEvent.click(screen.getByRole('button', { name: 'Approve' }));
    expect(
      await screen.findByText('This request is no longer pending'),
    ).toBeInTheDocument();
    expect(onClose).not.toHaveBeenCalled();
    expect(screen.getByRole('button', { name: 'Cancel' })).toBeEnabled();
  });
});
