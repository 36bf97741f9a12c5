import { renderInTestApp } from '@backstage/test-utils';
import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { RollbackDialog } from './RollbackDialog';

const environments = [
  {
    id: 'test',
    title: 'Test',
    currentVersion: '1.4.0',
    hasStandingApproval: false,
  },
  {
    id: 'production',
    title: 'Production',
    currentVersion: '1.3.0',
    hasStandingApproval: true,
  },
];

describe('RollbackDialog', () => {
  it('warns that the standing approval is revoked and needs a reason', async () => {
    const user = userEvent.setup({ delay: null });
    const onSubmit = jest.fn(async () => {});
    await renderInTestApp(
      <RollbackDialog
        open
        environments={environments}
        defaultEnvironmentId="production"
        onSubmit={onSubmit}
        onClose={jest.fn()}
      />,
    );

    expect(
      screen.getByText(/This revokes the standing approval of Production/),
    ).toBeInTheDocument();
    const submit = screen.getByRole('button', { name: 'Record rollback' });
    expect(submit).toBeDisabled();

    await user.selectOptions(
      screen.getByRole('combobox', { name: /Environment/ }),
      'test',
    );
    expect(
      screen.queryByText(/This revokes the standing approval/),
    ).not.toBeInTheDocument();
    await user.type(screen.getByRole('textbox', { name: /Reason/ }), 'Broken');
    await user.click(submit);

    await waitFor(() =>
      expect(onSubmit).toHaveBeenCalledWith({
        environment: 'test',
        fromVersion: '1.4.0',
        toVersion: undefined,
        reason: 'Broken',
        incidentLink: undefined,
      }),
    );
  });
});
