import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { FormEvent, ReactNode, useEffect, useId, useState } from 'react';
import { errorMessage } from '../../utils/errors';

/** @internal */
export interface CommentDialogProps {
  open: boolean;
  title: string;
  /** What the user is about to do, above the field. */
  children?: ReactNode;
  /** The field's label, e.g. "Comment" or "Reason". */
  label: string;
  helperText?: string;
  /** Defaults to true: the dialog cannot be submitted with an empty text. */
  required?: boolean;
  submitLabel: string;
  submitColor?: 'primary' | 'secondary';
  onSubmit: (text: string) => Promise<void>;
  onClose: () => void;
}

/**
 * A dialog asking for one written text (a comment or a reason) before doing
 * something: sign-offs, approvals, rejections, revocations, withdrawals.
 * Shows the backend's message when it refuses.
 *
 * @internal
 */
export function CommentDialog(props: CommentDialogProps) {
  const { open, onClose, onSubmit, required = true } = props;
  const titleId = useId();
  const [text, setText] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    if (open) {
      setText('');
      setError(undefined);
    }
  }, [open]);

  const empty = text.trim().length === 0;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (required && empty) {
      return;
    }
    setPending(true);
    setError(undefined);
    try {
      await onSubmit(text.trim());
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
      maxWidth="sm"
    >
      <form onSubmit={submit}>
        <DialogTitle id={titleId}>{props.title}</DialogTitle>
        <DialogContent>
          {props.children}
          <TextField
            id={`${titleId}-text`}
            label={props.label}
            value={text}
            onChange={e => setText(e.target.value)}
            required={required}
            helperText={props.helperText}
            multiline
            minRows={3}
            fullWidth
            margin="normal"
            variant="outlined"
          />
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
            disabled={pending || (required && empty)}
          >
            {props.submitLabel}
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
