import { SidebarOpenStateProvider } from '@backstage/core-components';
import { renderInTestApp } from '@backstage/test-utils';
import { screen } from '@testing-library/react';
import { rootRouteRef } from '../../routes';
import { PromotionSidebarItem } from './PromotionSidebarItem';

describe('PromotionSidebarItem', () => {
  it('links to the Approvals page wherever the app mounts it', async () => {
    await renderInTestApp(
      <SidebarOpenStateProvider value={{ isOpen: true, setOpen: () => {} }}>
        <PromotionSidebarItem />
      </SidebarOpenStateProvider>,
      { mountedRoutes: { '/governance/approvals': rootRouteRef } },
    );

    expect(screen.getByRole('link', { name: /Approvals/ })).toHaveAttribute(
      'href',
      '/governance/approvals',
    );
  });
});
