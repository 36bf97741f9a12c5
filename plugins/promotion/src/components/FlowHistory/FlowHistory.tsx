import { InfoCard, Progress } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Table from '@material-ui/core/Table';
import TableBody from '@material-ui/core/TableBody';
import TableCell from '@material-ui/core/TableCell';
import TableHead from '@material-ui/core/TableHead';
import TableRow from '@material-ui/core/TableRow';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import type {
  AuditEvent,
  AuditEventType,
} from '@promotion/plugin-promotion-common';
import { errorMessage } from '../../utils/errors';
import { formatDateTime } from '../../utils/format';
import { Actor } from '../Actor';

/** @internal */
export interface FlowHistoryProps {
  events: AuditEvent[];
  totalCount?: number;
  loading: boolean;
  error?: Error;
  hasMore: boolean;
  loadingMore: boolean;
  loadMoreError?: Error;
  onLoadMore: () => void;
  /** Environment ids to titles. */
  environmentTitles: Record<string, string>;
}

/** Every audit event type in words; the type makes a new event type a compile error here. */
const EVENT_WORDS: Record<AuditEventType, string> = {
  'deployment.recorded': 'Deployment recorded',
  'checklist.completed': 'Checklist item completed',
  'checklist.undone': 'Checklist item undone',
  'sign-off.given': 'Sign-off given',
  'request.created': 'Promotion requested',
  'request.edited': 'Dossier edited',
  'request.withdrawn': 'Request withdrawn',
  'request.expired': 'Request expired',
  'request.superseded': 'Request superseded',
  'request.reminded': 'Approvers reminded',
  'request.approved': 'Request approved',
  'request.rejected': 'Request rejected',
  'decision.recorded': 'Decision recorded',
  'standing-approval.granted': 'Standing approval granted',
  'standing-approval.revoked': 'Standing approval revoked',
  'rollback.recorded': 'Rollback recorded',
  'break-glass.declared': 'Break-glass declared',
  'break-glass.approved': 'Break-glass approved',
  'break-glass.rejected': 'Break-glass rejected',
  'break-glass.used': 'Deployment on break-glass',
  'break-glass.review-closed': 'Retrospective review closed',
};

/**
 * The flow's history: its audit events (who, when, what, why), newest first,
 * with "Load more".
 *
 * @internal
 */
export function FlowHistory(props: FlowHistoryProps) {
  const { events, loading, error } = props;
  return (
    <InfoCard title="History">
      {loading && events.length === 0 && <Progress />}
      {error && (
        <Alert severity="error">
          Could not read the history: {errorMessage(error)}
        </Alert>
      )}
      {!loading && !error && events.length === 0 && (
        <Typography color="textSecondary">Nothing has happened yet.</Typography>
      )}
      {events.length > 0 && (
        <Table size="small" aria-label="History">
          <TableHead>
            <TableRow>
              <TableCell>When</TableCell>
              <TableCell>Who</TableCell>
              <TableCell>What</TableCell>
              <TableCell>Where</TableCell>
              <TableCell>Why</TableCell>
            </TableRow>
          </TableHead>
          <TableBody>
            {events.map(event => (
              <TableRow key={event.id}>
                <TableCell>{formatDateTime(event.occurredAt)}</TableCell>
                <TableCell>
                  <Actor entityRef={event.actor} />
                </TableCell>
                <TableCell>{EVENT_WORDS[event.type] ?? event.type}</TableCell>
                <TableCell>
                  {[
                    event.environmentId &&
                      (props.environmentTitles[event.environmentId] ??
                        event.environmentId),
                    event.version,
                  ]
                    .filter(Boolean)
                    .join(' · ')}
                </TableCell>
                <TableCell>{event.summary}</TableCell>
              </TableRow>
            ))}
          </TableBody>
        </Table>
      )}
      {props.loadMoreError && (
        <Alert severity="error">
          Could not read more history: {errorMessage(props.loadMoreError)}
        </Alert>
      )}
      <Box mt={2} display="flex" alignItems="center">
        {props.totalCount !== undefined && (
          <Typography variant="body2" color="textSecondary">
            Showing {events.length} of {props.totalCount} events
          </Typography>
        )}
        {props.hasMore && (
          <Box ml={2}>
            <Button
              variant="outlined"
              aria-label="Load more history"
              onClick={props.onLoadMore}
              disabled={props.loadingMore}
            >
              {props.loadingMore ? 'Loading…' : 'Load more'}
            </Button>
          </Box>
        )}
      </Box>
    </InfoCard>
  );
}
