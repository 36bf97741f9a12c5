import { Link } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import ListItem from '@material-ui/core/ListItem';
import ListItemIcon from '@material-ui/core/ListItemIcon';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import RadioButtonUncheckedIcon from '@material-ui/icons/RadioButtonUnchecked';
import type { ChecklistCompletion } from '@promotion/plugin-promotion-common';
import { ReactNode, useState } from 'react';
import { formatDateTime } from '../../utils/format';
import { wrappingListItemText } from '../../utils/styles';
import { ActionButton } from '../ActionButton';
import { Actor } from '../Actor';
import { CompleteItemDialog } from '../CompleteItemDialog';

const useStyles = makeStyles(theme => ({
  done: { color: theme.palette.success.main },
}));

/** @internal */
export interface ChecklistItemRowProps {
  title: string;
  description?: string;
  /** Extra facts under the title: the item's scope or its minimum wait. */
  details?: ReactNode;
  completion?: ChecklistCompletion;
  /**
   * When the flow's latest rollback undid `completion` (a flow-scoped item
   * that is confirmed again after a rollback): the time of that rollback.
   * The item is shown as needing completion again.
   */
  resetByRollbackAt?: string;
  evidenceRequired: boolean;
  appliesTo: string;
  /** Why the item cannot be completed now, in words. */
  completeBlockedReason?: string;
  /** Why the completion cannot be undone, in words. */
  undoBlockedReason?: string;
  /** The user may not complete checklist items of this flow: no controls. */
  readOnly?: boolean;
  onComplete: (completion: {
    evidenceLink?: string;
    note?: string;
  }) => Promise<void>;
  onUndo: () => void;
}

/**
 * One checklist item: who completed it, when, with what evidence; or the
 * control to complete it, also when a rollback undid its completion.
 *
 * @internal
 */
export function ChecklistItemRow(props: ChecklistItemRowProps) {
  const { title, resetByRollbackAt } = props;
  // A completion a rollback undid no longer counts: the item is to do again.
  const completion = resetByRollbackAt ? undefined : props.completion;
  const classes = useStyles();
  const [completing, setCompleting] = useState(false);

  return (
    <ListItem alignItems="flex-start" divider>
      <ListItemIcon>
        {completion ? (
          <CheckCircleIcon className={classes.done} />
        ) : (
          <RadioButtonUncheckedIcon />
        )}
      </ListItemIcon>
      <ListItemText
        style={wrappingListItemText}
        disableTypography
        primary={<Typography variant="body1">{title}</Typography>}
        secondary={
          <Box>
            {props.description && (
              <Typography variant="body2" color="textSecondary">
                {props.description}
              </Typography>
            )}
            {props.details}
            {completion ? (
              <Typography variant="body2" component="div">
                Completed by <Actor entityRef={completion.completedBy} /> on{' '}
                {formatDateTime(completion.completedAt)}
                {completion.evidenceLink && (
                  <>
                    {' — '}
                    <Link
                      to={completion.evidenceLink}
                      rel="noopener noreferrer"
                    >
                      evidence
                    </Link>
                  </>
                )}
                {completion.note && <> — {completion.note}</>}
              </Typography>
            ) : (
              <Typography variant="body2" color="textSecondary">
                {resetByRollbackAt
                  ? `Completed before the rollback on ${formatDateTime(
                      resetByRollbackAt,
                    )}; complete again for the next version.`
                  : 'Not completed.'}
              </Typography>
            )}
            {!props.readOnly && (
              <Box mt={1}>
                {completion ? (
                  <ActionButton
                    label="Undo"
                    accessibleName={`Undo ${title}`}
                    onClick={props.onUndo}
                    disabledReason={props.undoBlockedReason}
                  />
                ) : (
                  <ActionButton
                    label="Complete"
                    accessibleName={`Complete ${title}`}
                    onClick={() => setCompleting(true)}
                    disabledReason={props.completeBlockedReason}
                  />
                )}
              </Box>
            )}
          </Box>
        }
      />
      <CompleteItemDialog
        open={completing}
        itemTitle={title}
        description={props.description}
        appliesTo={props.appliesTo}
        evidenceRequired={props.evidenceRequired}
        onClose={() => setCompleting(false)}
        onSubmit={props.onComplete}
      />
    </ListItem>
  );
}
