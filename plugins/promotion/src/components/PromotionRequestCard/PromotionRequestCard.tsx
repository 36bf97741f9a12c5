import { EntityRefLink } from '@backstage/plugin-catalog-react';
import Accordion from '@material-ui/core/Accordion';
import AccordionDetails from '@material-ui/core/AccordionDetails';
import AccordionSummary from '@material-ui/core/AccordionSummary';
import Box from '@material-ui/core/Box';
import LinearProgress from '@material-ui/core/LinearProgress';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Paper from '@material-ui/core/Paper';
import Typography from '@material-ui/core/Typography';
import ExpandMoreIcon from '@material-ui/icons/ExpandMore';
import Alert from '@material-ui/lab/Alert';
import type {
  DecisionKind,
  Dossier,
  PromotionRequest,
} from '@promotion/plugin-promotion-common';
import { ReactNode, useId, useState } from 'react';
import { useDeadlineClock } from '../../hooks';
import { isExpired } from '../../utils/decisions';
import { formatDateTime } from '../../utils/format';
import { wrappingListItemText } from '../../utils/styles';
import { ActionButton } from '../ActionButton';
import { Actor } from '../Actor';
import { CommentDialog } from '../CommentDialog';
import { DossierView } from '../DossierView';
import { RequestDialog } from '../RequestDialog';

/** What the requester may do with their own request. */
export interface RequesterActions {
  /** Why the requester may not edit or withdraw, in words. */
  blockedReason?: string;
  onEdit: (dossier: Dossier) => Promise<void>;
  onWithdraw: (reason: string) => Promise<void>;
}

/** @internal */
export interface PromotionRequestCardProps {
  request: PromotionRequest;
  environmentTitle: string;
  /** Approvals counted on the current dossier, and how many are needed. */
  approvals: number;
  requiredApprovals: number;
  /** Shows a link to the flow (on the Approvals page). */
  showFlow?: boolean;
  /**
   * Why the user may not approve, or reject, in words: the buttons are
   * disabled, and one reason is shown for both when it is the same.
   */
  approveBlockedReason?: string;
  rejectBlockedReason?: string;
  /**
   * No Approve / Reject at all: the user may not decide requests of this flow
   * (the notice at the top of the tab says who does).
   */
  decisionsHidden?: boolean;
  /** What the approver needs to decide, shown above the dossier (the inbox's facts). */
  details?: ReactNode;
  onDecide: (decision: DecisionKind, comment: string) => Promise<void>;
  /** Only for the requester. */
  requesterActions?: RequesterActions;
}

/**
 * A pending promotion request: its approval progress (k of N on the current
 * dossier), decisions so far, the dossier, and Approve / Reject for those who
 * may. From its deadline on it shows as expired, without controls, whether or
 * not the backend has closed it yet.
 *
 * @internal
 */
export function PromotionRequestCard(props: PromotionRequestCardProps) {
  const { request, environmentTitle, approvals, requiredApprovals } = props;
  const headingId = useId();
  const decisionReasonId = useId();
  const requesterReasonId = useId();
  const now = useDeadlineClock([request.expiresAt]);
  const expired = isExpired(request, now);
  const [decision, setDecision] = useState<DecisionKind>('approve');
  const [deciding, setDeciding] = useState(false);
  const decide = (kind: DecisionKind) => {
    setDecision(kind);
    setDeciding(true);
  };
  const [editing, setEditing] = useState(false);
  const [withdrawing, setWithdrawing] = useState(false);
  const subject = `${request.version} into ${environmentTitle}`;

  return (
    <Paper variant="outlined" component="article" aria-labelledby={headingId}>
      <Box p={2}>
        <Typography variant="h6" component="h3" id={headingId}>
          {props.showFlow ? (
            <>
              <EntityRefLink entityRef={request.entityRef} />: {subject}
            </>
          ) : (
            `Promote ${subject}`
          )}
        </Typography>
        <Typography variant="body2" color="textSecondary">
          Requested by <Actor entityRef={request.requestedBy} /> on{' '}
          {formatDateTime(request.createdAt)} ·{' '}
          {expired ? 'expired on' : 'expires'}{' '}
          {formatDateTime(request.expiresAt)}
        </Typography>
        {expired && (
          <Box mt={1}>
            <Alert severity="warning">
              Expired on {formatDateTime(request.expiresAt)} without a decision:
              it can no longer be approved; request the promotion again.
            </Alert>
          </Box>
        )}

        <Box mt={1} mb={1}>
          <Typography variant="body2">
            {approvals} of {requiredApprovals} approval
            {requiredApprovals === 1 ? '' : 's'}
          </Typography>
          <LinearProgress
            variant="determinate"
            value={Math.min(100, (approvals / requiredApprovals) * 100)}
            aria-label={`Approval progress for ${subject}`}
            aria-valuetext={`${approvals} of ${requiredApprovals} approvals`}
          />
        </Box>

        {request.decisions.length > 0 && (
          <List dense aria-label="Decisions">
            {request.decisions.map(given => {
              const counts =
                !given.voidedAt && given.dossierHash === request.dossierHash;
              return (
                <ListItem key={given.id} disableGutters>
                  <ListItemText
                    style={wrappingListItemText}
                    primary={
                      <>
                        <Actor entityRef={given.decidedBy} />{' '}
                        {given.decision === 'approve' ? 'approved' : 'rejected'}{' '}
                        on {formatDateTime(given.decidedAt)}
                        {!counts &&
                          ' — no longer counts: the dossier was edited since'}
                      </>
                    }
                    secondary={`“${given.comment}”`}
                  />
                </ListItem>
              );
            })}
          </List>
        )}

        {props.details}

        <Accordion variant="outlined">
          <AccordionSummary expandIcon={<ExpandMoreIcon />}>
            <Typography>Dossier</Typography>
          </AccordionSummary>
          <AccordionDetails>
            <DossierView dossier={request.dossier} />
          </AccordionDetails>
        </Accordion>

        {!expired && (
          <RequestControls
            subject={subject}
            approveBlockedReason={props.approveBlockedReason}
            rejectBlockedReason={props.rejectBlockedReason}
            decisionsHidden={props.decisionsHidden}
            requesterActions={props.requesterActions}
            decisionReasonId={decisionReasonId}
            requesterReasonId={requesterReasonId}
            onDecide={decide}
            onEdit={() => setEditing(true)}
            onWithdraw={() => setWithdrawing(true)}
          />
        )}
      </Box>

      <CommentDialog
        open={deciding}
        title={`${decision === 'reject' ? 'Reject' : 'Approve'} ${subject}`}
        label="Comment"
        helperText={
          decision === 'reject'
            ? 'Why you reject it. A single rejection ends the request.'
            : 'Why you approve it. Your approval binds to the dossier as you read it.'
        }
        submitLabel={decision === 'reject' ? 'Reject' : 'Approve'}
        submitColor={decision === 'reject' ? 'secondary' : 'primary'}
        onClose={() => setDeciding(false)}
        onSubmit={comment => props.onDecide(decision, comment)}
      />
      {props.requesterActions && (
        <>
          <RequestDialog
            open={editing}
            mode="edit"
            environmentTitle={environmentTitle}
            version={request.version}
            initialDossier={request.dossier}
            onClose={() => setEditing(false)}
            onSubmit={props.requesterActions.onEdit}
          />
          <CommentDialog
            open={withdrawing}
            title={`Withdraw the request to promote ${subject}`}
            label="Reason"
            required={false}
            submitLabel="Withdraw"
            submitColor="secondary"
            onClose={() => setWithdrawing(false)}
            onSubmit={props.requesterActions.onWithdraw}
          />
        </>
      )}
    </Paper>
  );
}

/** Approve / Reject, and Edit / Withdraw for the requester, each pair with one reason when blocked alike. */
function RequestControls(props: {
  subject: string;
  approveBlockedReason?: string;
  rejectBlockedReason?: string;
  decisionsHidden?: boolean;
  requesterActions?: RequesterActions;
  decisionReasonId: string;
  requesterReasonId: string;
  onDecide: (kind: DecisionKind) => void;
  onEdit: () => void;
  onWithdraw: () => void;
}) {
  const { subject, approveBlockedReason, rejectBlockedReason } = props;
  const sameDecisionReason =
    !!approveBlockedReason && approveBlockedReason === rejectBlockedReason;
  const requesterReason = props.requesterActions?.blockedReason;
  if (props.decisionsHidden && !props.requesterActions) {
    return null;
  }
  return (
    <Box mt={2}>
      {!props.decisionsHidden && (
        <Box>
          <ActionButton
            label="Approve"
            accessibleName={`Approve ${subject}`}
            variant="contained"
            onClick={() => props.onDecide('approve')}
            disabledReason={approveBlockedReason}
            sharedReasonId={
              sameDecisionReason ? props.decisionReasonId : undefined
            }
          />
          <ActionButton
            label="Reject"
            accessibleName={`Reject ${subject}`}
            color="secondary"
            onClick={() => props.onDecide('reject')}
            disabledReason={rejectBlockedReason}
            sharedReasonId={
              sameDecisionReason ? props.decisionReasonId : undefined
            }
          />
          {sameDecisionReason && (
            <Typography
              id={props.decisionReasonId}
              variant="caption"
              color="textSecondary"
              component="p"
            >
              {approveBlockedReason}
            </Typography>
          )}
        </Box>
      )}
      {props.requesterActions && (
        <Box>
          <ActionButton
            label="Edit dossier"
            accessibleName={`Edit dossier of ${subject}`}
            onClick={props.onEdit}
            disabledReason={requesterReason}
            sharedReasonId={
              requesterReason ? props.requesterReasonId : undefined
            }
          />
          <ActionButton
            label="Withdraw"
            accessibleName={`Withdraw ${subject}`}
            onClick={props.onWithdraw}
            disabledReason={requesterReason}
            sharedReasonId={
              requesterReason ? props.requesterReasonId : undefined
            }
          />
          {requesterReason && (
            <Typography
              id={props.requesterReasonId}
              variant="caption"
              color="textSecondary"
              component="p"
            >
              {requesterReason}
            </Typography>
          )}
        </Box>
      )}
    </Box>
  );
}
