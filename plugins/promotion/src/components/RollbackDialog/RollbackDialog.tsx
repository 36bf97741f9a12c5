import DialogContentText from '@material-ui/core/DialogContentText';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import type { RollbackRequest } from '@promotion/plugin-promotion-common';
import { useEffect, useId, useState } from 'react';
import { FormDialog } from '../FormDialog';

/** @internal */
export interface RollbackTarget {
  id: string;
  title: string;
  /** The version standing there, which the rollback reverts. */
  currentVersion: string;
  /** Whether the environment holds a standing approval the rollback revokes. */
  hasStandingApproval: boolean;
}

/** @internal */
export interface RollbackDialogProps {
  open: boolean;
  environments: RollbackTarget[];
  defaultEnvironmentId?: string;
  onSubmit: (rollback: RollbackRequest) => Promise<void>;
  onClose: () => void;
}

/**
 * Records a rollback: which environment, why, the incident and the version
 * it went back to.
 *
 * @internal
 */
export function RollbackDialog(props: RollbackDialogProps) {
  const { open, onSubmit, environments } = props;
  const fieldId = useId();
  const fallback = props.defaultEnvironmentId ?? environments[0]?.id ?? '';
  const [environmentId, setEnvironmentId] = useState(fallback);
  const [reason, setReason] = useState('');
  const [incidentLink, setIncidentLink] = useState('');
  const [toVersion, setToVersion] = useState('');

  useEffect(() => {
    if (open) {
      setEnvironmentId(fallback);
      setReason('');
      setIncidentLink('');
      setToVersion('');
    }
    // Only reset when the dialog opens.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  const target = environments.find(e => e.id === environmentId);

  return (
    <FormDialog
      open={open}
      title="Record a rollback"
      submitLabel="Record rollback"
      submitColor="secondary"
      canSubmit={!!target && reason.trim().length > 0}
      onSubmit={async () => {
        if (!target) {
          return;
        }
        await onSubmit({
          environment: target.id,
          fromVersion: target.currentVersion,
          toVersion: toVersion.trim() || undefined,
          reason: reason.trim(),
          incidentLink: incidentLink.trim() || undefined,
        });
      }}
      onClose={props.onClose}
    >
      <DialogContentText>
        A rollback records the revert to the previous working version, notifies
        the approvers and asks for an incident report.
      </DialogContentText>
      <TextField
        id={`${fieldId}-environment`}
        select
        label="Environment"
        value={environmentId}
        onChange={e => setEnvironmentId(e.target.value)}
        SelectProps={{ native: true }}
        fullWidth
        margin="normal"
        variant="outlined"
        required
      >
        {environments.map(e => (
          <option key={e.id} value={e.id}>
            {e.title} (now {e.currentVersion})
          </option>
        ))}
      </TextField>
      {target?.hasStandingApproval && (
        <Alert severity="warning">
          This revokes the standing approval of {target.title}: the next version
          needs a new approval.
        </Alert>
      )}
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
        helperText={
          target ? `Why ${target.currentVersion} is being reverted.` : undefined
        }
      />
      <TextField
        id={`${fieldId}-incident`}
        label="Incident link"
        value={incidentLink}
        onChange={e => setIncidentLink(e.target.value)}
        type="url"
        fullWidth
        margin="normal"
        variant="outlined"
        helperText="The incident or ticket that tracks this rollback."
      />
      <TextField
        id={`${fieldId}-to-version`}
        label="Rolled back to version"
        value={toVersion}
        onChange={e => setToVersion(e.target.value)}
        fullWidth
        margin="normal"
        variant="outlined"
        helperText="Leave empty for the previous working version."
      />
    </FormDialog>
  );
}
