import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Alert from '@material-ui/lab/Alert';
import { useState } from 'react';
import { AuditExportFormat, promotionApiRef, TimeRange } from '../../api';
import { useAuditChainVerification } from '../../hooks';
import { downloadBlob } from '../../utils/download';
import { errorMessage } from '../../utils/errors';
import { formatDateTime } from '../../utils/format';

/**
 * The audit trail: whether its keyed chains are intact ("Verify now"), every
 * break verification found, and its export as CSV or NDJSON over the chosen
 * time range.
 *
 * @internal
 */
export function AuditTrailCard(props: {
  range: TimeRange;
  rangeLabel: string;
}) {
  const { range, rangeLabel } = props;
  const api = useApi(promotionApiRef);
  const alertApi = useApi(alertApiRef);
  const { verification, loading, error, retry } = useAuditChainVerification();
  const [exporting, setExporting] = useState<AuditExportFormat>();

  const exportAs = async (format: AuditExportFormat) => {
    setExporting(format);
    try {
      const blob = await api.exportAuditEvents({ ...range, format });
      downloadBlob(blob, `promotion-audit-${rangeLabel}.${format}`);
    } catch (e) {
      alertApi.post({
        message: `Could not export the audit trail: ${errorMessage(e)}`,
        severity: 'error',
      });
    } finally {
      setExporting(undefined);
    }
  };

  return (
    <InfoCard title="Audit trail">
      {loading && !verification && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {verification &&
        (verification.intact ? (
          <Alert severity="success">
            The audit chain is intact: {verification.eventsChecked} events
            checked on {formatDateTime(verification.verifiedAt)}.
          </Alert>
        ) : (
          <Alert severity="error">
            The audit chain is broken
            {verification.firstBrokenSeq !== undefined &&
              ` at event #${verification.firstBrokenSeq}`}
            {verification.problem &&
              `: ${verification.problem.replace(/[.\s]+$/, '')}`}
            . {verification.eventsChecked} events checked on{' '}
            {formatDateTime(verification.verifiedAt)}.
            {(verification.breaks?.length ?? 0) > 1 && (
              <ul aria-label="Every break found">
                {verification.breaks!.map((found, index) => (
                  <li key={index}>{found.message}</li>
                ))}
                {verification.breaksTruncated && (
                  <li>More breaks were found than are listed.</li>
                )}
              </ul>
            )}
          </Alert>
        ))}
      <Box mt={2}>
        <Button
          variant="outlined"
          color="primary"
          onClick={retry}
          disabled={loading}
          aria-label="Verify the audit chain now"
        >
          {loading && verification ? 'Verifying…' : 'Verify now'}
        </Button>{' '}
        <Button
          variant="outlined"
          onClick={() => exportAs('csv')}
          disabled={exporting !== undefined}
          aria-label="Export the audit trail as CSV"
        >
          Export CSV
        </Button>{' '}
        <Button
          variant="outlined"
          onClick={() => exportAs('ndjson')}
          disabled={exporting !== undefined}
          aria-label="Export the audit trail as NDJSON"
        >
          Export NDJSON
        </Button>
      </Box>
    </InfoCard>
  );
}
