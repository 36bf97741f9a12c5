import { entityRouteRef } from '@backstage/plugin-catalog-react';
import { renderInTestApp } from '@backstage/test-utils';
import { screen, within } from '@testing-library/react';
import { FlowHistory, FlowHistoryProps } from './FlowHistory';

const props: FlowHistoryProps = {
  events: [
    {
      seq: 3,
      id: 'e3',
      type: 'rollback.recorded',
      entityRef: 'component:default/payments-sftp',
      environmentId: 'production',
      version: '1.3.0',
      actor: 'user:default/alice',
      occurredAt: '2024-05-01T10:00:00.000Z',
      summary: 'Uploads failing',
      payload: {},
      previousHash: 'a',
      hash: 'b',
    },
  ],
  totalCount: 3,
  loading: false,
  hasMore: true,
  loadingMore: false,
  onLoadMore: jest.fn(),
  environmentTitles: { production: 'Production' },
};

describe('FlowHistory', () => {
  it('shows who did what, where and why', async () => {
    await renderInTestApp(<FlowHistory {...props} />, {
      mountedRoutes: { '/catalog/:namespace/:kind/:name': entityRouteRef },
    });

    const row = screen.getAllByRole('row')[1];
    expect(
      within(row).getByRole('link', { name: 'alice' }),
    ).toBeInTheDocument();
    expect(within(row).getByText('Rollback recorded')).toBeInTheDocument();
    expect(within(row).getByText('Production · 1.3.0')).toBeInTheDocument();
    expect(within(row).getByText('Uploads failing')).toBeInTheDocument();
    expect(screen.getByText('Showing 1 of 3 events')).toBeInTheDocument();
  });

  it('says so when nothing happened, and shows errors', async () => {
    await renderInTestApp(
      <FlowHistory
        {...props}
        events={[]}
        hasMore={false}
        totalCount={undefined}
        loadMoreError={new Error('cursor expired')}
      />,
    );

    expect(screen.getByText('Nothing has happened yet.')).toBeInTheDocument();
    expect(
      screen.getByText('Could not read more history: cursor expired'),
    ).toBeInTheDocument();
    expect(
      screen.queryByRole('button', { name: 'Load more history' }),
    ).not.toBeInTheDocument();
  });
});
