import { Link } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import ListItem from '@material-ui/core/ListItem';
import ListItemIcon from '@material-ui/core/ListItemIcon';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import { makeStyles } from '@material-ui/core/styles';
import CheckCircleIcon from '@material-ui/icons/CheckCircle';
import RadioButtonUncheckedIcon from '@material-ui/icons/RadioButtonUnchecked';
import type {
  ChecklistAttester,
  ChecklistCompletion,
} from '@promotion/plugin-promotion-common';
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
  /** Who completes the item; absent means people (`person`). */
  attestedBy?: ChecklistAttester;
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

/** Why a person cannot complete an item only a pipeline attests. */
export const PIPELINE_ONLY_REASON =
  'Completed by the pipeline: it attests this item with its evidence.';

/** Who is awaited on an item no one completed yet. */
function notCompleted(attestedBy: ChecklistAttester | undefined): string {
  if (attestedBy === 'pipeline') {
    return 'Not completed: the pipeline attests it.';
  }
  if (attestedBy === 'both') {
    return 'Not completed: a person or the pipeline completes it.';
  }
  return 'Not completed.';
}

/** What the item's caption says about who completes it. */
export function attesterWords(attestedBy: ChecklistAttester | undefined) {
  if (attestedBy === 'pipeline') {
    return ' · attested by the pipeline';
  }
  if (attestedBy === 'both') {
    return ' · by a person or attested by the pipeline';
  }
  return '';
}

/** A completion a pipeline (a service principal, `service:<subject>`) attested. */
function isAttested(completion: ChecklistCompletion): boolean {
  return completion.completedBy.startsWith('service:');
}

/** Who completed the item, when, with what evidence, result and note. */
function CompletionFacts(props: { completion: ChecklistCompletion }) {
  const { completion } = props;
  const evidence = completion.evidenceLink && (
    <Link to={completion.evidenceLink} rel="noopener noreferrer">
      evidence
    </Link>
  );
  if (isAttested(completion)) {
    return (
      <Typography variant="body2" component="div">
        Attested by <Actor entityRef={completion.completedBy} /> on{' '}
        {formatDateTime(completion.completedAt)}
        {completion.result && <>: {completion.result}</>}
        {evidence && <> ({evidence})</>}
        {completion.note && <> — {completion.note}</>}
      </Typography>
    );
  }
  return (
    <Typography variant="body2" component="div">
      Completed by <Actor entityRef={completion.completedBy} /> on{' '}
      {formatDateTime(completion.completedAt)}
      {evidence && (
        <>
          {' — '}
          {evidence}
        </>
      )}
      {completion.note && <> — {completion.note}</>}
    </Typography>
  );
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
              <CompletionFacts completion={completion} />
            ) : (
              <Typography variant="body2" color="textSecondary">
                {resetByRollbackAt
                  ? `Completed before the rollback on ${formatDateTime(
                      resetByRollbackAt,
                    )}; complete again for the next version.`
                  : notCompleted(props.attestedBy)}
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
                    disabledReason={
                      props.attestedBy === 'pipeline'
                        ? PIPELINE_ONLY_REASON
                        : props.completeBlockedReason
                    }
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
