import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Grid from '@material-ui/core/Grid';
import Typography from '@material-ui/core/Typography';
import type { Insights } from '@promotion/plugin-promotion-common';
import { lazy, ReactNode, Suspense, useState } from 'react';
import { InsightsQuery, promotionApiRef } from '../../api';
import { useInsights } from '../../hooks';
import { downloadBlob } from '../../utils/download';
import { errorMessage } from '../../utils/errors';
import { formatDuration, formatRate } from '../../utils/format';
import type { InsightsChartKind } from './InsightsCharts';

/** recharts is loaded with the charts, not with the plugin. */
const InsightsChart = lazy(() => import('./InsightsCharts'));

const count = (n: number, word: string, plural = `${word}s`) =>
  `${n} ${n === 1 ? word : plural}`;

/** What each chart shows, in words: its key numbers. */
function summaries(insights: Insights): Array<{
  kind: InsightsChartKind | 'waiting';
  title: string;
  summary: string;
}> {
  const { approvalLeadTime, devToProduction, totals, waiting } = insights;
  return [
    {
      kind: 'leadTime',
      title: 'Approval lead time',
      summary: `Median approval lead time: ${formatDuration(
        approvalLeadTime.medianMs,
      )}; 90th percentile: ${formatDuration(approvalLeadTime.p90Ms)} (${count(
        approvalLeadTime.count,
        'request',
      )} decided).`,
    },
    {
      kind: 'devToProduction',
      title: 'Dev to Production',
      summary: `Median time from Dev to Production: ${formatDuration(
        devToProduction.medianMs,
      )}; 90th percentile: ${formatDuration(devToProduction.p90Ms)} (${count(
        devToProduction.count,
        'version',
      )}).`,
    },
    {
      kind: 'deployments',
      title: 'Production deployments per week',
      summary: `${count(
        totals.productionDeployments,
        'Production deployment',
      )} and ${count(totals.rollbacks, 'rollback')}.`,
    },
    {
      kind: 'changeFailureRate',
      title: 'Change failure rate',
      summary: `Change failure rate: ${formatRate(
        totals.changeFailureRate,
      )} (rollbacks ÷ Production deployments).`,
    },
    {
      kind: 'violations',
      title: 'Violations and break-glass uses per week',
      summary: `${count(totals.violations, 'violation')} and ${count(
        totals.breakGlass,
        'break-glass use',
      )}.`,
    },
    {
      kind: 'waiting',
      title: 'Requests waiting',
      summary:
        waiting.count === 0
          ? 'No request is waiting.'
          : `${count(
              waiting.count,
              'request',
            )} waiting now; the oldest for ${formatDuration(
              waiting.oldestMs,
            )}, the median for ${formatDuration(waiting.medianAgeMs)}.`,
    },
  ];
}

function Section(props: { title: string; summary: string; chart?: ReactNode }) {
  const { title, summary, chart } = props;
  return (
    <Box component="section" aria-label={title}>
      <Typography variant="h6" component="h3">
        {title}
      </Typography>
      <Typography variant="body2">{summary}</Typography>
      {chart && (
        <Box role="img" aria-label={`${title}: ${summary}`} mt={1}>
          {chart}
        </Box>
      )}
    </Box>
  );
}

/**
 * The governance insights over a range, for the whole portal or one flow:
 * each chart with its title and its key numbers in words; the charts load
 * on demand. Downloadable as CSV.
 *
 * @internal
 */
export function InsightsCard(props: {
  query: InsightsQuery;
  /** Used in the downloaded file name. */
  rangeLabel: string;
  title?: string;
  /** A range picker or other controls above the charts. */
  action?: ReactNode;
}) {
  const { query, rangeLabel, title = 'Insights', action } = props;
  const api = useApi(promotionApiRef);
  const alertApi = useApi(alertApiRef);
  const { insights, loading, error } = useInsights(query);
  const [downloading, setDownloading] = useState(false);

  const downloadCsv = async () => {
    setDownloading(true);
    try {
      const blob = await api.downloadInsights(query);
      downloadBlob(blob, `promotion-insights-${rangeLabel}.csv`);
    } catch (e) {
      alertApi.post({
        message: `Could not download the insights: ${errorMessage(e)}`,
        severity: 'error',
      });
    } finally {
      setDownloading(false);
    }
  };

  return (
    <InfoCard title={title}>
      {action}
      {loading && !insights && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {insights && (
        <Grid container spacing={3}>
          {summaries(insights).map(({ kind, title: name, summary }) => (
            <Grid item xs={12} md={6} lg={4} key={kind}>
              <Section
                title={name}
                summary={summary}
                chart={
                  kind === 'waiting' ? undefined : (
                    <Suspense fallback={<Progress />}>
                      <InsightsChart kind={kind} insights={insights} />
                    </Suspense>
                  )
                }
              />
            </Grid>
          ))}
        </Grid>
      )}
      <Box mt={2}>
        <Button
          variant="outlined"
          color="primary"
          onClick={downloadCsv}
          disabled={downloading}
          aria-label="Download the insights as CSV"
        >
          Download CSV
        </Button>
      </Box>
    </InfoCard>
  );
}
