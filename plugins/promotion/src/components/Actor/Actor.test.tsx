import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { Actor } from './Actor';

describe('Actor', () => {
  it('links users to the catalog and shows service principals as text', async () => {
    await renderInTestApp(
      <>
        <Actor entityRef="user:default/alice" />
        <span> and </span>
        <Actor entityRef="service:ci" />
      </>,
      { mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef } },
    );

    expect(screen.getByRole('link', { name: 'alice' })).toHaveAttribute(
      'href',
      '/catalog/default/user/alice',
    );
    expect(screen.getByText('service:ci')).toBeInTheDocument();
    expect(screen.getAllByRole('link')).toHaveLength(1);
  });
});
