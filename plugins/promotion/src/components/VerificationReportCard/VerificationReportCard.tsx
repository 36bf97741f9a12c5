import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
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
import { useState } from 'react';
import { promotionApiRef, TimeRange } from '../../api';
import { useVerificationReport } from '../../hooks';
import { downloadBlob } from '../../utils/download';
import { errorMessage } from '../../utils/errors';
import { formatDateTime } from '../../utils/format';
import { wrappingListItemText } from '../../utils/styles';

/** Short columns keep their words whole; the violation sentence takes the rest. */
const noWrap = { whiteSpace: 'nowrap' } as const;

function Evidence(props: { evidence: string }) {
  if (/^https?:\/\//.test(props.evidence)) {
    return (
      <Link to={props.evidence} rel="noopener noreferrer">
        evidence
      </Link>
    );
  }
  return (
    <code style={{ wordBreak: 'break-all', fontSize: '0.75rem' }}>
      {props.evidence}
    </code>
  );
}

/**
 * The verification report over a time range: the checks from the governance
 * documents and each violation with its evidence; downloadable as CSV and
 * JSON.
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
            {report.deploymentsChecked} deployment
            {report.deploymentsChecked === 1 ? '' : 's'} checked between{' '}
            {formatDateTime(report.from)} and {formatDateTime(report.to)};{' '}
            {report.violations.length} violation
            {report.violations.length === 1 ? '' : 's'}.
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
                  secondary={check.passed ? 'Passed' : 'Failed'}
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
                  <TableCell>Violation</TableCell>
                  <TableCell>Evidence</TableCell>
                </TableRow>
              </TableHead>
              <TableBody>
                {report.violations.map(violation => (
                  <TableRow key={`${violation.deploymentId}-${violation.kind}`}>
                    <TableCell style={noWrap}>
                      {formatDateTime(violation.occurredAt)}
                    </TableCell>
                    <TableCell style={noWrap}>
                      <EntityRefLink entityRef={violation.entityRef} />
                    </TableCell>
                    <TableCell style={noWrap}>
                      {violation.environmentId}
                    </TableCell>
                    <TableCell style={noWrap}>{violation.version}</TableCell>
                    <TableCell>{violation.message}</TableCell>
                    <TableCell>
                      <Evidence evidence={violation.evidence} />
                    </TableCell>
                  </TableRow>
                ))}
              </TableBody>
            </Table>
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
