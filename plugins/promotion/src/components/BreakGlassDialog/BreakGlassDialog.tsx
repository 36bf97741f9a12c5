import DialogContentText from '@material-ui/core/DialogContentText';
import TextField from '@material-ui/core/TextField';
import type { DeclareBreakGlassRequest } from '@promotion/plugin-promotion-common';
import { useEffect, useId, useState } from 'react';
import { FormDialog } from '../FormDialog';

/** @internal */
export interface BreakGlassDialogProps {
  open: boolean;
  environmentId: string;
  environmentTitle: string;
  version: string;
  /** Whether the signed-in user's declaration needs an approver (not on call). */
  needsApproval: boolean;
  onSubmit: (declaration: DeclareBreakGlassRequest) => Promise<void>;
  onClose: () => void;
}

/** Whether a text is an http(s) URL, as the backend checks the incident link. */
function isHttpUrl(text: string): boolean {
  try {
    return /^https?:$/.test(new URL(text).protocol);
  } catch {
    return false;
  }
}

/**
 * Declares a break-glass: an emergency deployment of the version past the
 * closed gate, with the reason and the incident it answers.
 *
 * @internal
 */
export function BreakGlassDialog(props: BreakGlassDialogProps) {
  const { open, onSubmit, environmentTitle, version } = props;
  const fieldId = useId();
  const [reason, setReason] = useState('');
  const [incidentLink, setIncidentLink] = useState('');

  useEffect(() => {
    if (open) {
      setReason('');
      setIncidentLink('');
    }
  }, [open]);

  const linkTyped = incidentLink.trim().length > 0;
  const linkValid = isHttpUrl(incidentLink.trim());

  return (
    <FormDialog
      open={open}
      title={`Break glass: ${version} into ${environmentTitle}`}
      submitLabel="Declare break-glass"
      submitColor="secondary"
      canSubmit={reason.trim().length > 0 && linkValid}
      onSubmit={() =>
        onSubmit({
          environment: props.environmentId,
          version,
          reason: reason.trim(),
          incidentLink: incidentLink.trim(),
        })
      }
      onClose={props.onClose}
    >
      <DialogContentText>
        An emergency deployment past the closed gate, on purpose: it overrides
        every open condition for {version} into {environmentTitle}, once.{' '}
        {props.needsApproval
          ? `One approver of ${environmentTitle} must approve it first.`
          : 'You are on call: it needs no approval.'}{' '}
        The approvers and compliance are told, the deployment is flagged, and a
        retrospective review stays open until an approver closes it.
      </DialogContentText>
      <TextField
        id={`${fieldId}-reason`}
        label="Reason"
        value={reason}
        onChange={e => setReason(e.target.value)}
        required
        multiline
        minRows={3}
        fullWidth
        margin="normal"
        variant="outlined"
        helperText="Why this deployment cannot wait for the gate."
      />
      <TextField
        id={`${fieldId}-incident`}
        label="Incident link"
        value={incidentLink}
        onChange={e => setIncidentLink(e.target.value)}
        type="url"
        required
        error={linkTyped && !linkValid}
        fullWidth
        margin="normal"
        variant="outlined"
        helperText={
          linkTyped && !linkValid
            ? 'Must be an http(s) URL.'
            : 'The incident this emergency deployment answers.'
        }
      />
    </FormDialog>
  );
}
