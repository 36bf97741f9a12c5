import { Link, Progress } from '@backstage/core-components';
import Box from '@material-ui/core/Box';
import Button from '@material-ui/core/Button';
import Dialog from '@material-ui/core/Dialog';
import DialogActions from '@material-ui/core/DialogActions';
import DialogContent from '@material-ui/core/DialogContent';
import DialogTitle from '@material-ui/core/DialogTitle';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import type {
  AuditEventRef,
  Deployment,
  DeploymentTrail,
  TrailChecklistEntry,
  TrailSignOffEntry,
} from '@promotion/plugin-promotion-common';
import { Fragment, ReactNode, useId } from 'react';
import { useDeploymentTrail } from '../../hooks';
import { errorMessage } from '../../utils/errors';
import { formatDateTime } from '../../utils/format';
import { wrappingListItemText } from '../../utils/styles';
import { Actor } from '../Actor';
import { DossierView } from '../DossierView';

/** @internal */
export type DeploymentTrailDialogProps = {
  open: boolean;
  entityRef: string;
  onClose: () => void;
} & (
  | {
      /** The deployment, when the caller has it: its title shows at once. */
      deployment: Deployment;
      environmentTitle: string;
    }
  | {
      /** Only the deployment's id (a link): the title shows once the trail is read. */
      deploymentId: string;
    }
);

/**
 * Why a version is where it is: the trail of one deployment, read-only. It
 * answers the auditor's questions in plain words: who requested it, who
 * approved it, who validated and who signed off the previous environment's
 * results, with the evidence and the audit events that record each. Opened
 * from an environment's current deployment, or from a link to any deployment
 * of the flow (the verification report's evidence).
 *
 * @internal
 */
export function DeploymentTrailDialog(props: DeploymentTrailDialogProps) {
  const { open, onClose } = props;
  const titleId = useId();
  const deploymentId =
    'deployment' in props ? props.deployment.id : props.deploymentId;
  return (
    <Dialog
      open={open}
      onClose={onClose}
      aria-labelledby={titleId}
      fullWidth
      maxWidth="md"
      scroll="paper"
    >
      {open && (
        <TrailLoader
          titleId={titleId}
          entityRef={props.entityRef}
          deploymentId={deploymentId}
          known={
            'deployment' in props
              ? {
                  version: props.deployment.version,
                  environmentTitle: props.environmentTitle,
                }
              : undefined
          }
        />
      )}
      <DialogActions>
        <Button onClick={onClose} color="primary">
          Close
        </Button>
      </DialogActions>
    </Dialog>
  );
}

function TrailLoader(props: {
  titleId: string;
  entityRef: string;
  deploymentId: string;
  known?: { version: string; environmentTitle: string };
}) {
  const { trail, error } = useDeploymentTrail(
    props.entityRef,
    props.deploymentId,
  );
  const where =
    props.known ??
    (trail && {
      version: trail.deployment.version,
      environmentTitle: trail.environmentTitle,
    });
  let content: ReactNode;
  if (error) {
    content = (
      <Alert severity="error">
        Could not read the trail of this deployment: {errorMessage(error)}
      </Alert>
    );
  } else if (!trail) {
    content = <Progress />;
  } else {
    content = <DeploymentTrailView trail={trail} />;
  }
  return (
    <>
      <DialogTitle id={props.titleId}>
        {where
          ? `Why is ${where.version} in ${where.environmentTitle}?`
          : 'Why is this version here?'}
      </DialogTitle>
      <DialogContent dividers>{content}</DialogContent>
    </>
  );
}

/** The trail itself. */
function DeploymentTrailView(props: { trail: DeploymentTrail }) {
  const { trail } = props;
  const { deployment, environmentTitle } = trail;
  return (
    <>
      <Typography variant="body2">
        {deployment.status === 'succeeded'
          ? `${deployment.version} was deployed to ${environmentTitle}`
          : `A deployment of ${deployment.version} to ${environmentTitle} failed`}{' '}
        on {formatDateTime(deployment.reportedAt)}, reported by{' '}
        <Actor entityRef={deployment.reportedBy} />
        {deployment.link && (
          <>
            {' ('}
            <Link to={deployment.link} rel="noopener noreferrer">
              deployment run
            </Link>
            )
          </>
        )}
        . <EventRefs refs={[trail.deploymentEvent]} />
      </Typography>
      {deployment.breakGlassId && (
        <Box mt={1}>
          <Alert severity="warning">
            This deployment went in on break-glass {deployment.breakGlassId}:
            the gate was open only by that emergency declaration, which opened a
            retrospective review (see the flow&apos;s history and the
            verification report).
          </Alert>
        </Box>
      )}
      {deployment.violation && (
        <Box mt={1}>
          <Alert severity="warning">
            This deployment went through a closed gate. When it was reported,
            the gate listed:
            <ul>
              {deployment.unmetConditions.map((condition, index) => (
                <li key={index}>{condition.message}</li>
              ))}
            </ul>
          </Alert>
        </Box>
      )}
      {deployment.rolledBackAt && (
        <Box mt={1}>
          <Alert severity="info">
            It was rolled back on {formatDateTime(deployment.rolledBackAt)}.
          </Alert>
        </Box>
      )}
      <Requested trail={trail} />
      <Approved trail={trail} />
      <SignedOff trail={trail} />
      <Validated trail={trail} />
      <Why trail={trail} />
      <PostDeployment trail={trail} />
    </>
  );
}

function Section(props: { title: string; children: ReactNode }) {
  return (
    <Box component="section" aria-label={props.title} mt={3}>
      <Typography variant="h6" component="h3" gutterBottom>
        {props.title}
      </Typography>
      {props.children}
    </Box>
  );
}

/** "audit events #3, #7": where the exported trail records it. */
function EventRefs(props: { refs: Array<AuditEventRef | undefined> }) {
  const refs = props.refs.filter((r): r is AuditEventRef => !!r);
  if (refs.length === 0) {
    return null;
  }
  return (
    <Typography variant="caption" color="textSecondary" component="span">
      (audit event{refs.length === 1 ? '' : 's'}{' '}
      {refs.map((ref, index) => (
        <Fragment key={ref.id}>
          {index > 0 && ', '}
          <span title={`${ref.type} ${ref.id}`}>#{ref.seq}</span>
        </Fragment>
      ))}
      )
    </Typography>
  );
}

function Actors(props: { entityRefs: string[] }) {
  return (
    <>
      {props.entityRefs.map((ref, index) => (
        <Fragment key={ref}>
          {index > 0 && ', '}
          <Actor entityRef={ref} />
        </Fragment>
      ))}
    </>
  );
}

function Requested(props: { trail: DeploymentTrail }) {
  const { deployment, environmentTitle, approval } = props.trail;
  const { request, standingApproval } = approval;
  const title = 'Who requested it?';

  if (request) {
    let granted = '';
    if (standingApproval) {
      granted = `Its approval granted the standing approval of ${environmentTitle} on ${formatDateTime(
        standingApproval.grantedAt,
      )}${
        request.version === deployment.version
          ? '.'
          : `, on which ${deployment.version} went in without a request of its own.`
      }`;
    }
    return (
      <Section title={title}>
        <Typography variant="body2">
          <Actor entityRef={request.requestedBy} /> requested the promotion of{' '}
          {request.version} into {environmentTitle} on{' '}
          {formatDateTime(request.createdAt)}. {granted}{' '}
          <EventRefs refs={approval.auditEvents} />
        </Typography>
      </Section>
    );
  }

  let answer: ReactNode;
  if (approval.basis === 'break-glass') {
    answer = (
      <>
        Nobody requested a promotion: it went in on break-glass, an emergency
        declaration approved for this version.{' '}
        <EventRefs refs={approval.auditEvents} />
      </>
    );
  } else if (approval.basis === 'none') {
    answer = `Nobody had to: ${environmentTitle} needs no approval.`;
  } else if (approval.basis === 'rollback-target') {
    const { rollback } = approval;
    answer = (
      <>
        It went back as the rollback target
        {rollback && (
          <>
            {' '}
            of the rollback on {formatDateTime(rollback.recordedAt)} by{' '}
            <Actor entityRef={rollback.recordedBy} /> (“{rollback.reason}”)
          </>
        )}
        ; no approval needed. <EventRefs refs={approval.auditEvents} />
      </>
    );
  } else if (standingApproval) {
    answer = (
      <>
        It went in on the standing approval of {environmentTitle} granted on{' '}
        {formatDateTime(standingApproval.grantedAt)} by{' '}
        <Actors entityRefs={standingApproval.grantedBy} />; no promotion request
        is recorded behind it. <EventRefs refs={approval.auditEvents} />
      </>
    );
  } else {
    answer = `Nobody: no approval to enter ${environmentTitle} was in force when ${deployment.version} was deployed.`;
  }
  return (
    <Section title={title}>
      <Typography variant="body2">{answer}</Typography>
    </Section>
  );
}

/** Why the flow was promoted: the dossier the approval was given on. */
function Why(props: { trail: DeploymentTrail }) {
  const { approval } = props.trail;
  const { request } = approval;
  return (
    <Section title="Why was it promoted?">
      {request ? (
        <>
          <Typography variant="body2" color="textSecondary" gutterBottom>
            The dossier of the request, as the approval was given on it (hash{' '}
            <code>{request.dossierHash}</code>):
          </Typography>
          <DossierView dossier={request.dossier} />
        </>
      ) : (
        <Typography variant="body2">
          No promotion request, so no dossier, is behind this deployment.
        </Typography>
      )}
    </Section>
  );
}

function Approved(props: { trail: DeploymentTrail }) {
  const { environmentTitle, approval } = props.trail;
  let none: string | undefined;
  if (approval.approvals.length === 0) {
    if (approval.basis === 'none') {
      none = `Nobody had to: ${environmentTitle} needs no approval.`;
    } else if (approval.basis === 'rollback-target') {
      none = `Nobody had to: it went back into ${environmentTitle} after a rollback, which needs no approval.`;
    } else if (approval.basis === 'missing') {
      none = 'Nobody: it was deployed without an approval.';
    } else if (approval.basis === 'break-glass') {
      none =
        'No promotion request: it went in on an approved break-glass declaration (an emergency deployment), whose retrospective review follows it.';
    } else {
      none = 'No approval is recorded on the request.';
    }
  }
  return (
    <Section title="Who approved it?">
      {none ? (
        <Typography variant="body2">{none}</Typography>
      ) : (
        <List dense disablePadding aria-label="Approvals">
          {approval.approvals.map(({ decision, auditEvent }) => (
            <ListItem key={decision.id} disableGutters>
              <ListItemText
                style={wrappingListItemText}
                primary={
                  <>
                    <Actor entityRef={decision.decidedBy} /> approved on{' '}
                    {formatDateTime(decision.decidedAt)}:
                  </>
                }
                secondary={
                  <>
                    “{decision.comment}” <EventRefs refs={[auditEvent]} />
                  </>
                }
              />
            </ListItem>
          ))}
        </List>
      )}
    </Section>
  );
}

function CompletionList(props: {
  label: string;
  entries: TrailChecklistEntry[];
}) {
  return (
    <List dense disablePadding aria-label={props.label}>
      {props.entries.map(({ completion, itemTitle, auditEvent, undoneAt }) => (
        <ListItem key={completion.id} disableGutters>
          <ListItemText
            style={wrappingListItemText}
            primary={
              <>
                “{itemTitle}”
                {completion.kind === 'validation' && !completion.version
                  ? ' (for the flow)'
                  : ''}{' '}
                {completion.completedBy.startsWith('service:')
                  ? 'attested'
                  : 'completed'}{' '}
                by <Actor entityRef={completion.completedBy} /> on{' '}
                {formatDateTime(completion.completedAt)}
              </>
            }
            secondary={
              <>
                {completion.evidenceLink && (
                  <>
                    <Link
                      to={completion.evidenceLink}
                      rel="noopener noreferrer"
                    >
                      evidence
                    </Link>{' '}
                  </>
                )}
                {completion.result && <>{completion.result} </>}
                {completion.note && <>{completion.note} </>}
                {undoneAt && (
                  <>
                    Undone on {formatDateTime(undoneAt)}, after the deployment.{' '}
                  </>
                )}
                <EventRefs refs={[auditEvent]} />
              </>
            }
          />
        </ListItem>
      ))}
    </List>
  );
}

function Validated(props: { trail: DeploymentTrail }) {
  const { deployment, validation } = props.trail;
  if (!validation) {
    return null;
  }
  const title = validation.environmentTitle;
  const noChecklist =
    validation.completions.length === 0 &&
    validation.missing.length === 0 &&
    validation.later.length === 0;
  return (
    <Section title={`Who validated the ${title} results?`}>
      {noChecklist && (
        <Typography variant="body2">
          {title} has no validation checklist.
        </Typography>
      )}
      {validation.completions.length > 0 && (
        <CompletionList
          label={`${title} checklist when ${deployment.version} was deployed`}
          entries={validation.completions}
        />
      )}
      {validation.missing.length > 0 && (
        <Box mt={1}>
          <Alert severity="warning">
            Not completed when {deployment.version} was deployed:{' '}
            {validation.missing.map(item => item.title).join(', ')}.
          </Alert>
        </Box>
      )}
      {validation.later.length > 0 && (
        <Box mt={1}>
          <Typography variant="body2">
            Completed after the deployment, so they did not validate it:
          </Typography>
          <CompletionList
            label={`${title} checklist completed after the deployment`}
            entries={validation.later}
          />
        </Box>
      )}
    </Section>
  );
}

function SignOffList(props: { label: string; entries: TrailSignOffEntry[] }) {
  return (
    <List dense disablePadding aria-label={props.label}>
      {props.entries.map(({ signOff, auditEvent }) => (
        <ListItem key={signOff.id} disableGutters>
          <ListItemText
            style={wrappingListItemText}
            primary={
              <>
                <Actor entityRef={signOff.signedOffBy} /> signed off{' '}
                {signOff.version} on {formatDateTime(signOff.signedOffAt)}:
              </>
            }
            secondary={
              <>
                “{signOff.comment}” <EventRefs refs={[auditEvent]} />
              </>
            }
          />
        </ListItem>
      ))}
    </List>
  );
}

function SignedOff(props: { trail: DeploymentTrail }) {
  const { deployment, signOff } = props.trail;
  if (!signOff) {
    return null;
  }
  const title = signOff.environmentTitle;
  return (
    <Section title={`When was ${title} signed off?`}>
      {signOff.signOffs.length > 0 ? (
        <SignOffList
          label={`${title} sign-offs before the deployment`}
          entries={signOff.signOffs}
        />
      ) : (
        <Typography variant="body2">
          {signOff.required
            ? `${title} was not signed off for ${deployment.version} before the deployment.`
            : `${title} needs no sign-off, and none was given before the deployment.`}
        </Typography>
      )}
      {signOff.later.length > 0 && (
        <Box mt={1}>
          <Typography variant="body2">
            Signed off after the deployment, so it did not precede it:
          </Typography>
          <SignOffList
            label={`${title} sign-offs after the deployment`}
            entries={signOff.later}
          />
        </Box>
      )}
    </Section>
  );
}

function PostDeployment(props: { trail: DeploymentTrail }) {
  const { deployment, postDeployment } = props.trail;
  if (!postDeployment) {
    return null;
  }
  return (
    <Section title="After the deployment">
      {postDeployment.completions.length > 0 ? (
        <CompletionList
          label="Post-deployment checklist"
          entries={postDeployment.completions}
        />
      ) : (
        <Typography variant="body2">
          Nothing on the post-deployment checklist is completed yet.
        </Typography>
      )}
      {postDeployment.open.length > 0 && (
        <Typography variant="body2">
          Still open:{' '}
          {postDeployment.open
            .map(item =>
              Date.parse(item.availableAt) > Date.parse(deployment.reportedAt)
                ? `${item.title} (from ${formatDateTime(item.availableAt)})`
                : item.title,
            )
            .join(', ')}
          .
        </Typography>
      )}
    </Section>
  );
}
