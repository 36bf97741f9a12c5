import type { InboxItem } from '@promotion/plugin-promotion-common';
import { screen, within } from '@testing-library/react';
import {
  createFakePromotionApi,
  pendingRequest,
} from '../../__testUtils__/flow';
import { renderWithApis } from '../../__testUtils__/render';
import { REQUESTER_REASON } from '../../utils/decisions';
import { ApprovalsInbox } from './ApprovalsInbox';

function inboxItem(overrides: Partial<InboxItem> = {}): InboxItem {
  return {
    request: pendingRequest(),
    environmentTitle: 'Production',
    approvals: 1,
    requiredApprovals: 2,
    gate: { openOnceApproved: true, otherConditions: [] },
    previousSignOff: {
      environmentId: 'test',
      environmentTitle: 'Test',
      required: true,
      signOffs: [
        {
          id: 's1',
          entityRef: 'component:default/payments-sftp',
          environmentId: 'test',
          version: '1.4.0',
          signedOffBy: 'user:default/carol',
          signedOffAt: '2024-04-30T16:00:00.000Z',
          comment: 'Results confirmed with the partners',
        },
      ],
    },
    dependencyWarnings: [],
    ...overrides,
  };
}

async function renderInbox(items: InboxItem[], userEntityRef?: string) {
  const api = createFakePromotionApi({ getInbox: async () => ({ items }) });
  await renderWithApis(<ApprovalsInbox />, { api, userEntityRef });
  return screen.findByRole('article', {
    name: /payments-sftp: 1.4.0 into Production/,
  });
}

describe('ApprovalsInbox', () => {
  it("shows the backend's error instead of an empty inbox", async () => {
    const api = createFakePromotionApi({
      getInbox: jest.fn(async () => {
        throw new Error('The promotion backend is not installed');
      }),
    });
    await renderWithApis(<ApprovalsInbox />, { api });

    expect(
      (await screen.findAllByText(/The promotion backend is not installed/))
        .length,
    ).toBeGreaterThan(0);
    expect(
      screen.queryByText('Nothing is waiting for your decision.'),
    ).not.toBeInTheDocument();
  });

  it('tells the approver the gate opens once approved, and who signed off Test, when, and what they said', async () => {
    const card = await renderInbox([inboxItem()]);

    const facts = within(card).getByRole('region', {
      name: 'Before you decide on 1.4.0 into Production',
    });
    expect(
      within(facts).getByText(
        'Nothing else stands in the way: once approved, 1.4.0 may go to Production.',
      ),
    ).toBeInTheDocument();
    const signOff = within(facts).getByRole('region', { name: 'Sign-off' });
    expect(signOff).toHaveTextContent(/^Test signed off by carol on /);
    expect(signOff).toHaveTextContent(
      new Date('2024-04-30T16:00:00.000Z').toLocaleString(),
    );
    expect(signOff).toHaveTextContent('“Results confirmed with the partners”');
    expect(within(card).queryByText(/depends on/)).not.toBeInTheDocument();
  });

  it('names a dependency the environment requires once, with a link to it', async () => {
    const card = await renderInbox([
      inboxItem({
        gate: {
          openOnceApproved: false,
          otherConditions: [
            {
              code: 'dependency-missing',
              message: 'ledger is not in Production yet.',
              environmentId: 'production',
              dependencyRef: 'component:default/ledger',
            },
          ],
        },
        dependencyWarnings: [
          {
            entityRef: 'component:default/ledger',
            environmentId: 'production',
          },
        ],
      }),
    ]);

    const conditions = within(card).getByRole('list', {
      name: 'Other open conditions',
    });
    expect(conditions).toHaveTextContent(
      'ledger is not in Production yet. See ledger.',
    );
    expect(
      within(conditions).getByRole('link', { name: 'ledger' }),
    ).toHaveAttribute('href', '/catalog/default/component/ledger');
    // Said once: the gate's condition stands for the warning.
    expect(within(card).getAllByRole('link', { name: 'ledger' })).toHaveLength(
      1,
    );
    expect(
      within(card).queryByText(/which this flow depends on/),
    ).not.toBeInTheDocument();
  });

  it('lists what else the gate waits for, a missing sign-off, and a dependsOn flow not in the environment yet', async () => {
    const card = await renderInbox([
      inboxItem({
        gate: {
          openOnceApproved: false,
          otherConditions: [
            {
              code: 'checklist-incomplete',
              message:
                'The Test checklist is incomplete for 1.4.0: End-to-end tests.',
              environmentId: 'test',
              itemIds: ['e2e-tests'],
            },
          ],
        },
        previousSignOff: {
          environmentId: 'test',
          environmentTitle: 'Test',
          required: true,
          signOffs: [],
        },
        dependencyWarnings: [
          {
            entityRef: 'component:default/ledger',
            environmentId: 'production',
          },
        ],
      }),
    ]);

    expect(
      within(card).getByText(
        /Even once approved, 1.4.0 cannot go to Production yet/,
      ),
    ).toBeInTheDocument();
    const conditions = within(card).getByRole('list', {
      name: 'Other open conditions',
    });
    expect(
      within(conditions).getByText(
        'The Test checklist is incomplete for 1.4.0: End-to-end tests.',
      ),
    ).toBeInTheDocument();
    expect(
      within(card).getByText('Test is not signed off for 1.4.0 yet.'),
    ).toBeInTheDocument();
    const warning = within(card)
      .getByRole('link', { name: 'ledger' })
      .closest('[role="alert"]');
    expect(warning).toHaveTextContent(
      'ledger, which this flow depends on, has no version in Production yet.',
    );
    expect(within(card).getByRole('link', { name: 'ledger' })).toHaveAttribute(
      'href',
      '/catalog/default/component/ledger',
    );
  });

  it('gives the requester one reason on Approve and Reject', async () => {
    const card = await renderInbox(
      [inboxItem({ cannotDecideReason: REQUESTER_REASON })],
      'user:default/alice',
    );

    for (const name of [
      'Approve 1.4.0 into Production',
      'Reject 1.4.0 into Production',
    ]) {
      const button = within(card).getByRole('button', { name });
      expect(button).toBeDisabled();
      expect(button).toHaveAccessibleDescription(REQUESTER_REASON);
    }
    expect(within(card).getAllByText(REQUESTER_REASON)).toHaveLength(1);
  });
});
