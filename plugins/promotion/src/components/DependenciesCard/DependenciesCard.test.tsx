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

  it('says which dependency blocks which environment, as the gate answers', async () => {
    const own = {
      ...flowState(),
      dependencies: [
        {
          environmentId: 'production',
          checks: [
            {
              entityRef: 'component:default/ledger',
              environmentId: 'production',
              status: 'unmet' as const,
              message: 'ledger is not in Production yet.',
            },
            {
              entityRef: 'resource:default/payments-db',
              environmentId: 'production',
              status: 'not-a-flow' as const,
              message:
                'payments-db is not a component taking part in Promotion: not checked.',
            },
          ],
        },
      ],
    };
    await renderWithApis(<DependenciesCard entity={entity} flow={own} />, {
      api: createFakePromotionApi({
        getFlow: jest.fn(async () => flowState()),
      }),
    });

    expect(
      await screen.findByText(
        'Blocks Production: ledger is not in Production yet.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Production gate: payments-db is not a component taking part in Promotion: not checked.',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'A version enters Production only once every flow this one depends on has a version there.',
      ),
    ).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'ledger' })).toHaveAttribute(
      'href',
      '/catalog/default/component/ledger',
    );
  });

  it('says nothing of a gate when no environment requires the dependencies', async () => {
    await renderWithApis(
      <DependenciesCard entity={entity} flow={flowState()} />,
      {
        api: createFakePromotionApi({
          getFlow: jest.fn(async () => flowState()),
        }),
      },
    );
    expect(
      await screen.findByText('Not governed by Promotion.'),
    ).toBeInTheDocument();
    expect(screen.queryByText(/Blocks|gate:/)).not.toBeInTheDocument();
  });
});
