import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { alertApiRef, configApiRef, useApi } from '@backstage/core-plugin-api';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemIcon from '@material-ui/core/ListItemIcon';
import ListItemText from '@material-ui/core/ListItemText';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import ErrorIcon from '@material-ui/icons/Error';
import type { VerificationReport } from '@promotion/plugin-promotion-common';
import { useState } from 'react';
import { promotionApiRef, TimeRange } from '../../api';
import { useVerificationReport } from '../../hooks';
import { downloadBlob } from '../../utils/download';
import { errorMessage } from '../../utils/errors';
import { formatDateTime } from '../../utils/format';
import { wrappingListItemText } from '../../utils/styles';

/** Short columns keep their words whole; the failed checks take the rest. */
const noWrap = { whiteSpace: 'nowrap' } as const;

type ReportRow = VerificationReport['violations'][number];
type PendingRow = VerificationReport['pending'][number];

/**
 * The evidence of a deployment: its flow's page in the portal, opened on the
 * trail of that deployment. A page of this app opens in place; a page
 * elsewhere, in a new window.
 */
function Evidence(props: { row: ReportRow | PendingRow }) {
  const { row } = props;
  const config = useApi(configApiRef);
  const appBaseUrl = config
    .getOptionalString('app.baseUrl')
    ?.replace(/\/+$/, '');
  const inApp =
    appBaseUrl && row.evidence.startsWith(`${appBaseUrl}/`)
      ? row.evidence.slice(appBaseUrl.length)
      : undefined;
  return (
    <Link to={inApp ?? row.evidence}>
      Why is {row.version} in {row.environmentTitle}?
    </Link>
  );
}

/** The columns every row starts with: when, which flow, where, what. */
function DeploymentCells(props: { row: ReportRow | PendingRow }) {
  const { row } = props;
  return (
    <>
      <TableCell style={noWrap}>{formatDateTime(row.occurredAt)}</TableCell>
      <TableCell style={noWrap}>
        <EntityRefLink entityRef={row.entityRef} />
      </TableCell>
      <TableCell style={noWrap}>{row.environmentTitle}</TableCell>
      <TableCell style={noWrap}>{row.version}</TableCell>
    </>
  );
}

const count = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

/**
 * The verification report over a time range: the checks from the governance
 * documents, one row per deployment that failed any, with every check it
 * failed and a link to its trail, and the post-deployment items not due yet;
 * downloadable as CSV and JSON.
 *
 * @internal
 */
export function VerificationReportCard(props: {
  range: TimeRange;
  /** Used in the downloaded file names. */
  rangeLabel: string;
}) {
  const { range, rangeLabel } = props;
  const api = useApi(promotionApiRef);
  const alertApi = useApi(alertApiRef);
  const { report, loading, error } = useVerificationReport(range);
  const [downloading, setDownloading] = useState(false);

  const downloadCsv = async () => {
    setDownloading(true);
    try {
      const blob = await api.downloadVerificationReport(range);
      downloadBlob(blob, `promotion-verification-${rangeLabel}.csv`);
    } catch (e) {
      alertApi.post({
        message: `Could not download the report: ${errorMessage(e)}`,
        severity: 'error',
      });
    } finally {
      setDownloading(false);
    }
  };

  const downloadJson = () => {
    if (report) {
      downloadBlob(
        new Blob([JSON.stringify(report, null, 2)], {
          type: 'application/json',
        }),
        `promotion-verification-${rangeLabel}.json`,
      );
    }
  };

  return (
    <InfoCard title="Verification report">
      {loading && !report && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {report && (
        <>
          <Typography variant="body2">
            {count(report.deploymentsChecked, 'deployment')} checked between{' '}
            {formatDateTime(report.from)} and {formatDateTime(report.to)};{' '}
            {count(report.violations.length, 'violation')}
            {report.pending.length > 0 &&
              `; ${report.pending.length} with post-deployment items not due yet`}
            .
          </Typography>
          <List dense aria-label="Checks">
            {report.checks.map(check => (
              <ListItem key={check.kind} disableGutters>
                <ListItemIcon>
                  {check.passed ? (
                    <CheckCircleIcon />
                  ) : (
                    <ErrorIcon color="error" />
                  )}
                </ListItemIcon>
                <ListItemText
                  style={wrappingListItemText}
                  primary={check.title}
                  secondary={
                    <>
                      <span>
                        {check.passed
                          ? 'Passed'
                          : `Failed by ${count(
                              check.failedDeployments,
                              'deployment',
                            )}`}
                      </span>
                      <br />
                      <span>{check.explanation}</span>
                    </>
                  }
                />
              </ListItem>
            ))}
          </List>
          {report.violations.length > 0 && (
            <Table size="small" aria-label="Violations">
              <TableHead>
                <TableRow>
                  <TableCell style={noWrap}>When</TableCell>
                  <TableCell style={noWrap}>Flow</TableCell>
                  <TableCell style={noWrap}>Environment</TableCell>
                  <TableCell style={noWrap}>Version</TableCell>
                  <TableCell>Failed checks</TableCell>
                  <TableCell>Evidence</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {report.violations.map(violation => (
                  <TableRow key={violation.deploymentId}>
                    <DeploymentCells row={violation} />
                    <TableCell>
                      <List dense disablePadding aria-label="Failed checks">
                        {violation.failedChecks.map(check => (
                          <ListItem key={check.kind} disableGutters>
                            <ListItemText
                              style={wrappingListItemText}
                              primary={check.title}
                              secondary={check.sentences.join(' ')}
                            />
                          </ListItem>
                        ))}
                      </List>
                    </TableCell>
                    <TableCell>
                      <Evidence row={violation} />
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
          )}
          {report.pending.length > 0 && (
            <Box mt={2}>
              <Typography variant="h6" component="h3">
                Not due yet
              </Typography>
              <Typography variant="body2" color="textSecondary">
                Post-deployment items still open before their minimum wait and
                the environment's grace have passed: pending, not failed.
              </Typography>
              <Table size="small" aria-label="Pending post-deployment items">
                <TableHead>
                  <TableRow>
                    <TableCell style={noWrap}>When</TableCell>
                    <TableCell style={noWrap}>Flow</TableCell>
                    <TableCell style={noWrap}>Environment</TableCell>
                    <TableCell style={noWrap}>Version</TableCell>
                    <TableCell>Pending items</TableCell>
                    <TableCell>Evidence</TableCell>
                  </TableRow>
                </TableHead>
                <TableBody>
                  {report.pending.map(row => (
                    <TableRow key={row.deploymentId}>
                      <DeploymentCells row={row} />
                      <TableCell>
                        <List dense disablePadding aria-label="Pending items">
                          {row.items.map(item => (
                            <ListItem key={item.itemId} disableGutters>
                              <ListItemText
                                style={wrappingListItemText}
                                primary={item.title}
                                secondary={`Due by ${formatDateTime(
                                  item.dueAt,
                                )}`}
                              />
                            </ListItem>
                          ))}
                        </List>
                      </TableCell>
                      <TableCell>
                        <Evidence row={row} />
                      </TableCell>
                    </TableRow>
                  ))}
                </TableBody>
              </Table>
            </Box>
          )}
        </>
      )}
      <Box mt={2}>
        <Button
          variant="outlined"
          color="primary"
          onClick={downloadCsv}
          disabled={downloading}
          aria-label="Download the verification report as CSV"
        >
          Download CSV
        </Button>{' '}
        <Button
          variant="outlined"
          onClick={downloadJson}
          disabled={!report}
          aria-label="Download the verification report as JSON"
        >
          Download JSON
        </Button>
      </Box>
    </InfoCard>
  );
}
