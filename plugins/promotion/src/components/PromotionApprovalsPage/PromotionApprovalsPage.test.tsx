import { signalApiRef } from '@backstage/plugin-signals-react';
import type {
  ChainVerification,
  InboxItem,
  VerificationReport,
} from '@promotion/plugin-promotion-common';
import {
  act,
  fireEvent,
  screen,
  waitFor,
  within,
} from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  createFakePromotionApi,
  pendingRequest,
} from '../../__testUtils__/flow';
import { renderWithApis } from '../../__testUtils__/render';
import { PromotionApprovalsPage } from './PromotionApprovalsPage';

const report: VerificationReport = {
  from: '2024-04-01T00:00:00.000Z',
  to: '2024-05-01T00:00:00.000Z',
  generatedAt: '2024-05-01T00:00:00.000Z',
  deploymentsChecked: 12,
  violations: [
    {
      entityRef: 'component:default/payments-sftp',
      environmentId: 'production',
      environmentTitle: 'Production',
      version: '1.2.0',
      deploymentId: 'dep-3',
      occurredAt: '2024-04-10T10:00:00.000Z',
      failedChecks: [
        {
          kind: 'production-without-approval',
          title: 'No Production deployment without approval',
          sentences: ['Deployed to Production without an approval'],
        },
      ],
      evidence:
        '/catalog/default/component/payments-sftp/promotion?deployment=dep-3',
    },
  ],
  pending: [],
  checks: [
    {
      kind: 'production-without-approval',
      title: 'No Production deployment without approval',
      explanation: 'The gate had its approval.',
      passed: false,
      failedDeployments: 1,
    },
    {
      kind: 'not-validated-before-deployment',
      title: 'Test validated before Production',
      explanation: 'Test was validated.',
      passed: true,
      failedDeployments: 0,
    },
  ],
};

const intact: ChainVerification = {
  intact: true,
  eventsChecked: 340,
  verifiedAt: '2024-05-01T00:00:00.000Z',
};

function inboxItems(): InboxItem[] {
  return [
    {
      request: pendingRequest(),
      environmentTitle: 'Production',
      approvals: 1,
      requiredApprovals: 2,
      gate: { openOnceApproved: true, otherConditions: [] },
      dependencyWarnings: [],
    },
    {
      request: pendingRequest({
        id: 'r2',
        entityRef: 'component:default/ledger',
        version: '2.0.0',
        requestedBy: 'user:default/dave',
        decisions: [],
      }),
      environmentTitle: 'Production',
      approvals: 0,
      requiredApprovals: 1,
      cannotDecideReason:
        'You requested this promotion, so you cannot approve it',
      gate: { openOnceApproved: true, otherConditions: [] },
      dependencyWarnings: [],
    },
  ];
}

function fakeApi() {
  return createFakePromotionApi({
    getInbox: jest.fn(async () => ({ items: inboxItems() })),
    getVerificationReport: jest.fn(async () => report),
    verifyAuditChain: jest.fn(async () => intact),
  });
}

describe('PromotionApprovalsPage', () => {
  const createObjectURL = jest.fn(() => 'blob:report');
  const revokeObjectURL = jest.fn();

  beforeAll(() => {
    // jsdom has no object URLs; the download helper needs them.
    Object.assign(URL, { createObjectURL, revokeObjectURL });
  });
  beforeEach(() => {
    createObjectURL.mockClear();
  });

  it('lists every request waiting for the approver, with links to the flows and progress', async () => {
    const api = fakeApi();
    await renderWithApis(<PromotionApprovalsPage />, { api });

    const first = await screen.findByRole('article', {
      name: /payments-sftp: 1.4.0 into Production/,
    });
    expect(
      within(first).getByRole('link', { name: 'payments-sftp' }),
    ).toHaveAttribute('href', '/catalog/default/component/payments-sftp');
    expect(within(first).getByText('1 of 2 approvals')).toBeInTheDocument();
    expect(
      within(first).getByRole('button', {
        name: 'Approve 1.4.0 into Production',
      }),
    ).toBeEnabled();

    const second = screen.getByRole('article', {
      name: /ledger: 2.0.0 into Production/,
    });
    expect(
      within(second).getByRole('button', {
        name: 'Approve 2.0.0 into Production',
      }),
    ).toHaveAccessibleDescription(
      'You requested this promotion, so you cannot approve it',
    );
  });

  it('approves from the inbox with a comment and reloads it', async () => {
    const user = userEvent.setup({ delay: null });
    const api = fakeApi();
    // Signals installed but silent: the page does not poll, so the only
    // reload is the one after the decision, however slow the machine.
    const signalApi = {
      subscribe: jest.fn(() => ({ unsubscribe: jest.fn() })),
    };
    await renderWithApis(<PromotionApprovalsPage />, {
      api,
      apis: [[signalApiRef, signalApi]],
    });

    await user.click(
      await screen.findByRole('button', {
        name: 'Approve 1.4.0 into Production',
      }),
    );
    const dialog = await screen.findByRole('dialog');
    await user.type(within(dialog).getByRole('textbox'), 'Approved');
    await user.click(within(dialog).getByRole('button', { name: 'Approve' }));

    await waitFor(() =>
      expect(api.decide).toHaveBeenCalledWith('r1', {
        decision: 'approve',
        comment: 'Approved',
        dossierHash: 'hash-2',
      }),
    );
    await waitFor(() => expect(api.getInbox).toHaveBeenCalledTimes(2));
  });

  it('says so when nothing is waiting', async () => {
    const api = fakeApi();
    api.getInbox.mockResolvedValue({ items: [] });
    await renderWithApis(<PromotionApprovalsPage />, { api });

    expect(
      await screen.findByText('Nothing is waiting for your decision.'),
    ).toBeInTheDocument();
  });

  it('reloads the inbox when a signal arrives on promotion:inbox', async () => {
    // Every subscriber hears the signal: the inbox and the break-glass card.
    const subscribers: Array<(message: object) => void> = [];
    const publish = (message: object) =>
      subscribers.forEach(onMessage => onMessage(message));
    const signalApi = {
      subscribe: jest.fn((_channel: string, onMessage: (m: any) => void) => {
        subscribers.push(onMessage);
        return { unsubscribe: jest.fn() };
      }),
    };
    const api = fakeApi();
    await renderWithApis(<PromotionApprovalsPage />, {
      api,
      apis: [[signalApiRef, signalApi]],
    });
    await screen.findAllByRole('article');
    expect(signalApi.subscribe).toHaveBeenCalledWith(
      'promotion:inbox',
      expect.any(Function),
    );

    api.getInbox.mockResolvedValue({ items: [] });
    act(() => publish({ type: 'request.approved' }));

    expect(
      await screen.findByText('Nothing is waiting for your decision.'),
    ).toBeInTheDocument();
  });

  it('shows the verification report for the chosen range and downloads it as CSV through the client', async () => {
    const user = userEvent.setup({ delay: null });
    const api = fakeApi();
    const csv = new Blob(['kind,message\n']);
    api.downloadVerificationReport.mockResolvedValue(csv);
    await renderWithApis(<PromotionApprovalsPage />, { api });

    expect(
      await screen.findByText('Deployed to Production without an approval'),
    ).toBeInTheDocument();
    expect(
      screen.getByRole('link', { name: 'Why is 1.2.0 in Production?' }),
    ).toHaveAttribute(
      'href',
      '/catalog/default/component/payments-sftp/promotion?deployment=dep-3',
    );
    const checks = screen.getByRole('list', { name: 'Checks' });
    expect(
      within(checks).getByText('No Production deployment without approval'),
    ).toBeInTheDocument();

    fireEvent.change(screen.getByLabelText('From'), {
      target: { value: '2024-04-01' },
    });
    fireEvent.change(screen.getByLabelText('To'), {
      target: { value: '2024-04-30' },
    });
    const range = {
      from: new Date('2024-04-01T00:00:00.000').toISOString(),
      to: new Date('2024-04-30T23:59:59.999').toISOString(),
    };
    await waitFor(() =>
      expect(api.getVerificationReport).toHaveBeenLastCalledWith(range),
    );

    await user.click(
      screen.getByRole('button', {
        name: 'Download the verification report as CSV',
      }),
    );
    await waitFor(() =>
      expect(api.downloadVerificationReport).toHaveBeenCalledWith(range),
    );
    await waitFor(() => expect(createObjectURL).toHaveBeenCalledWith(csv));
  });

  it('shows the audit chain state, verifies it again on demand and exports the trail', async () => {
    const user = userEvent.setup({ delay: null });
    const api = fakeApi();
    await renderWithApis(<PromotionApprovalsPage />, { api });

    expect(
      await screen.findByText(/The audit chain is intact: 340 events checked/),
    ).toBeInTheDocument();

    api.verifyAuditChain.mockResolvedValue({
      intact: false,
      eventsChecked: 341,
      firstBrokenSeq: 17,
      problem: 'the hash of event 17 does not match its content',
      verifiedAt: '2024-05-02T00:00:00.000Z',
    });
    await user.click(
      screen.getByRole('button', { name: 'Verify the audit chain now' }),
    );
    expect(
      await screen.findByText(
        /The audit chain is broken at event #17: the hash of event 17 does not match its content/,
      ),
    ).toBeInTheDocument();
    expect(api.verifyAuditChain).toHaveBeenCalledTimes(2);

    await user.click(
      screen.getByRole('button', { name: 'Export the audit trail as NDJSON' }),
    );
    await waitFor(() =>
      expect(api.exportAuditEvents).toHaveBeenCalledWith(
        expect.objectContaining({ format: 'ndjson' }),
      ),
    );
    expect(api.exportAuditEvents.mock.calls[0][0].from).toMatch(
      /^\d{4}-\d{2}-\d{2}T/,
    );
    await waitFor(() => expect(createObjectURL).toHaveBeenCalled());
  });
});
