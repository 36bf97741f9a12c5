import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import { FormEvent, useEffect, useId, useState } from 'react';
import { errorMessage } from '../../utils/errors';

/** @internal */
export interface CompleteItemDialogProps {
  open: boolean;
  itemTitle: string;
  description?: string;
  /** What the completion applies to, in words: "version 1.4.0 on Test" or "the flow as a whole". */
  appliesTo: string;
  evidenceRequired: boolean;
  onSubmit: (completion: {
    evidenceLink?: string;
    note?: string;
  }) => Promise<void>;
  onClose: () => void;
}

function isLink(text: string): boolean {
  try {
    const url = new URL(text);
    return url.protocol === 'https:' || url.protocol === 'http:';
  } catch {
    return false;
  }
}

/**
 * Completes a validation or post-deployment checklist item with an evidence
 * link and a note.
 *
 * @internal
 */
export function CompleteItemDialog(props: CompleteItemDialogProps) {
  const { open, onClose, onSubmit, evidenceRequired } = props;
  const titleId = useId();
  const [evidenceLink, setEvidenceLink] = useState('');
  const [note, setNote] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    if (open) {
      setEvidenceLink('');
      setNote('');
      setError(undefined);
    }
  }, [open]);

  const link = evidenceLink.trim();
  const linkProblem =
    link && !isLink(link)
      ? 'The evidence link must be an http(s) address.'
      : undefined;
  const missingLink = evidenceRequired && !link;
  const invalid = !!linkProblem || missingLink;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (invalid) {
      return;
    }
    setPending(true);
    setError(undefined);
    try {
      await onSubmit({
        evidenceLink: link || undefined,
        note: note.trim() || undefined,
      });
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
        <DialogTitle id={titleId}>Complete “{props.itemTitle}”</DialogTitle>
        <DialogContent>
          <DialogContentText>
            {props.description ? `${props.description} ` : ''}This applies to{' '}
            {props.appliesTo}.
          </DialogContentText>
          <TextField
            id={`${titleId}-evidence`}
            label="Evidence link"
            value={evidenceLink}
            onChange={e => setEvidenceLink(e.target.value)}
            required={evidenceRequired}
            error={!!linkProblem}
            helperText={
              linkProblem ??
              (evidenceRequired
                ? 'This item needs a link to its evidence (a CI run, a test report, a ticket).'
                : 'A link to the evidence (a CI run, a test report, a ticket).')
            }
            type="url"
            fullWidth
            margin="normal"
            variant="outlined"
          />
          <TextField
            id={`${titleId}-note`}
            label="Note"
            value={note}
            onChange={e => setNote(e.target.value)}
            multiline
            minRows={2}
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
            color="primary"
            variant="contained"
            disabled={pending || invalid}
          >
            Complete
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
