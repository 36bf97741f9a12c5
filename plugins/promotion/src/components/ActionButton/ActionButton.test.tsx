import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { ActionButton } from './ActionButton';

describe('ActionButton', () => {
  it('is an ordinary, named button when allowed', async () => {
    const user = userEvent.setup({ delay: null });
    const onClick = jest.fn();
    await renderInTestApp(
      <ActionButton
        label="Approve"
        accessibleName="Approve 1.4.0 into Production"
        onClick={onClick}
      />,
    );

    await user.tab();
    const button = screen.getByRole('button', {
      name: 'Approve 1.4.0 into Production',
    });
    expect(button).toHaveFocus();
    expect(button).toHaveTextContent('Approve');
    await user.keyboard('{Enter}');
    expect(onClick).toHaveBeenCalled();
  });

  it('is disabled and says why, visibly and to assistive technology', async () => {
    const onClick = jest.fn();
    await renderInTestApp(
      <ActionButton
        label="Approve"
        onClick={onClick}
        disabledReason="You requested this promotion, so you cannot approve it."
      />,
    );

    const button = screen.getByRole('button', { name: 'Approve' });
    expect(button).toBeDisabled();
    expect(button).toHaveAccessibleDescription(
      'You requested this promotion, so you cannot approve it.',
    );
    expect(
      screen.getByText(
        'You requested this promotion, so you cannot approve it.',
      ),
    ).toBeVisible();
  });
});
