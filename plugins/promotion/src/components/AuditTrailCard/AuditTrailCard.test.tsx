import { screen, waitFor } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createFakePromotionApi } from '../../__testUtils__/flow';
import { renderWithApis } from '../../__testUtils__/render';
import { AuditTrailCard } from './AuditTrailCard';

describe('AuditTrailCard', () => {
  beforeAll(() => {
    Object.assign(URL, {
      createObjectURL: jest.fn(() => 'blob:audit'),
      revokeObjectURL: jest.fn(),
    });
  });

  it('exports the trail as CSV over the chosen range', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi({
      verifyAuditChain: jest.fn(async () => ({
        intact: true,
        eventsChecked: 3,
        verifiedAt: '2024-05-01T00:00:00.000Z',
      })),
    });
    const range = {
      from: '2024-04-01T00:00:00.000Z',
      to: '2024-04-30T23:59:59.999Z',
    };
    await renderWithApis(
      <AuditTrailCard range={range} rangeLabel="2024-04-01_2024-04-30" />,
      { api },
    );

    await user.click(
      screen.getByRole('button', { name: 'Export the audit trail as CSV' }),
    );

    await waitFor(() =>
      expect(api.exportAuditEvents).toHaveBeenCalledWith({
        ...range,
        format: 'csv',
      }),
    );
  });

  it('says where the chain is broken and what is wrong there, verifying again on demand', async () => {
    const user = userEvent.setup({ delay: null });
    const verifyAuditChain = jest
      .fn()
      .mockResolvedValueOnce({
        intact: true,
        eventsChecked: 19,
        verifiedAt: '2024-05-01T00:00:00.000Z',
      })
      .mockResolvedValueOnce({
        intact: false,
        eventsChecked: 18,
        firstBrokenSeq: 19,
        // The backend's sentence ends with a full stop of its own.
        problem:
          'Event 19 was altered after it was recorded: its content no longer matches its hash.',
        verifiedAt: '2024-05-01T00:01:00.000Z',
      });
    const api = createFakePromotionApi({ verifyAuditChain });
    await renderWithApis(<AuditTrailCard range={{}} rangeLabel="all" />, {
      api,
    });

    expect(
      await screen.findByText(/^The audit chain is intact: 19 events checked/),
    ).toBeInTheDocument();
    await user.click(
      screen.getByRole('button', { name: 'Verify the audit chain now' }),
    );

    const alert = await screen.findByText(/^The audit chain is broken/);
    expect(alert).toHaveTextContent(
      /^The audit chain is broken at event #19: Event 19 was altered after it was recorded: its content no longer matches its hash\. 18 events checked on .+\.$/,
    );
    expect(verifyAuditChain).toHaveBeenCalledTimes(2);
  });

  it('lists every break the verification found', async () => {
    const api = createFakePromotionApi({
      verifyAuditChain: jest.fn(async () => ({
        intact: false,
        eventsChecked: 6,
        firstBrokenSeq: 3,
        problem: 'Event #3 of component:default/payments-sftp was altered.',
        verifiedAt: '2024-05-01T00:01:00.000Z',
        breaks: [
          {
            kind: 'event-altered',
            seq: 3,
            entityRef: 'component:default/payments-sftp',
            message: 'Event #3 of component:default/payments-sftp was altered.',
          },
          {
            kind: 'chain-truncated',
            entityRef: 'component:default/billing',
            message:
              'The audit chain of component:default/billing was rewound.',
          },
        ],
        breaksTruncated: true,
      })),
    });
    await renderWithApis(<AuditTrailCard range={{}} rangeLabel="all" />, {
      api,
    });

    const list = await screen.findByRole('list', { name: 'Every break found' });
    expect(
      Array.from(list.querySelectorAll('li')).map(li => li.textContent),
    ).toEqual([
      'Event #3 of component:default/payments-sftp was altered.',
      'The audit chain of component:default/billing was rewound.',
      'More breaks were found than are listed.',
    ]);
  });

  it('shows why the chain could not be verified', async () => {
    const api = createFakePromotionApi({
      verifyAuditChain: jest.fn(async () => {
        throw new Error('You may not read the audit trail');
      }),
    });
    await renderWithApis(<AuditTrailCard range={{}} rangeLabel="all" />, {
      api,
    });

    expect(
      (await screen.findAllByText(/You may not read the audit trail/)).length,
    ).toBeGreaterThan(0);
  });
});
