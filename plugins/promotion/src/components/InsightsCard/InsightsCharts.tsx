import { useTheme } from '@material-ui/core/styles';
import type { Insights } from '@promotion/plugin-promotion-common';
import {
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
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

/** The unit the durations are drawn in: the largest in which the longest is at least 2. */
const UNITS = [
  { unit: 'd', ms: 24 * 60 * 60 * 1000, name: 'Days' },
  { unit: 'h', ms: 60 * 60 * 1000, name: 'Hours' },
  { unit: 'min', ms: 60 * 1000, name: 'Minutes' },
  { unit: 's', ms: 1000, name: 'Seconds' },
];

function unitFor(longestMs: number) {
  return UNITS.find(u => longestMs >= 2 * u.ms) ?? UNITS[UNITS.length - 1];
}

const inUnit = (ms: number | null, unitMs: number) =>
  ms === null ? 0 : Math.round((ms / unitMs) * 10) / 10;

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
      const { unit, ms, name } = unitFor(summary.p90Ms ?? 0);
      return (
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <BarChart
            data={[
              { name: 'Median', value: inUnit(summary.medianMs, ms) },
              { name: '90th percentile', value: inUnit(summary.p90Ms, ms) },
            ]}
          >
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="name" />
            <YAxis unit={` ${unit}`} />
            <Tooltip />
            <Bar
              isAnimationActive={false}
              dataKey="value"
              name={name}
              fill={primary}
            />
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
              isAnimationActive={false}
              dataKey="productionDeployments"
              name="Production deployments"
              fill={primary}
            />
            <Bar
              isAnimationActive={false}
              dataKey="rollbacks"
              name="Rollbacks"
              fill={error}
            />
          </BarChart>
        </ResponsiveContainer>
      );
    case 'changeFailureRate':
      // Bars: a week without Production deployments has no rate, and a
      // line through one or two weeks would show next to nothing.
      return (
        <ResponsiveContainer width="100%" height={HEIGHT}>
          <BarChart data={weeks}>
            <CartesianGrid strokeDasharray="3 3" />
            <XAxis dataKey="weekStart" />
            <YAxis unit="%" domain={[0, 100]} />
            <Tooltip />
            <Bar
              isAnimationActive={false}
              dataKey="changeFailurePercent"
              name="Change failure rate (%)"
              fill={error}
            />
          </BarChart>
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
            <Bar
              isAnimationActive={false}
              dataKey="violations"
              name="Violations"
              fill={error}
            />
            <Bar
              isAnimationActive={false}
              dataKey="breakGlass"
              name="Break-glass uses"
              fill={secondary}
            />
          </BarChart>
        </ResponsiveContainer>
      );
  }
}
