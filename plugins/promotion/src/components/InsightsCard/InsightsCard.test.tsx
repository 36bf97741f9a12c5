import type { Insights } from '@promotion/plugin-promotion-common';
import { screen, within } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import {
  createFakePromotionApi,
  emptyInsights,
} from '../../__testUtils__/flow';
import { renderWithApis } from '../../__testUtils__/render';
import { formatDuration } from '../../utils/format';
import { FlowInsightsCard } from './FlowInsightsCard';
import { InsightsCard } from './InsightsCard';

const HOUR = 60 * 60 * 1000;

const insights: Insights = {
  ...emptyInsights({
    from: '2026-11-16T00:00:00.000Z',
    to: '2026-11-24T00:00:00.000Z',
  }),
  approvalLeadTime: {
    count: 3,
    medianMs: 2 * HOUR + 10 * 60 * 1000,
    p90Ms: 8 * HOUR,
  },
  devToProduction: {
    count: 3,
    medianMs: 24 * HOUR,
    p90Ms: 102 * HOUR,
    versions: [],
  },
  weeks: [
    {
      weekStart: '2026-11-16',
      productionDeployments: 2,
      rollbacks: 0,
      changeFailureRate: 0,
      violations: 0,
      breakGlass: 0,
    },
    {
      weekStart: '2026-11-23',
      productionDeployments: 2,
      rollbacks: 1,
      changeFailureRate: 0.5,
      violations: 1,
      breakGlass: 0,
    },
  ],
  totals: {
    productionDeployments: 4,
    rollbacks: 1,
    changeFailureRate: 0.25,
    violations: 1,
    breakGlass: 0,
  },
  waiting: { count: 2, oldestMs: 23 * HOUR, medianAgeMs: 21 * HOUR },
};

describe('InsightsCard', () => {
  it('titles each chart and says its key numbers in words', async () => {
    const api = createFakePromotionApi({
      getInsights: jest.fn(async () => insights),
    });
    const range = { from: insights.from, to: insights.to };
    await renderWithApis(<InsightsCard query={range} rangeLabel="nov" />, {
      api,
    });

    const leadTime = await screen.findByRole('region', {
      name: 'Approval lead time',
    });
    expect(
      within(leadTime).getByText(
        'Median approval lead time: 2 h 10 min; 90th percentile: 8 h (3 requests decided).',
      ),
    ).toBeInTheDocument();
    // The chart is named by its summary, for readers that do not see it.
    expect(
      within(leadTime).getByRole('img', {
        name: /^Approval lead time: Median/,
      }),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Median time from Dev to Production: 1 d; 90th percentile: 4 d 6 h (3 versions).',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('4 Production deployments and 1 rollback.'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        'Change failure rate: 25% (rollbacks ÷ Production deployments).',
      ),
    ).toBeInTheDocument();
    expect(
      screen.getByText('1 violation and 0 break-glass uses.'),
    ).toBeInTheDocument();
    expect(
      screen.getByText(
        '2 requests waiting now; the oldest for 23 h, the median for 21 h.',
      ),
    ).toBeInTheDocument();
    expect(api.getInsights).toHaveBeenCalledWith({ ...range, flow: undefined });
  });

  it('says when nothing was measured, and downloads the CSV of the same range', async () => {
    const api = createFakePromotionApi();
    await renderWithApis(<InsightsCard query={{}} rangeLabel="all" />, { api });

    expect(
      await screen.findByText(
        'Median approval lead time: none measured; 90th percentile: none measured (0 requests decided).',
      ),
    ).toBeInTheDocument();
    expect(screen.getByText('No request is waiting.')).toBeInTheDocument();
    expect(
      screen.getByText(
        'Change failure rate: none (rollbacks ÷ Production deployments).',
      ),
    ).toBeInTheDocument();

    const createObjectURL = jest.fn(() => 'blob:insights');
    Object.assign(URL, { createObjectURL, revokeObjectURL: jest.fn() });
    await userEvent.click(
      screen.getByRole('button', { name: 'Download the insights as CSV' }),
    );
    expect(api.downloadInsights).toHaveBeenCalledWith({});
    expect(createObjectURL).toHaveBeenCalled();
  });

  it('shows why the insights could not be read', async () => {
    const api = createFakePromotionApi({
      getInsights: jest.fn(async () => {
        throw new Error('query.from: the range may cover at most 366 days');
      }),
    });
    await renderWithApis(<InsightsCard query={{}} rangeLabel="all" />, { api });

    expect(
      (await screen.findAllByText(/the range may cover at most 366 days/))
        .length,
    ).toBeGreaterThan(0);
  });
});

describe('FlowInsightsCard', () => {
  it('asks for the flow over the last 30 days, then over the range picked', async () => {
    const api = createFakePromotionApi();
    await renderWithApis(
      <FlowInsightsCard entityRef="component:default/payments-sftp" />,
      { api },
    );

    expect(
      await screen.findByRole('region', { name: 'Requests waiting' }),
    ).toBeInTheDocument();
    const first = api.getInsights.mock.calls[0][0];
    expect(first.flow).toBe('component:default/payments-sftp');
    const days = (Date.now() - Date.parse(first.from!)) / (24 * HOUR);
    expect(Math.round(days)).toBe(30);

    await userEvent.click(screen.getByRole('button', { name: /Last 30 days/ }));
    await userEvent.click(
      await screen.findByRole('option', { name: 'Last 90 days' }),
    );
    const last = api.getInsights.mock.calls.at(-1)![0];
    expect(
      Math.round((Date.now() - Date.parse(last.from!)) / (24 * HOUR)),
    ).toBe(90);
  });
});

describe('formatDuration', () => {
  it.each([
    [null, 'none measured'],
    [0, '0 s'],
    [45 * 1000, '45 s'],
    [2 * HOUR + 10 * 60 * 1000 + 5000, '2 h 10 min'],
    [26 * HOUR, '1 d 2 h'],
    [24 * HOUR + 5 * 60 * 1000, '1 d'],
  ])('writes %p as %p', (ms, words) => {
    expect(formatDuration(ms)).toBe(words);
  });
});
