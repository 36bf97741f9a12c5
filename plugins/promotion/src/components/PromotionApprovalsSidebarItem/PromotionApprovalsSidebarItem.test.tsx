import { SidebarOpenStateProvider } from '@backstage/core-components';
import { identityApiRef } from '@backstage/core-plugin-api';
import { signalApiRef } from '@backstage/plugin-signals-react';
import {
  mockApis,
  renderInTestApp,
  TestApiProvider,
} from '@backstage/test-utils';
import type { InboxItem } from '@promotion/plugin-promotion-common';
import { act, screen, waitFor } from '@testing-library/react';
import { promotionApiRef } from '../../api';
import { fakeClockAt } from '../../__testUtils__/clock';
import {
  createFakePromotionApi,
  pendingRequest,
} from '../../__testUtils__/flow';
import { rootRouteRef } from '../../routes';
import {
  PromotionApprovalsSidebarItem,
  PromotionSidebarItem,
} from './PromotionApprovalsSidebarItem';

function item(id: string, overrides: Partial<InboxItem> = {}): InboxItem {
  return {
    request: pendingRequest({ id }),
    environmentTitle: 'Production',
    approvals: 0,
    requiredApprovals: 1,
    gate: { openOnceApproved: true, otherConditions: [] },
    dependencyWarnings: [],
    ...overrides,
  };
}

async function renderItem(
  getInbox: () => Promise<{ items: InboxItem[] }>,
  signalApi?: object,
) {
  const api = createFakePromotionApi({ getInbox: jest.fn(getInbox) });
  await renderInTestApp(
    <TestApiProvider
      apis={[
        [promotionApiRef, api],
        [
          identityApiRef,
          mockApis.identity({ userEntityRef: 'user:default/dana' }),
        ],
        ...(signalApi ? [[signalApiRef, signalApi] as const] : []),
      ]}
    >
      <SidebarOpenStateProvider value={{ isOpen: true, setOpen: () => {} }}>
        <PromotionApprovalsSidebarItem />
      </SidebarOpenStateProvider>
    </TestApiProvider>,
    { mountedRoutes: { '/governance/approvals': rootRouteRef } },
  );
  return api;
}

describe('PromotionApprovalsSidebarItem', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('links to the Approvals page wherever the app mounts it', async () => {
    await renderItem(async () => ({ items: [] }));

    expect(screen.getByRole('link', { name: /Approvals/ })).toHaveAttribute(
      'href',
      '/governance/approvals',
    );
  });

  it('shows how many requests wait for the signed-in user, not those they cannot decide', async () => {
    await renderItem(async () => ({
      items: [
        item('r1'),
        item('r2'),
        item('r3', {
          cannotDecideReason:
            'You requested this promotion; another approver decides it.',
        }),
      ],
    }));

    const link = await screen.findByRole('link', {
      name: 'Approvals, 2 waiting for you',
    });
    expect(link).toHaveAttribute('href', '/governance/approvals');
    expect(screen.getByTestId('promotion-waiting-count')).toHaveTextContent(
      '2',
    );
  });

  it('shows no count when nothing waits', async () => {
    const api = await renderItem(async () => ({ items: [] }));

    await waitFor(() => expect(api.getInbox).toHaveBeenCalled());
    expect(screen.getByRole('link', { name: 'Approvals' })).toBeInTheDocument();
    expect(screen.getByTestId('promotion-waiting-count')).not.toHaveTextContent(
      /\d/,
    );
  });

  it('counts again when a signal arrives on the inbox channel', async () => {
    let publish: (message: object) => void = () => {};
    const signalApi = {
      subscribe: jest.fn((channel: string, onMessage: (m: any) => void) => {
        if (channel === 'promotion:inbox') {
          publish = onMessage;
        }
        return { unsubscribe: jest.fn() };
      }),
    };
    let items = [item('r1')];
    await renderItem(async () => ({ items }), signalApi);
    await screen.findByRole('link', { name: 'Approvals, 1 waiting for you' });

    items = [item('r1'), item('r2'), item('r3')];
    act(() => publish({ type: 'request.created' }));

    expect(
      await screen.findByRole('link', { name: 'Approvals, 3 waiting for you' }),
    ).toBeInTheDocument();
  });

  it('stops counting a request at its deadline, whenever the backend closes it', async () => {
    const expiresAt = '2024-05-08T10:00:00.000Z';
    fakeClockAt(Date.parse(expiresAt) - 1_000);
    await renderItem(async () => ({
      items: [
        item('r1', { request: pendingRequest({ expiresAt }) }),
        item('r2'),
      ],
    }));
    await screen.findByRole('link', { name: 'Approvals, 2 waiting for you' });

    act(() => {
      jest.advanceTimersByTime(1_000);
    });

    expect(
      screen.getByRole('link', { name: 'Approvals, 1 waiting for you' }),
    ).toBeInTheDocument();
  });

  it('is still exported under its former name', () => {
    expect(PromotionSidebarItem).toBe(PromotionApprovalsSidebarItem);
  });
});
