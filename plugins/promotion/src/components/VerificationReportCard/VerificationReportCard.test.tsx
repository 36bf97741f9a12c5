import { screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { createFakePromotionApi } from '../../__testUtils__/flow';
import { expectTextToWrap } from '../../__testUtils__/layout';
import { renderWithApis } from '../../__testUtils__/render';
import { VerificationReportCard } from './VerificationReportCard';

describe('VerificationReportCard', () => {
  it('says when every check passed, and offers both downloads', async () => {
    const api = createFakePromotionApi({
      getVerificationReport: jest.fn(async () => ({
        from: '2024-04-01T00:00:00.000Z',
        to: '2024-05-01T00:00:00.000Z',
        generatedAt: '2024-05-01T00:00:00.000Z',
        deploymentsChecked: 1,
        violations: [],
        checks: [
          {
            kind: 'release-notes-missing' as const,
            title: 'Release notes delivered at deployment time',
            passed: true,
          },
        ],
      })),
    });
    await renderWithApis(
      <VerificationReportCard range={{}} rangeLabel="all" />,
      { api },
    );

    expect(
      await screen.findByText(
        /1 deployment checked between .*; 0 violations\./,
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('Passed')).toBeInTheDocument();
    expectTextToWrap(
      screen.getByText('Release notes delivered at deployment time'),
    );
    expect(
      screen.queryByRole('table', { name: 'Violations' }),
    ).not.toBeInTheDocument();
    expect(
      screen.getByRole('button', {
        name: 'Download the verification report as JSON',
      }),
    ).toBeEnabled();
  });

  it('reports a failed CSV download instead of failing silently', async () => {
    const user = userEvent.setup({ delay: null });
    const api = createFakePromotionApi({
      getVerificationReport: jest.fn(async () => {
        throw new Error('Range too large');
      }),
      downloadVerificationReport: jest.fn(async () => {
        throw new Error('Range too large');
      }),
    });
    await renderWithApis(
      <VerificationReportCard range={{}} rangeLabel="all" />,
      { api },
    );

    expect(
      (await screen.findAllByText(/Range too large/)).length,
    ).toBeGreaterThan(0);
    await user.click(
      screen.getByRole('button', {
        name: 'Download the verification report as CSV',
      }),
    );
    expect(api.downloadVerificationReport).toHaveBeenCalled();
  });
});
