import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogContentText from '@material-ui/core/DialogContentText';
import DialogTitle from '@material-ui/core/DialogTitle';
import TextField from '@material-ui/core/TextField';
import Alert from '@material-ui/lab/Alert';
import type { RollbackRequest } from '@promotion/plugin-promotion-common';
import { FormEvent, useEffect, useId, useState } from 'react';
import { errorMessage } from '../../utils/errors';

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
  const { open, onClose, onSubmit, environments } = props;
  const titleId = useId();
  const fallback = props.defaultEnvironmentId ?? environments[0]?.id ?? '';
  const [environmentId, setEnvironmentId] = useState(fallback);
  const [reason, setReason] = useState('');
  const [incidentLink, setIncidentLink] = useState('');
  const [toVersion, setToVersion] = useState('');
  const [pending, setPending] = useState(false);
  const [error, setError] = useState<unknown>();

  useEffect(() => {
    if (open) {
      setEnvironmentId(fallback);
      setReason('');
      setIncidentLink('');
      setToVersion('');
      setError(undefined);
    }
    // Only reset when the dialog opens.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  const target = environments.find(e => e.id === environmentId);
  const invalid = !target || reason.trim().length === 0;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (invalid || !target) {
      return;
    }
    setPending(true);
    setError(undefined);
    try {
      await onSubmit({
        environment: target.id,
        fromVersion: target.currentVersion,
        toVersion: toVersion.trim() || undefined,
        reason: reason.trim(),
        incidentLink: incidentLink.trim() || undefined,
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
        <DialogTitle id={titleId}>Record a rollback</DialogTitle>
        <DialogContent>
          <DialogContentText>
            A rollback records the revert to the previous working version,
            notifies the approvers and asks for an incident report.
          </DialogContentText>
          <TextField
            id={`${titleId}-environment`}
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
              This revokes the standing approval of {target.title}: the next
              version needs a new approval.
            </Alert>
          )}
          <TextField
            id={`${titleId}-reason`}
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
              target
                ? `Why ${target.currentVersion} is being reverted.`
                : undefined
            }
          />
          <TextField
            id={`${titleId}-incident`}
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
            id={`${titleId}-to-version`}
            label="Rolled back to version"
            value={toVersion}
            onChange={e => setToVersion(e.target.value)}
            fullWidth
            margin="normal"
            variant="outlined"
            helperText="Leave empty for the previous working version."
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
            color="secondary"
            variant="contained"
            disabled={pending || invalid}
          >
            Record rollback
          </Button>
        </DialogActions>
      </form>
    </Dialog>
  );
}
