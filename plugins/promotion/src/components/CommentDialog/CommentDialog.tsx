import TextField from '@material-ui/core/TextField';
import { ReactNode, useEffect, useId, useState } from 'react';
import { FormDialog } from '../FormDialog';

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
  const { open, onSubmit, required = true } = props;
  const fieldId = useId();
  const [text, setText] = useState('');

  useEffect(() => {
    if (open) {
      setText('');
    }
  }, [open]);

  const empty = text.trim().length === 0;

  return (
    <FormDialog
      open={open}
      title={props.title}
      submitLabel={props.submitLabel}
      submitColor={props.submitColor}
      canSubmit={!(required && empty)}
      onSubmit={() => onSubmit(text.trim())}
      onClose={props.onClose}
    >
      {props.children}
      <TextField
        id={fieldId}
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
    </FormDialog>
  );
}
