import Button from '@material-ui/core/Button';
import Dialog, { DialogProps } from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import Alert from '@material-ui/lab/Alert';
import { FormEvent, ReactNode, useEffect, useId, useState } from 'react';
import { errorMessage } from '../../utils/errors';

/** @internal */
export interface FormDialogProps {
  open: boolean;
  title: string;
  /** The form's fields and explanations. */
  children: ReactNode;
  submitLabel: string;
  submitColor?: 'primary' | 'secondary';
  /** False while the form is incomplete or invalid: submitting is disabled. */
  canSubmit: boolean;
  /** Does the work; the dialog closes when it resolves and shows the backend's message when it rejects. */
  onSubmit: () => Promise<void>;
  onClose: () => void;
  maxWidth?: DialogProps['maxWidth'];
}

/**
 * The shell every Promotion dialog shares: a form with a title, a scrolling
 * body, Cancel and a submit button that stays disabled while the form is
 * incomplete or the call is running, and the backend's own message when it
 * refuses. The title and the buttons stay in view while the body scrolls.
 *
 * @internal
 */
export function FormDialog(props: FormDialogProps) {
  const { open, onClose, onSubmit, canSubmit } = props;
  const titleId = useId();
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    if (open) {
      setError(undefined);
    }
  }, [open]);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!canSubmit) {
      return;
    }
    setPending(true);
    setError(undefined);
    try {
      await onSubmit();
      onClose();
    } catch (e) {
      setError(e);
    } finally {
      setPending(false);
    }
  };

  return (
    <Dialog
      open={open}
      onClose={pending ? undefined : onClose}
      aria-labelledby={titleId}
      fullWidth
      maxWidth={props.maxWidth ?? 'sm'}
    >
      {/* A flex column, so that only DialogContent scrolls. */}
      <form
        onSubmit={submit}
        style={{ display: 'flex', flexDirection: 'column', minHeight: 0 }}
      >
        <DialogTitle id={titleId}>{props.title}</DialogTitle>
        <DialogContent>
          {props.children}
          {error !== undefined && (
            <Alert severity="error">{errorMessage(error)}</Alert>
          )}
        </DialogContent>
        <DialogActions>
          <Button onClick={onClose} disabled={pending}>
            Cancel
          </Button>
          <Button
            type="submit"
            color={props.submitColor ?? 'primary'}
            variant="contained"
            disabled={pending || !canSubmit}
          >
            {props.submitLabel}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
