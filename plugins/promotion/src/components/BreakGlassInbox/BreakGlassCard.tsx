import { Link } from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import type { BreakGlass } from '@promotion/plugin-promotion-common';
import { ReactNode, useState } from 'react';
import { formatDateTime } from '../../utils/format';
import { ActionButton } from '../ActionButton';
import { Actor } from '../Actor';
import { CommentDialog } from '../CommentDialog';

/** A comment as a sentence: with a full stop unless it ends with one. */
function sentence(text: string): string {
  return /[.!?]$/.test(text.trim()) ? text.trim() : `${text.trim()}.`;
}

/** @internal */
export interface BreakGlassCardProps {
  breakGlass: BreakGlass;
  environmentTitle: string;
  /** Show the flow's name and link (the Approvals page lists every flow's). */
  showFlow?: boolean;
  /** Why the user may not act on it, if they may not. */
  blockedReason?: string;
  /** Offered while it waits for an approver. */
  onDecide?: (decision: 'approve' | 'reject', comment: string) => Promise<void>;
  /** Offered while its retrospective review is open. */
  onCloseReview?: (comment: string) => Promise<void>;
}

/**
 * One break-glass declaration in words: who declared it for which version
 * and environment, why, the incident, its state, what it overrode; and the
 * approver's actions on it.
 *
 * @internal
 */
export function BreakGlassCard(props: BreakGlassCardProps) {
  const { breakGlass, environmentTitle, blockedReason } = props;
  const [dialog, setDialog] = useState<'approve' | 'reject' | 'review'>();
  const subject = `${breakGlass.version} into ${environmentTitle}`;
  const reviewOpen = breakGlass.review?.status === 'open';
  let state: ReactNode;
  if (breakGlass.status === 'pending') {
    state = 'Waiting for one approver.';
  } else if (breakGlass.status === 'approved') {
    state = (
      <>
        Approved
        {breakGlass.decidedBy && (
          <>
            {' '}
            by <Actor entityRef={breakGlass.decidedBy} />
          </>
        )}
        {breakGlass.approvalsNeeded === 0 && ' (on call: no approval needed)'}:
        the gate is open for {breakGlass.version} until{' '}
        {formatDateTime(breakGlass.expiresAt)} or one deployment.
      </>
    );
  } else if (breakGlass.status === 'rejected') {
    state = 'Rejected.';
  } else {
    state = (
      <>
        {breakGlass.approvalsNeeded === 0 || !breakGlass.decidedBy ? (
          'Needed no approval (on call).'
        ) : (
          <>
            Approved by <Actor entityRef={breakGlass.decidedBy} />
            {breakGlass.decisionComment
              ? `: ${sentence(breakGlass.decisionComment)}`
              : '.'}
          </>
        )}{' '}
        Used by the deployment of {formatDateTime(breakGlass.usedAt)}.
      </>
    );
  }

  return (
    <Paper variant="outlined">
      <Box p={2} aria-label={`Break-glass for ${subject}`} component="section">
        <Typography variant="subtitle1" component="h3">
          {props.showFlow && (
            <>
              <EntityRefLink entityRef={breakGlass.entityRef} />:{' '}
            </>
          )}
          Break-glass for {subject}
        </Typography>
        <Typography variant="body2">
          Declared by <Actor entityRef={breakGlass.declaredBy} /> on{' '}
          {formatDateTime(breakGlass.declaredAt)}: {breakGlass.reason}
        </Typography>
        <Typography variant="body2">
          Incident:{' '}
          <Link to={breakGlass.incidentLink}>{breakGlass.incidentLink}</Link>
        </Typography>
        <Typography variant="body2" color="textSecondary">
          {state}
        </Typography>
        {breakGlass.overriddenConditions.length > 0 && (
          <Typography variant="body2">
            It overrode:{' '}
            {breakGlass.overriddenConditions.map(c => c.message).join(' ')}
          </Typography>
        )}
        {reviewOpen && (
          <Alert severity="warning">
            Retrospective review open: an approver of {environmentTitle} closes
            it with a comment.
          </Alert>
        )}
        {breakGlass.review?.status === 'closed' && (
          <Typography variant="body2">
            Retrospective review closed by{' '}
            {breakGlass.review.closedBy && (
              <Actor entityRef={breakGlass.review.closedBy} />
            )}{' '}
            on {formatDateTime(breakGlass.review.closedAt)}:{' '}
            {breakGlass.review.comment}
          </Typography>
        )}
        <Box mt={1}>
          {breakGlass.status === 'pending' && props.onDecide && (
            <>
              <ActionButton
                label="Approve"
                accessibleName={`Approve break-glass for ${subject}`}
                variant="contained"
                color="primary"
                onClick={() => setDialog('approve')}
                disabledReason={blockedReason}
              />
              <ActionButton
                label="Reject"
                accessibleName={`Reject break-glass for ${subject}`}
                onClick={() => setDialog('reject')}
              />
            </>
          )}
          {reviewOpen && props.onCloseReview && (
            <ActionButton
              label="Close retrospective review"
              accessibleName={`Close retrospective review of break-glass for ${subject}`}
              variant="contained"
              color="primary"
              onClick={() => setDialog('review')}
              disabledReason={blockedReason}
            />
          )}
        </Box>
      </Box>
      <CommentDialog
        open={dialog === 'approve' || dialog === 'reject'}
        title={`${
          dialog === 'approve' ? 'Approve' : 'Reject'
        } break-glass for ${subject}`}
        label="Comment"
        submitLabel={dialog === 'approve' ? 'Approve' : 'Reject'}
        submitColor={dialog === 'approve' ? 'primary' : 'secondary'}
        onSubmit={async comment => {
          await props.onDecide?.(
            dialog === 'reject' ? 'reject' : 'approve',
            comment,
          );
        }}
        onClose={() => setDialog(undefined)}
      >
        <Typography>
          {dialog === 'approve'
            ? `Approving opens the gate for ${subject} once, whatever else it lacks.`
            : 'Rejecting keeps the gate as it is.'}
        </Typography>
      </CommentDialog>
      <CommentDialog
        open={dialog === 'review'}
        title={`Close retrospective review: ${subject}`}
        label="Comment"
        helperText="What the review found, and what follows from it."
        submitLabel="Close review"
        onSubmit={async comment => {
          await props.onCloseReview?.(comment);
        }}
        onClose={() => setDialog(undefined)}
      />
    </Paper>
  );
}
