import { renderInTestApp } from '@backstage/test-utils';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { RequestDialog } from './RequestDialog';

const dossier = {
  whatChanged: 'Retry logic',
  why: 'Partners asked',
  testResults: '- [x] Smoke tests',
  releaseNotes: 'Retries failed uploads',
};

describe('RequestDialog', () => {
  it('warns that editing the dossier voids the approvals, and saves the edit', async () => {
    const user = userEvent.setup({ delay: null });
    const onSubmit = jest.fn(async () => {});
    await renderInTestApp(
      <RequestDialog
        open
        mode="edit"
        environmentTitle="Production"
        version="1.4.0"
        initialDossier={dossier}
        onSubmit={onSubmit}
        onClose={jest.fn()}
      />,
    );

    expect(
      screen.getByRole('dialog', {
        name: 'Edit the dossier for 1.4.0 into Production',
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByText(/Editing the dossier voids the approvals already given/),
    ).toBeInTheDocument();
    await user.type(screen.getByRole('textbox', { name: /^Why/ }), ' again');
    await user.click(screen.getByRole('button', { name: 'Save dossier' }));

    await waitFor(() =>
      expect(onSubmit).toHaveBeenCalledWith({
        ...dossier,
        why: 'Partners asked again',
      }),
    );
  });

  it('cannot be submitted without saying what changed and why', async () => {
    const user = userEvent.setup({ delay: null });
    await renderInTestApp(
      <RequestDialog
        open
        mode="create"
        environmentTitle="Production"
        version="1.4.0"
        initialDossier={dossier}
        onSubmit={jest.fn()}
        onClose={jest.fn()}
      />,
    );

    const submit = screen.getByRole('button', { name: 'Request promotion' });
    expect(submit).toBeEnabled();
    await user.clear(screen.getByRole('textbox', { name: /Release notes/ }));
    expect(submit).toBeEnabled();
    await user.clear(screen.getByRole('textbox', { name: /^Why/ }));
    expect(submit).toBeDisabled();
  });
});
