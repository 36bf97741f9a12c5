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
import type {
  DecisionKind,
  Dossier,
  PromotionRequest,
} from '@promotion/plugin-promotion-common';
import { useId, useState } from 'react';
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
  approveBlockedReason?: string;
  rejectBlockedReason?: string;
  onDecide: (decision: DecisionKind, comment: string) => Promise<void>;
  /** Only for the requester. */
  requesterActions?: RequesterActions;
}

/**
 * A pending promotion request: its approval progress (k of N on the current
 * dossier), decisions so far, the dossier, and Approve / Reject for those who
 * may.
 *
 * @internal
 */
export function PromotionRequestCard(props: PromotionRequestCardProps) {
  const { request, environmentTitle, approvals, requiredApprovals } = props;
  const headingId = useId();
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
          {formatDateTime(request.createdAt)} · expires{' '}
          {formatDateTime(request.expiresAt)}
        </Typography>

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

        <Accordion variant="outlined">
          <AccordionSummary expandIcon={<ExpandMoreIcon />}>
            <Typography>Dossier</Typography>
          </AccordionSummary>
          <AccordionDetails>
            <DossierView dossier={request.dossier} />
          </AccordionDetails>
        </Accordion>

        <Box mt={2}>
          <ActionButton
            label="Approve"
            accessibleName={`Approve ${subject}`}
            variant="contained"
            onClick={() => decide('approve')}
            disabledReason={props.approveBlockedReason}
          />
          <ActionButton
            label="Reject"
            accessibleName={`Reject ${subject}`}
            color="secondary"
            onClick={() => decide('reject')}
            disabledReason={props.rejectBlockedReason}
          />
          {props.requesterActions && (
            <>
              <ActionButton
                label="Edit dossier"
                accessibleName={`Edit dossier of ${subject}`}
                onClick={() => setEditing(true)}
                disabledReason={props.requesterActions.blockedReason}
              />
              <ActionButton
                label="Withdraw"
                accessibleName={`Withdraw ${subject}`}
                onClick={() => setWithdrawing(true)}
                disabledReason={props.requesterActions.blockedReason}
              />
            </>
          )}
        </Box>
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
