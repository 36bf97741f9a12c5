import { InfoCard } from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import Box from '@material-ui/core/Box';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemIcon from '@material-ui/core/ListItemIcon';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import BlockIcon from '@material-ui/icons/Block';
import Alert from '@material-ui/lab/Alert';
import type {
  FlowPermissions,
  FlowState,
  GateCondition,
} from '@promotion/plugin-promotion-common';
import { ReactNode, useMemo, useState } from 'react';
import { promotionApiRef } from '../../api';
import { useCurrentUser, useDeadlineClock } from '../../hooks';
import {
  approvalProgress,
  deniedReason,
  isDenied,
  isExpired,
} from '../../utils/decisions';
import { prefillDossier } from '../../utils/dossier';
import { formatDateTime } from '../../utils/format';
import { wrappingListItemText } from '../../utils/styles';
import { ActionButton } from '../ActionButton';
import { Actor } from '../Actor';
import { BreakGlassDialog } from '../BreakGlassDialog';
import { BreakGlassCard } from '../BreakGlassInbox';
import { ConditionText } from '../ConditionText';
import { RequestDialog } from '../RequestDialog';

/** The gate's conditions that a promotion request answers. */
const APPROVAL_CODES: ReadonlySet<GateCondition['code']> = new Set([
  'approval-required',
  'approval-revoked',
  'approval-pending',
]);

/** @internal */
export interface NextGateProps {
  entityRef: string;
  flow: FlowState;
  permissions?: FlowPermissions;
  onChange: () => void;
}

/**
 * The next step on the ladder: the gate's open conditions in plain words (as
 * the backend words them; a pending request is named by its version,
 * environment, requester and date) and the promotion request for it. A
 * pending request shows as expired from its deadline on; the version an
 * environment was rolled back to is said to go back without approval.
 *
 * @internal
 */
export function NextGate(props: NextGateProps) {
  const { entityRef, flow, permissions, onChange } = props;
  const api = useApi(promotionApiRef);
  const [requesting, setRequesting] = useState(false);
  const [breakingGlass, setBreakingGlass] = useState(false);
  const { ownershipEntityRefs } = useCurrentUser();
  const gate = flow.nextGate;
  const target = gate
    ? flow.environments.find(s => s.environment.id === gate.environmentId)
    : undefined;
  const targetTitle = target?.environment.title ?? gate?.environmentId ?? '';

  const initialDossier = useMemo(
    () =>
      gate ? prefillDossier(flow, gate.environmentId, gate.version) : undefined,
    [flow, gate],
  );
  const now = useDeadlineClock(flow.pendingRequests.map(r => r.expiresAt));

  if (!gate) {
    const anything = flow.environments.some(s => s.currentVersion);
    return (
      <InfoCard title="Next step">
        <Typography>
          {anything
            ? 'The newest version stands at the top of the ladder: there is no next step.'
            : `Nothing is deployed yet: the first deployment to ${
                flow.environments[0]?.environment.title ??
                'the first environment'
              } starts the ladder.`}
        </Typography>
      </InfoCard>
    );
  }

  const pending = flow.pendingRequests.find(
    r =>
      r.status === 'pending' &&
      !isExpired(r, now) &&
      r.environmentId === gate.environmentId &&
      r.version === gate.version,
  );
  const approval = target?.environment.approval;
  const standing =
    target?.standingApproval && !target.standingApproval.revokedAt;
  // Break-glass declarations for exactly this step, still in play.
  const breakGlasses = (flow.breakGlasses ?? []).filter(
    b =>
      b.environmentId === gate.environmentId &&
      b.version === gate.version &&
      (b.status === 'pending' || b.status === 'approved') &&
      Date.parse(b.expiresAt) > now,
  );
  const breakGlassRule = target?.environment.breakGlass;
  const mine = new Set(
    (ownershipEntityRefs ?? []).map(ref => ref.toLocaleLowerCase('en-US')),
  );
  const onCall = !!breakGlassRule?.onCallGroups.some(group => mine.has(group));
  const canBreakGlass =
    !gate.open &&
    !!breakGlassRule &&
    breakGlasses.length === 0 &&
    !isDenied(permissions?.request);
  // A request only where the approval is among what the gate waits for: not
  // once it is approved and the gate waits for something else (a dependency).
  const needsRequest =
    !!approval &&
    approval.mode !== 'none' &&
    !(approval.mode === 'once' && standing) &&
    gate.unmetConditions.some(c => APPROVAL_CODES.has(c.code));

  return (
    <InfoCard title={`Next step: ${gate.version} into ${targetTitle}`}>
      {gate.open && gate.approvedBy === 'rollback-target' && (
        <Alert severity="success">
          The gate is open: {gate.version} is the version {targetTitle} was
          rolled back to; it may go back without approval.
        </Alert>
      )}
      {gate.open && gate.approvedBy === 'break-glass' && (
        <Alert severity="warning">
          The gate is open by break-glass: {gate.version} may go to{' '}
          {targetTitle} once, overriding:{' '}
          {(gate.overriddenConditions ?? []).map(c => c.message).join(' ')}
        </Alert>
      )}
      {gate.open &&
        gate.approvedBy !== 'rollback-target' &&
        gate.approvedBy !== 'break-glass' && (
          <Alert severity="success">
            The gate is open: {gate.version} may go to {targetTitle}
            {gate.approvedBy === 'standing-approval' &&
              ' under the standing approval'}
            {gate.approvedBy === 'request' && ' under its approved request'}.
          </Alert>
        )}
      {!gate.open && (
        <>
          <Typography>
            {gate.version} cannot go to {targetTitle} yet:
          </Typography>
          <List dense aria-label="Open conditions">
            {gate.unmetConditions.map((condition, index) => (
              <ListItem key={`${condition.code}-${index}`}>
                <ListItemIcon>
                  <BlockIcon color="error" fontSize="small" />
                </ListItemIcon>
                <ListItemText
                  style={wrappingListItemText}
                  primary={conditionInWords(condition, flow, now)}
                />
              </ListItem>
            ))}
          </List>
        </>
      )}
      {breakGlasses.map(breakGlass => (
        <Box key={breakGlass.id} mt={1} mb={1}>
          <BreakGlassCard
            breakGlass={breakGlass}
            environmentTitle={targetTitle}
          />
        </Box>
      ))}
      {pending && (
        <Typography variant="body2" color="textSecondary">
          A promotion request for {gate.version} into {targetTitle} is pending;
          see Pending requests.
        </Typography>
      )}
      {needsRequest &&
        !pending &&
        !gate.open &&
        initialDossier &&
        !isDenied(permissions?.request) && (
          <>
            <ActionButton
              label="Request promotion"
              accessibleName={`Request promotion of ${gate.version} into ${targetTitle}`}
              variant="contained"
              onClick={() => setRequesting(true)}
              disabledReason={deniedReason(
                permissions?.request,
                'You may not request promotions for this flow.',
              )}
            />
            <RequestDialog
              open={requesting}
              mode="create"
              environmentTitle={targetTitle}
              version={gate.version}
              initialDossier={initialDossier}
              openConditions={gate.unmetConditions.filter(
                c => c.code === 'dependency-missing',
              )}
              onClose={() => setRequesting(false)}
              onSubmit={async dossier => {
                await api.createRequest(entityRef, {
                  environment: gate.environmentId,
                  version: gate.version,
                  dossier,
                });
                onChange();
              }}
            />
          </>
        )}
      {canBreakGlass && (
        <>
          <ActionButton
            label="Break glass"
            accessibleName={`Break glass: deploy ${gate.version} into ${targetTitle} in an emergency`}
            color="secondary"
            onClick={() => setBreakingGlass(true)}
          />
          <BreakGlassDialog
            open={breakingGlass}
            environmentId={gate.environmentId}
            environmentTitle={targetTitle}
            version={gate.version}
            needsApproval={breakGlassRule!.approvals === 1 && !onCall}
            onClose={() => setBreakingGlass(false)}
            onSubmit={async declaration => {
              await api.declareBreakGlass(entityRef, declaration);
              onChange();
            }}
          />
        </>
      )}
    </InfoCard>
  );
}

/**
 * A condition as the gate words it (naming people by their display names),
 * except a pending approval the flow state lists: its requester links to
 * their catalog page, and from its deadline on it is told as expired.
 */
function conditionInWords(
  condition: GateCondition,
  flow: FlowState,
  now: number,
): ReactNode {
  if (condition.code !== 'approval-pending' || !condition.requestId) {
    return <ConditionText condition={condition} />;
  }
  const request = flow.pendingRequests.find(r => r.id === condition.requestId);
  const environment = flow.environments.find(
    s => s.environment.id === condition.environmentId,
  )?.environment;
  if (!request || !environment) {
    return condition.message;
  }
  const named = (
    <>
      the request for {request.version} into {environment.title} by{' '}
      <Actor entityRef={request.requestedBy} /> on{' '}
      {formatDateTime(request.createdAt)}
    </>
  );
  if (isExpired(request, now)) {
    return (
      <>
        Not approved in time: {named} expired on{' '}
        {formatDateTime(request.expiresAt)} without a decision; request
        promotion again.
      </>
    );
  }
  const { approvals, required } = approvalProgress(
    request,
    environment.approval,
  );
  return (
    <>
      Waiting for approval: {approvals} of {required} approval
      {required === 1 ? '' : 's'} on {named}.
    </>
  );
}
