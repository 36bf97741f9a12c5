import { useTheme } from '@material-ui/core/styles';
import type { Insights } from '@promotion/plugin-promotion-common';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';

/*
 * The insights' charts, drawn with recharts. This module is loaded on
 * demand (React.lazy in InsightsCard), so recharts stays out of the
 * plugin's main chunk.
 */

/** Which chart of the insights. */
export type InsightsChartKind =
  | 'leadTime'
  | 'devToProduction'
  | 'deployments'
  | 'changeFailureRate'
  | 'violations';

const HOUR_MS = 60 * 60 * 1000;
const hours = (ms: number | null) =>
  ms === null ? 0 : Math.round((ms / HOUR_MS) * 10) / 10;

const HEIGHT = 220;

export default function InsightsChart(props: {
  kind: InsightsChartKind;
  insights: Insights;
}) {
  const { kind, insights } = props;
  const theme = useTheme();
  const primary = theme.palette.primary.main;
  const secondary = theme.palette.secondary.main;
  const error = theme.palette.error.main;
  const weeks = insights.weeks.map(week => ({
    ...week,
    changeFailurePercent:
      week.changeFailureRate === null
        ? null
        : Math.round(week.changeFailureRate * 100),
  }));

  switch (kind) {
    case 'leadTime':
    case 'devToProduction': {
      const summary =
        kind === 'leadTime'
          ? insights.approvalLeadTime
          : insights.devToProduction;
      return (
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <BarChart
            data={[
              { name: 'Median', hours: hours(summary.medianMs) },
              { name: '90th percentile', hours: hours(summary.p90Ms) },
            ]}
          >
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="name" />
            <YAxis unit=" h" />
            <Tooltip />
            <Bar dataKey="hours" name="Hours" fill={primary} />
          </BarChart>
        </ResponsiveContainer>
      );
    }
    case 'deployments':
      return (
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <BarChart data={weeks}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="weekStart" />
            <YAxis allowDecimals={false} />
            <Tooltip />
            <Legend />
            <Bar
              dataKey="productionDeployments"
              name="Production deployments"
              fill={primary}
            />
            <Bar dataKey="rollbacks" name="Rollbacks" fill={error} />
          </BarChart>
        </ResponsiveContainer>
      );
    case 'changeFailureRate':
      return (
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <LineChart data={weeks}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="weekStart" />
            <YAxis unit="%" domain={[0, 100]} />
            <Tooltip />
            <Line
              dataKey="changeFailurePercent"
              name="Change failure rate (%)"
              stroke={error}
              connectNulls
            />
          </LineChart>
        </ResponsiveContainer>
      );
    case 'violations':
    default:
      return (
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <BarChart data={weeks}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="weekStart" />
            <YAxis allowDecimals={false} />
            <Tooltip />
            <Legend />
            <Bar dataKey="violations" name="Violations" fill={error} />
            <Bar
              dataKey="breakGlass"
              name="Break-glass uses"
              fill={secondary}
            />
          </BarChart>
        </ResponsiveContainer>
      );
  }
}
