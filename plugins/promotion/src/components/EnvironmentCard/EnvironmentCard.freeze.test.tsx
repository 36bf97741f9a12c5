import { screen } from '@testing-library/react';
import type { EnvironmentState } from '@promotion/plugin-promotion-common';
import {
  allowAll,
  createFakePromotionApi,
  ENTITY_REF,
  flowState,
} from '../../__testUtils__/flow';
import { renderWithApis } from '../../__testUtils__/render';
import { EnvironmentCard } from './EnvironmentCard';

/*
 * A freeze window on the environment's card: the window in force as a
 * warning, the next one as information, in the backend's words.
 */

function production(freeze?: EnvironmentState['freeze']): EnvironmentState {
  const state = flowState().environments.find(
    s => s.environment.id === 'production',
  )!;
  return { ...state, ...(freeze && { freeze }) };
}

const window = {
  environmentId: 'production',
  reason: 'quarter-end close',
  timeZone: 'Europe/Paris',
  start: '2026-12-26T00:00:00+01:00',
  end: '2026-12-28T06:00:00+01:00',
};

async function renderCard(state: EnvironmentState) {
  await renderWithApis(
    <EnvironmentCard
      entityRef={ENTITY_REF}
      state={state}
      permissions={allowAll()}
      onChange={jest.fn()}
    />,
    { api: createFakePromotionApi() },
  );
}

describe('EnvironmentCard freeze windows', () => {
  it('warns that the environment is frozen, until when and why', async () => {
    await renderCard(
      production({
        ...window,
        active: true,
        message: 'Frozen until Mon 06:00 Europe/Paris: quarter-end close',
      }),
    );
    const alert = screen.getByRole('alert', { name: 'Freeze of Production' });
    expect(alert).toHaveTextContent(
      'Frozen until Mon 06:00 Europe/Paris: quarter-end close',
    );
    expect(alert.className).toMatch(/Warning/);
  });

  it('tells of the next freeze as information', async () => {
    await renderCard(
      production({
        ...window,
        active: false,
        message:
          'Next freeze from Sat 00:00 to Mon 06:00 Europe/Paris: quarter-end close',
      }),
    );
    const alert = screen.getByRole('alert', {
      name: 'Next freeze of Production',
    });
    expect(alert).toHaveTextContent(
      'Next freeze from Sat 00:00 to Mon 06:00 Europe/Paris: quarter-end close',
    );
    expect(alert.className).toMatch(/Info/);
  });

  it('says nothing of freezes where none is configured', async () => {
    await renderCard(production());
    expect(screen.queryByText(/freeze|frozen/i)).not.toBeInTheDocument();
  });
});
