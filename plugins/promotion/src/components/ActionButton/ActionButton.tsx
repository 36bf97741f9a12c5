import Box from '@material-ui/core/Box';
import Button, { ButtonProps } from '@material-ui/core/Button';
import Typography from '@material-ui/core/Typography';
import { useId } from 'react';

/** @internal */
export interface ActionButtonProps {
  /** The visible label. */
  label: string;
  /** A longer accessible name, which must contain the label (e.g. "Approve 1.4.0 into Production"). */
  accessibleName?: string;
  onClick: () => void;
  /** Why the user may not use this control; the button is disabled and the reason shown beside it. */
  disabledReason?: string;
  /**
   * The id of an element that already shows `disabledReason` for several
   * buttons at once (Approve and Reject): the button is described by it and
   * does not repeat the reason.
   */
  sharedReasonId?: string;
  variant?: ButtonProps['variant'];
  color?: ButtonProps['color'];
  size?: ButtonProps['size'];
  startIcon?: ButtonProps['startIcon'];
}

/**
 * A button that, when the user may not use it, is disabled and says why in
 * words next to it (and to assistive technology via aria-describedby).
 *
 * @internal
 */
export function ActionButton(props: ActionButtonProps) {
  const ownReasonId = useId();
  const { disabledReason, sharedReasonId } = props;
  const reasonId = sharedReasonId ?? ownReasonId;
  return (
    <Box display="inline-flex" flexDirection="column" mr={1} mb={1}>
      <Button
        variant={props.variant ?? 'outlined'}
        color={props.color ?? 'primary'}
        size={props.size ?? 'small'}
        startIcon={props.startIcon}
        aria-label={props.accessibleName}
        aria-describedby={disabledReason ? reasonId : undefined}
        disabled={!!disabledReason}
        onClick={props.onClick}
      >
        {props.label}
      </Button>
      {disabledReason && !sharedReasonId && (
        <Typography id={reasonId} variant="caption" color="textSecondary">
          {disabledReason}
        </Typography>
      )}
    </Box>
  );
}
