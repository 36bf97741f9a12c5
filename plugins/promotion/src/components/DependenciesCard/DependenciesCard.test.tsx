import { screen } from '@testing-library/react';
import {
  createFakePromotionApi,
  entity,
  flowState,
} from '../../__testUtils__/flow';
import { expectTextToWrap } from '../../__testUtils__/layout';
import { renderWithApis } from '../../__testUtils__/render';
import { DependenciesCard } from './DependenciesCard';

describe('DependenciesCard', () => {
  it('says so when the entity declares no dependencies', async () => {
    const withoutDependencies = { ...entity, relations: [] };
    await renderWithApis(<DependenciesCard entity={withoutDependencies} />, {
      api: createFakePromotionApi(),
    });

    expect(
      await screen.findByText(
        'This entity declares no dependencies (dependsOn).',
      ),
    ).toBeInTheDocument();
  });

  it("shows why a governed dependency's state is unknown", async () => {
    const api = createFakePromotionApi({
      getFlow: jest.fn(async () => {
        throw new Error('Not allowed to read ledger');
      }),
    });
    await renderWithApis(<DependenciesCard entity={entity} />, { api });

    expect(
      await screen.findByText(
        'Could not read where it stands: Not allowed to read ledger',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('Not governed by Promotion.')).toBeInTheDocument();
    expectTextToWrap(
      screen.getByText(
        'Could not read where it stands: Not allowed to read ledger',
      ),
    );
  });

  it('marks dependencies missing from the catalog', async () => {
    const dangling = {
      ...entity,
      relations: [{ type: 'dependsOn', targetRef: 'component:default/gone' }],
    };
    await renderWithApis(<DependenciesCard entity={dangling} />, {
      api: createFakePromotionApi({
        getFlow: jest.fn(async () => flowState()),
      }),
    });

    expect(
      await screen.findByText('Not found in the catalog.'),
    ).toBeInTheDocument();
  });
});
