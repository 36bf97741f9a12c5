import { Entity, stringifyEntityRef } from '@backstage/catalog-model';
import {
  InfoCard,
  Link,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { useApi } from '@backstage/core-plugin-api';
import {
  MissingAnnotationEmptyState,
  useEntity,
} from '@backstage/plugin-catalog-react';
import Box from '@material-ui/core/Box';
import Grid from '@material-ui/core/Grid';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import Alert from '@material-ui/lab/Alert';
import {
  flowChannel,
  PROMOTION_POLICY_ANNOTATION,
} from '@promotion/plugin-promotion-common';
import type {
  FlowPermissions,
  FlowState,
} from '@promotion/plugin-promotion-common';
import { useCallback, useMemo, useState } from 'react';
import { useSearchParams } from 'react-router-dom';
import { promotionApiRef } from '../../api';
import {
  useCurrentUser,
  useFlow,
  useFlowEvents,
  useFlowPermissions,
  useLiveUpdates,
} from '../../hooks';
import { deniedReason, isDenied } from '../../utils/decisions';
import { errorMessage } from '../../utils/errors';
import { formatDateTime } from '../../utils/format';
import { isPromotionAvailable } from '../../utils/isPromotionAvailable';
import { wrappingListItemText } from '../../utils/styles';
import { ActionButton } from '../ActionButton';
import { Actor } from '../Actor';
import { DependenciesCard } from '../DependenciesCard';
import { DeploymentTrailDialog } from '../DeploymentTrailDialog';
import { EnvironmentCard } from '../EnvironmentCard';
import { FlowHistory } from '../FlowHistory';
import { FlowPermissionsNotice } from '../FlowPermissionsNotice';
import { FlowInsightsCard } from '../InsightsCard';
import { NextGate } from '../NextGate';
import { PendingRequests } from '../PendingRequests';
import { PromotionLadder } from '../PromotionLadder';
import { RollbackDialog } from '../RollbackDialog';

/**
 * The Promotion tab of an entity: the ladder, the next gate, pending
 * requests, each environment's checklists and sign-off, the dependencies and
 * the history. Shows how to opt in when the entity lacks the annotation.
 * With `?deployment=<id>` in the URL (the verification report's evidence),
 * it opens the trail of that deployment ("Why is V here?").
 *
 * @public
 */
export function EntityPromotionContent() {
  const { entity } = useEntity();
  if (!isPromotionAvailable(entity)) {
    return (
      <MissingAnnotationEmptyState annotation={PROMOTION_POLICY_ANNOTATION} />
    );
  }
  return <FlowView entity={entity} />;
}

function FlowView(props: { entity: Entity }) {
  const { entity } = props;
  const entityRef = stringifyEntityRef(entity);
  const { flow, error, retry: retryFlow } = useFlow(entityRef);
  const {
    permissions,
    error: permissionsError,
    retry: retryPermissions,
  } = useFlowPermissions(entityRef);
  const history = useFlowEvents(entityRef);
  const { retry: retryHistory } = history;
  const { userEntityRef } = useCurrentUser();
  const [searchParams, setSearchParams] = useSearchParams();
  const linkedDeploymentId = searchParams.get('deployment') || undefined;
  const closeLinkedTrail = () => {
    const next = new URLSearchParams(searchParams);
    next.delete('deployment');
    setSearchParams(next, { replace: true });
  };

  const refresh = useCallback(() => {
    retryFlow();
    retryPermissions();
    retryHistory();
  }, [retryFlow, retryPermissions, retryHistory]);
  useLiveUpdates(flowChannel(entityRef), refresh);

  const effectivePermissions = useMemo(
    () =>
      permissionsError
        ? denyAll(
            `Could not find out what you may do: ${errorMessage(
              permissionsError,
            )}`,
          )
        : permissions,
    [permissions, permissionsError],
  );

  if (!flow) {
    return error ? <ResponseErrorPanel error={error} /> : <Progress />;
  }

  const environmentTitles = Object.fromEntries(
    flow.environments.map(s => [s.environment.id, s.environment.title]),
  );

  return (
    <Grid container spacing={3} alignItems="stretch">
      {error && (
        <Grid item xs={12}>
          <ResponseErrorPanel error={error} />
        </Grid>
      )}
      <Grid item xs={12}>
        {/* What the user may do, once; the controls they may not use are left out. */}
        <FlowPermissionsNotice
          entity={entity}
          policy={flow.policy}
          permissions={permissions}
          error={permissionsError}
        />
        <LadderCard
          entityRef={entityRef}
          flow={flow}
          permissions={effectivePermissions}
          onChange={refresh}
        />
      </Grid>
      <Grid item xs={12} md={6}>
        <NextGate
          entityRef={entityRef}
          flow={flow}
          permissions={effectivePermissions}
          onChange={refresh}
        />
      </Grid>
      <Grid item xs={12} md={6}>
        <PendingRequests
          flow={flow}
          permissions={effectivePermissions}
          userEntityRef={userEntityRef}
          onChange={refresh}
        />
      </Grid>
      {flow.environments.map(state => (
        <Grid item xs={12} md={6} lg={4} key={state.environment.id}>
          <EnvironmentCard
            entityRef={entityRef}
            state={state}
            rollbacks={flow.rollbacks}
            permissions={effectivePermissions}
            onChange={refresh}
          />
        </Grid>
      ))}
      <Grid item xs={12} md={6}>
        <DependenciesCard entity={entity} flow={flow} />
      </Grid>
      <Grid item xs={12}>
        <FlowInsightsCard entityRef={entityRef} />
      </Grid>
      <Grid item xs={12}>
        <FlowHistory
          events={history.events}
          totalCount={history.totalCount}
          loading={history.loading}
          error={history.error}
          hasMore={history.hasMore}
          loadingMore={history.loadingMore}
          loadMoreError={history.loadMoreError}
          onLoadMore={history.loadMore}
          environmentTitles={environmentTitles}
        />
      </Grid>
      {linkedDeploymentId && (
        <DeploymentTrailDialog
          open
          entityRef={entityRef}
          deploymentId={linkedDeploymentId}
          onClose={closeLinkedTrail}
        />
      )}
    </Grid>
  );
}

function denyAll(reason: string): FlowPermissions {
  const no = { allowed: false, reason };
  return {
    recordDeployment: no,
    completeChecklist: no,
    signOff: no,
    request: no,
    approve: no,
    revoke: no,
    rollback: no,
    readAudit: no,
  };
}

function LadderCard(props: {
  entityRef: string;
  flow: FlowState;
  permissions?: FlowPermissions;
  onChange: () => void;
}) {
  const { entityRef, flow, permissions, onChange } = props;
  const api = useApi(promotionApiRef);
  const [rollingBack, setRollingBack] = useState(false);
  const targets = flow.environments.flatMap(s =>
    s.currentVersion
      ? [
          {
            id: s.environment.id,
            title: s.environment.title,
            currentVersion: s.currentVersion,
            hasStandingApproval:
              !!s.standingApproval && !s.standingApproval.revokedAt,
          },
        ]
      : [],
  );
  const titles = Object.fromEntries(
    flow.environments.map(s => [s.environment.id, s.environment.title]),
  );
  const rollbacks = [...flow.rollbacks]
    .sort((a, b) => b.recordedAt.localeCompare(a.recordedAt))
    .slice(0, 5);

  return (
    <InfoCard
      title="Ladder"
      subheader={flow.policy.title ?? `Policy ${flow.policy.name}`}
    >
      <PromotionLadder flow={flow} />
      {!isDenied(permissions?.rollback) && (
        <Box mt={2}>
          <ActionButton
            label="Record rollback"
            color="secondary"
            onClick={() => setRollingBack(true)}
            disabledReason={
              deniedReason(
                permissions?.rollback,
                'You may not record rollbacks on this flow.',
              ) ??
              (targets.length === 0
                ? 'Nothing is deployed yet, so there is nothing to roll back.'
                : undefined)
            }
          />
        </Box>
      )}
      {rollbacks.length > 0 && (
        <Box mt={2} component="section" aria-label="Recent rollbacks">
          <Typography variant="h6" component="h3">
            Recent rollbacks
          </Typography>
          <List dense>
            {rollbacks.map(rollback => (
              <ListItem key={rollback.id} disableGutters>
                <ListItemText
                  style={wrappingListItemText}
                  primary={
                    <>
                      {titles[rollback.environmentId] ?? rollback.environmentId}
                      : {rollback.fromVersion}
                      {rollback.toVersion && ` → ${rollback.toVersion}`} by{' '}
                      <Actor entityRef={rollback.recordedBy} /> on{' '}
                      {formatDateTime(rollback.recordedAt)}
                    </>
                  }
                  secondary={
                    <>
                      {rollback.reason}
                      {rollback.incidentLink && (
                        <>
                          {' — '}
                          <Link
                            to={rollback.incidentLink}
                            rel="noopener noreferrer"
                          >
                            incident
                          </Link>
                        </>
                      )}
                    </>
                  }
                />
              </ListItem>
            ))}
          </List>
        </Box>
      )}
      {targets.length > 0 && (
        <RollbackDialog
          open={rollingBack}
          environments={targets}
          defaultEnvironmentId={targets[targets.length - 1].id}
          onClose={() => setRollingBack(false)}
          onSubmit={async rollback => {
            await api.recordRollback(entityRef, rollback);
            onChange();
          }}
        />
      )}
      {flow.environments.length === 0 && (
        <Alert severity="warning">
          The policy {flow.policy.name} has no environments.
        </Alert>
      )}
    </InfoCard>
  );
}
