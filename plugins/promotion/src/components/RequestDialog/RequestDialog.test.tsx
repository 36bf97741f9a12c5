import { renderInTestApp } from '@backstage/test-utils';
import { screen, waitFor, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createFakePromotionApi } from '../../__testUtils__/flow';
import { renderWithApis } from '../../__testUtils__/render';
import { RequestDialog } from './RequestDialog';

const dossier = {
  whatChanged: 'Retry logic',
  why: 'Partners asked',
  testResults: '- [x] Smoke tests',
  releaseNotes: 'Retries failed uploads',
};

describe('RequestDialog', () => {
  it('says which dependencies still keep the version out once approved, with links', async () => {
    await renderWithApis(
      <RequestDialog
        open
        mode="create"
        environmentTitle="Production"
        version="1.4.0"
        initialDossier={dossier}
        openConditions={[
          {
            code: 'dependency-missing',
            message: 'ledger is not in Production yet.',
            environmentId: 'production',
            dependencyRef: 'component:default/ledger',
          },
        ]}
        onSubmit={jest.fn(async () => {})}
        onClose={jest.fn()}
      />,
      { api: createFakePromotionApi() },
    );

    const dialog = screen.getByRole('dialog', {
      name: 'Request promotion of 1.4.0 into Production',
    });
    const still = within(dialog).getByLabelText('Still needed once approved');
    expect(still).toHaveTextContent(
      'Even once approved, 1.4.0 cannot go to Production until:ledger is not in Production yet. See ledger.',
    );
    expect(within(still).getByRole('link', { name: 'ledger' })).toHaveAttribute(
      'href',
      '/catalog/default/component/ledger',
    );
  });

  it('says nothing of dependencies when none is missing', async () => {
    await renderInTestApp(
      <RequestDialog
        open
        mode="create"
        environmentTitle="Production"
        version="1.4.0"
        initialDossier={dossier}
        openConditions={[]}
        onSubmit={jest.fn(async () => {})}
        onClose={jest.fn()}
      />,
    );
    expect(
      screen.queryByLabelText('Still needed once approved'),
    ).not.toBeInTheDocument();
  });

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
