import { InfoCard, Link } from '@backstage/core-components';
import { alertApiRef, useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import List from '@material-ui/core/List';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  isResetByRollback,
  latestRollbackOfFlow,
} from '@promotion/plugin-promotion-common';
import type {
  ChecklistKind,
  Deployment,
  EnvironmentState,
  FlowPermissions,
  PostDeploymentItemDefinition,
  Rollback,
} from '@promotion/plugin-promotion-common';
import { Fragment, ReactNode, useState } from 'react';
import { promotionApiRef } from '../../api';
import { useNow } from '../../hooks';
import {
  postDeploymentCompletion,
  validationCompletion,
} from '../../utils/checklist';
import { deniedReason, isDenied } from '../../utils/decisions';
import { errorMessage } from '../../utils/errors';
import {
  formatCountdown,
  formatDateTime,
  formatWait,
} from '../../utils/format';
import { ActionButton } from '../ActionButton';
import { Actor } from '../Actor';
import { CommentDialog } from '../CommentDialog';
import { DeploymentTrailDialog } from '../DeploymentTrailDialog';
import { attesterWords, ChecklistItemRow } from './ChecklistItemRow';

/** @internal */
export interface EnvironmentCardProps {
  entityRef: string;
  state: EnvironmentState;
  /**
   * The flow's rollbacks (`FlowState.rollbacks`): a flow-scoped item
   * completed before the latest one is to be completed again, unless it is
   * kept after a rollback.
   */
  rollbacks?: Rollback[];
  permissions?: FlowPermissions;
  onChange: () => void;
}

function Section(props: { title: string; children: ReactNode }) {
  return (
    <Box component="section" aria-label={props.title} mt={2}>
      <Typography variant="h6" component="h3">
        {props.title}
      </Typography>
      {props.children}
    </Box>
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

/**
 * One environment of the ladder: what stands there, the approval to enter it,
 * its validation checklist, its sign-off and its post-deployment checklist.
 * Controls the permission policy denies the user are left out (the tab's
 * notice says who may use them).
 *
 * @internal
 */
export function EnvironmentCard(props: EnvironmentCardProps) {
  const { entityRef, state, permissions, onChange } = props;
  const { environment, currentVersion, currentDeployment } = state;
  const rollbacks = { rollbacks: props.rollbacks ?? [] };
  const latestRollback = latestRollbackOfFlow(rollbacks);
  const api = useApi(promotionApiRef);
  const alertApi = useApi(alertApiRef);
  // The deployment whose trail is shown; kept while a newer one arrives.
  const [trailOf, setTrailOf] = useState<Deployment>();

  // Shown while the answer is coming, left out once it is no.
  const checklistReadOnly = isDenied(permissions?.completeChecklist);
  const checklistDenied = deniedReason(
    permissions?.completeChecklist,
    'You may not complete checklist items on this flow.',
  );

  const complete =
    (kind: ChecklistKind, itemId: string, version?: string) =>
    async (completion: { evidenceLink?: string; note?: string }) => {
      await api.completeChecklistItem(
        { entityRef, environmentId: environment.id, kind, itemId },
        { version, ...completion },
      );
      onChange();
    };

  const undo =
    (kind: ChecklistKind, itemId: string, title: string, version?: string) =>
    async () => {
      try {
        await api.undoChecklistItem(
          { entityRef, environmentId: environment.id, kind, itemId },
          { version },
        );
        onChange();
      } catch (e) {
        alertApi.post({
          message: `Could not undo “${title}”: ${errorMessage(e)}`,
          severity: 'error',
        });
      }
    };

  const noVersion = `Nothing is deployed to ${environment.title} yet, so there is no version to check.`;

  return (
    <InfoCard
      title={environment.title}
      subheader={
        currentVersion ? `Version ${currentVersion}` : 'Nothing deployed'
      }
    >
      {currentDeployment && (
        <Typography variant="body2">
          Deployed on {formatDateTime(currentDeployment.reportedAt)} by{' '}
          <Actor entityRef={currentDeployment.reportedBy} />
          {currentDeployment.link && (
            <>
              {' — '}
              <Link to={currentDeployment.link} rel="noopener noreferrer">
                deployment
              </Link>
            </>
          )}
        </Typography>
      )}
      {currentDeployment && (
        <Box mt={1}>
          <ActionButton
            label={`Why is ${currentDeployment.version} here?`}
            accessibleName={`Why is ${currentDeployment.version} here? Show the trail of ${currentDeployment.version} in ${environment.title}`}
            onClick={() => setTrailOf(currentDeployment)}
          />
        </Box>
      )}
      {trailOf && (
        <DeploymentTrailDialog
          open
          entityRef={entityRef}
          deployment={trailOf}
          environmentTitle={environment.title}
          onClose={() => setTrailOf(undefined)}
        />
      )}
      {currentDeployment?.breakGlassId && (
        <Alert severity="warning">
          This deployment went in on break-glass: an emergency deployment past
          the closed gate, reviewed afterwards. See its trail.
        </Alert>
      )}
      {currentDeployment?.violation && (
        <Alert severity="error">
          This deployment was recorded while the gate was closed:{' '}
          {currentDeployment.unmetConditions.map(c => c.message).join(' ')}
        </Alert>
      )}

      {state.freeze && (
        <Box mt={1}>
          <Alert
            severity={state.freeze.active ? 'warning' : 'info'}
            aria-label={`${state.freeze.active ? 'Freeze' : 'Next freeze'} of ${
              environment.title
            }`}
          >
            {state.freeze.message}
          </Alert>
        </Box>
      )}

      <ApprovalSection {...props} />

      {environment.checklist.length > 0 && (
        <Section title="Validation checklist">
          <List dense disablePadding>
            {environment.checklist.map(item => {
              const version =
                item.scope === 'flow' ? undefined : currentVersion;
              const completion = validationCompletion(state, item);
              const reset =
                completion && isResetByRollback(completion, item, rollbacks);
              return (
                <ChecklistItemRow
                  key={item.id}
                  title={item.title}
                  description={item.description}
                  details={
                    <Typography variant="caption" color="textSecondary">
                      {item.scope === 'flow'
                        ? `Once for the flow · ${
                            item.resetOnRollback
                              ? 'confirmed again after a rollback'
                              : 'kept after a rollback'
                          }`
                        : 'For each version'}
                      {item.evidenceRequired ? ' · evidence link required' : ''}
                      {attesterWords(item.attestedBy)}
                    </Typography>
                  }
                  completion={completion}
                  attestedBy={item.attestedBy}
                  resetByRollbackAt={
                    reset ? latestRollback?.recordedAt : undefined
                  }
                  evidenceRequired={item.evidenceRequired}
                  appliesTo={
                    version
                      ? `version ${version} on ${environment.title}`
                      : 'the flow as a whole'
                  }
                  completeBlockedReason={
                    checklistDenied ??
                    (item.scope !== 'flow' && !currentVersion
                      ? noVersion
                      : undefined)
                  }
                  undoBlockedReason={checklistDenied}
                  readOnly={checklistReadOnly}
                  onComplete={complete('validation', item.id, version)}
                  onUndo={undo(
                    'validation',
                    item.id,
                    item.title,
                    completion?.version,
                  )}
                />
              );
            })}
          </List>
        </Section>
      )}

      <SignOffSection {...props} />

      {environment.postDeployment.length > 0 && (
        <Section title="Post-deployment checklist">
          <List dense disablePadding>
            {environment.postDeployment.map(item => (
              <PostDeploymentItemRow
                key={item.id}
                item={item}
                state={state}
                checklistDenied={checklistDenied}
                readOnly={checklistReadOnly}
                noVersion={noVersion}
                onComplete={complete(
                  'post-deployment',
                  item.id,
                  currentVersion,
                )}
                onUndo={undo(
                  'post-deployment',
                  item.id,
                  item.title,
                  postDeploymentCompletion(state, item)?.version,
                )}
              />
            ))}
          </List>
        </Section>
      )}
    </InfoCard>
  );
}

function PostDeploymentItemRow(props: {
  item: PostDeploymentItemDefinition;
  state: EnvironmentState;
  checklistDenied?: string;
  readOnly: boolean;
  noVersion: string;
  onComplete: (completion: {
    evidenceLink?: string;
    note?: string;
  }) => Promise<void>;
  onUndo: () => void;
}) {
  const { item, state, checklistDenied } = props;
  const deployment = state.currentDeployment;
  const completion = postDeploymentCompletion(state, item);
  const availableAt =
    deployment && item.minimumWaitSeconds > 0
      ? Date.parse(deployment.reportedAt) + item.minimumWaitSeconds * 1000
      : undefined;
  const waiting =
    !completion && availableAt !== undefined && Date.now() < availableAt;
  const now = useNow(waiting);
  const remaining = availableAt !== undefined ? availableAt - now : 0;
  const stillWaiting = waiting && remaining > 0;

  let blocked = checklistDenied;
  if (!blocked && !deployment) {
    blocked = props.noVersion;
  }
  if (!blocked && stillWaiting) {
    blocked = `Wait ${formatCountdown(
      remaining,
    )} more: the minimum wait of ${formatWait(
      item.minimumWaitSeconds,
    )} after the deployment has not elapsed.`;
  }

  return (
    <ChecklistItemRow
      title={item.title}
      description={item.description}
      details={
        item.minimumWaitSeconds > 0 ? (
          <Typography variant="caption" color="textSecondary" component="div">
            At least {formatWait(item.minimumWaitSeconds)} after the deployment
            {stillWaiting && (
              <>
                {' · '}
                <span role="timer" aria-label={`Time left for ${item.title}`}>
                  {formatCountdown(remaining)}
                </span>{' '}
                left
              </>
            )}
          </Typography>
        ) : undefined
      }
      completion={completion}
      evidenceRequired={item.evidenceRequired}
      attestedBy={item.attestedBy}
      appliesTo={`version ${state.currentVersion} on ${state.environment.title}`}
      completeBlockedReason={blocked}
      undoBlockedReason={checklistDenied}
      readOnly={props.readOnly}
      onComplete={props.onComplete}
      onUndo={props.onUndo}
    />
  );
}

function ApprovalSection(props: EnvironmentCardProps) {
  const { entityRef, state, permissions, onChange } = props;
  const { environment, standingApproval } = state;
  const { approval } = environment;
  const api = useApi(promotionApiRef);
  const [revoking, setRevoking] = useState(false);

  if (approval.mode === 'none') {
    return (
      <Section title="Approval">
        <Typography variant="body2">
          No approval is needed to enter {environment.title}.
        </Typography>
      </Section>
    );
  }

  const who = (
    <>
      {approval.minApprovers} of <Actors entityRefs={approval.approvers} />
    </>
  );

  if (approval.mode === 'every') {
    return (
      <Section title="Approval">
        <Typography variant="body2">
          Every version needs its own approval to enter {environment.title},
          from {who}.
        </Typography>
      </Section>
    );
  }

  const active = standingApproval && !standingApproval.revokedAt;
  return (
    <Section title="Standing approval">
      {active && standingApproval && (
        <Typography variant="body2">
          Granted on {formatDateTime(standingApproval.grantedAt)} by{' '}
          <Actors entityRefs={standingApproval.grantedBy} />. Later versions
          enter {environment.title} without a new review until it is revoked or
          a rollback happens.
        </Typography>
      )}
      {standingApproval?.revokedAt && (
        <Typography variant="body2">
          Revoked on {formatDateTime(standingApproval.revokedAt)}
          {standingApproval.revokedBy && (
            <>
              {' '}
              by <Actor entityRef={standingApproval.revokedBy} />
            </>
          )}
          {standingApproval.revokeReason &&
            `: ${standingApproval.revokeReason}`}
          . The next version needs a new approval from {who}.
        </Typography>
      )}
      {!standingApproval && (
        <Typography variant="body2">
          None yet: the first promotion into {environment.title} needs an
          approval from {who}; later ones go through on it.
        </Typography>
      )}
      {active && !isDenied(permissions?.revoke) && (
        <>
          <Box mt={1}>
            <ActionButton
              label="Revoke"
              accessibleName={`Revoke the standing approval of ${environment.title}`}
              color="secondary"
              onClick={() => setRevoking(true)}
              disabledReason={deniedReason(
                permissions?.revoke,
                'You may not revoke standing approvals on this flow.',
              )}
            />
          </Box>
          <CommentDialog
            open={revoking}
            title={`Revoke the standing approval of ${environment.title}`}
            label="Reason"
            submitLabel="Revoke"
            submitColor="secondary"
            onClose={() => setRevoking(false)}
            onSubmit={async reason => {
              await api.revokeStandingApproval(entityRef, environment.id, {
                reason,
              });
              onChange();
            }}
          >
            <Typography variant="body2">
              The next version into {environment.title} will need a new
              approval.
            </Typography>
          </CommentDialog>
        </>
      )}
    </Section>
  );
}

function SignOffSection(props: EnvironmentCardProps) {
  const { entityRef, state, permissions, onChange } = props;
  const { environment, currentVersion } = state;
  const api = useApi(promotionApiRef);
  const [signing, setSigning] = useState(false);

  if (!environment.signOff.required) {
    return null;
  }
  const signOffs = state.signOffs.filter(
    s => !currentVersion || s.version === currentVersion,
  );

  return (
    <Section title="Sign-off">
      {signOffs.length === 0 && (
        <Typography variant="body2" color="textSecondary">
          {currentVersion
            ? `${currentVersion} is not signed off on ${environment.title} yet.`
            : 'Nothing to sign off yet.'}
        </Typography>
      )}
      {signOffs.map(signOff => (
        <Box key={signOff.id} mb={1}>
          <Typography variant="body2">
            {signOff.version} signed off by{' '}
            <Actor entityRef={signOff.signedOffBy} /> on{' '}
            {formatDateTime(signOff.signedOffAt)}:
          </Typography>
          <Typography variant="body2" component="blockquote">
            “{signOff.comment}”
          </Typography>
        </Box>
      ))}
      {signOffs.length === 0 && !isDenied(permissions?.signOff) && (
        <>
          <ActionButton
            label="Sign off"
            accessibleName={`Sign off ${environment.title}`}
            onClick={() => setSigning(true)}
            disabledReason={
              deniedReason(
                permissions?.signOff,
                'You may not sign off on this flow.',
              ) ??
              (currentVersion
                ? undefined
                : `Nothing is deployed to ${environment.title} yet, so there is nothing to sign off.`)
            }
          />
          {currentVersion && (
            <CommentDialog
              open={signing}
              title={`Sign off ${currentVersion} on ${environment.title}`}
              label="Comment"
              helperText="What you checked and what you confirm."
              submitLabel="Sign off"
              onClose={() => setSigning(false)}
              onSubmit={async comment => {
                await api.signOff(entityRef, environment.id, {
                  version: currentVersion,
                  comment,
                });
                onChange();
              }}
            />
          )}
        </>
      )}
    </Section>
  );
}
