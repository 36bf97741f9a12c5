import DialogContentText from '@material-ui/core/DialogContentText';
import Grid from '@material-ui/core/Grid';
import TextField from '@material-ui/core/TextField';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import type {
  Dossier,
  GateCondition,
} from '@promotion/plugin-promotion-common';
import { useEffect, useId, useState } from 'react';
import { ConditionText } from '../ConditionText';
import { FormDialog } from '../FormDialog';
import { DOSSIER_SECTIONS, DossierView } from '../DossierView';

/** What the backend requires; test results and release notes may be empty. */
const REQUIRED: Array<keyof Dossier> = ['whatChanged', 'why'];

const HELP: Record<keyof Dossier, string> = {
  whatChanged: 'The changes this version brings. Markdown.',
  why: 'Why it should be promoted now. Markdown.',
  testResults:
    'Pre-filled from the completed checklist items and their evidence. Markdown.',
  releaseNotes: 'What users and the approver should know. Markdown.',
};

/** @internal */
export interface RequestDialogProps {
  open: boolean;
  /** `create` asks for a new promotion request; `edit` changes its dossier. */
  mode: 'create' | 'edit';
  environmentTitle: string;
  version: string;
  initialDossier: Dossier;
  /**
   * Conditions that will still stand once the request is approved, shown
   * before the dossier (the dependencies not in the environment yet).
   */
  openConditions?: GateCondition[];
  onSubmit: (dossier: Dossier) => Promise<void>;
  onClose: () => void;
}

/**
 * The promotion request dialog: the dossier (what changed, why, test results,
 * release notes) with a rendered preview.
 *
 * @internal
 */
export function RequestDialog(props: RequestDialogProps) {
  const { open, onSubmit, initialDossier } = props;
  const fieldId = useId();
  const [dossier, setDossier] = useState<Dossier>(initialDossier);

  useEffect(() => {
    if (open) {
      setDossier(initialDossier);
    }
    // Only reset when the dialog opens, not when the flow refreshes behind it.
    // eslint-disable-next-line react-hooks/exhaustive-deps
  }, [open]);

  const missing = REQUIRED.filter(key => dossier[key].trim().length === 0);

  const title =
    props.mode === 'create'
      ? `Request promotion of ${props.version} into ${props.environmentTitle}`
      : `Edit the dossier for ${props.version} into ${props.environmentTitle}`;

  return (
    <FormDialog
      open={open}
      title={title}
      maxWidth="lg"
      submitLabel={
        props.mode === 'create' ? 'Request promotion' : 'Save dossier'
      }
      canSubmit={missing.length === 0}
      onSubmit={() => onSubmit(dossier)}
      onClose={props.onClose}
    >
      {props.mode === 'edit' && (
        <Alert severity="warning">
          Editing the dossier voids the approvals already given: approvers
          decide on the dossier as it is when they read it.
        </Alert>
      )}
      {props.openConditions && props.openConditions.length > 0 && (
        <Alert severity="warning" aria-label="Still needed once approved">
          Even once approved, {props.version} cannot go to{' '}
          {props.environmentTitle} until:
          <ul>
            {props.openConditions.map((condition, index) => (
              <li key={`${condition.code}-${index}`}>
                <ConditionText condition={condition} />
              </li>
            ))}
          </ul>
        </Alert>
      )}
      <DialogContentText>
        Approvers decide on this dossier: say what changed and why; add the test
        results and release notes they need to judge it.
      </DialogContentText>
      <Grid container spacing={3}>
        <Grid item xs={12} md={6}>
          {DOSSIER_SECTIONS.map(({ key, title: label }) => (
            <TextField
              id={`${fieldId}-${key}`}
              key={key}
              label={label}
              value={dossier[key]}
              onChange={e =>
                setDossier(current => ({
                  ...current,
                  [key]: e.target.value,
                }))
              }
              required={REQUIRED.includes(key)}
              helperText={HELP[key]}
              multiline
              minRows={key === 'testResults' ? 6 : 3}
              fullWidth
              margin="normal"
              variant="outlined"
            />
          ))}
        </Grid>
        <Grid item xs={12} md={6}>
          <section aria-label="Dossier preview">
            <Typography variant="h6" component="h3" gutterBottom>
              Preview
            </Typography>
            <DossierView dossier={dossier} />
          </section>
        </Grid>
      </Grid>
    </FormDialog>
  );
}
