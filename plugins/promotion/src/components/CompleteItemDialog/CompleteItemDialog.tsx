import DialogContentText from '@material-ui/core/DialogContentText';
import TextField from '@material-ui/core/TextField';
import { useEffect, useId, useState } from 'react';
import { FormDialog } from '../FormDialog';

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
  const { open, onSubmit, evidenceRequired } = props;
  const fieldId = useId();
  const [evidenceLink, setEvidenceLink] = useState('');
  const [note, setNote] = useState('');

  useEffect(() => {
    if (open) {
      setEvidenceLink('');
      setNote('');
    }
  }, [open]);

  const link = evidenceLink.trim();
  const linkProblem =
    link && !isLink(link)
      ? 'The evidence link must be an http(s) address.'
      : undefined;
  const missingLink = evidenceRequired && !link;
  const invalid = !!linkProblem || missingLink;

  return (
    <FormDialog
      open={open}
      title={`Complete “${props.itemTitle}”`}
      submitLabel="Complete"
      canSubmit={!invalid}
      onSubmit={() =>
        onSubmit({
          evidenceLink: link || undefined,
          note: note.trim() || undefined,
        })
      }
      onClose={props.onClose}
    >
      <DialogContentText>
        {props.description ? `${props.description} ` : ''}This applies to{' '}
        {props.appliesTo}.
      </DialogContentText>
      <TextField
        id={`${fieldId}-evidence`}
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
        id={`${fieldId}-note`}
        label="Note"
        value={note}
        onChange={e => setNote(e.target.value)}
        multiline
        minRows={2}
        fullWidth
        margin="normal"
        variant="outlined"
      />
    </FormDialog>
  );
}
