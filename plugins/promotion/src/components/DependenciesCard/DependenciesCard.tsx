import type { Entity } from '@backstage/catalog-model';
import {
  InfoCard,
  Progress,
  ResponseErrorPanel,
} from '@backstage/core-components';
import { EntityRefLink } from '@backstage/plugin-catalog-react';
import List from '@material-ui/core/List';
import ListItem from '@material-ui/core/ListItem';
import ListItemText from '@material-ui/core/ListItemText';
import Typography from '@material-ui/core/Typography';
import type {
  DependencyCheck,
  FlowState,
} from '@promotion/plugin-promotion-common';
import { DependencyState, useDependencies } from '../../hooks';
import { errorMessage } from '../../utils/errors';
import { wrappingListItemText } from '../../utils/styles';

function whereItStands(dependency: DependencyState): string {
  if (!dependency.entity) {
    return 'Not found in the catalog.';
  }
  if (!dependency.governed) {
    return 'Not governed by Promotion.';
  }
  if (dependency.error) {
    return `Could not read where it stands: ${errorMessage(dependency.error)}`;
  }
  if (!dependency.flow) {
    return '';
  }
  return dependency.flow.environments
    .map(s => `${s.environment.title}: ${s.currentVersion ?? '—'}`)
    .join(' · ');
}

/** What the dependency gate of each environment that requires it says of one dependency. */
function gateChecksOf(
  dependency: DependencyState,
  flow: FlowState | undefined,
): Array<{ environmentTitle: string; check: DependencyCheck }> {
  const ref = dependency.entityRef.toLocaleLowerCase('en-US');
  return (flow?.dependencies ?? []).flatMap(({ environmentId, checks }) => {
    const environmentTitle =
      flow?.environments.find(s => s.environment.id === environmentId)
        ?.environment.title ?? environmentId;
    return checks
      .filter(check => check.entityRef.toLocaleLowerCase('en-US') === ref)
      .map(check => ({ environmentTitle, check }));
  });
}

/** The environments whose gate requires the dependencies, by title. */
function requiringTitles(flow: FlowState | undefined): string[] {
  return (flow?.dependencies ?? []).map(
    ({ environmentId }) =>
      flow?.environments.find(s => s.environment.id === environmentId)
        ?.environment.title ?? environmentId,
  );
}

/**
 * The entity's dependencies (`dependsOn`) and where each stands on its own
 * ladder, for those governed by Promotion; given the flow's state, which
 * environments require them and which dependency blocks which environment.
 *
 * @internal
 */
export function DependenciesCard(props: { entity: Entity; flow?: FlowState }) {
  const { dependencies, loading, error } = useDependencies(props.entity);
  const requiring = requiringTitles(props.flow);

  return (
    <InfoCard title="Dependencies">
      {requiring.length > 0 && (
        <Typography variant="body2">
          A version enters {requiring.join(', ')} only once every flow this one
          depends on has a version there.
        </Typography>
      )}
      {loading && !dependencies && <Progress />}
      {error && <ResponseErrorPanel error={error} />}
      {dependencies?.length === 0 && (
        <Typography color="textSecondary">
          This entity declares no dependencies (dependsOn).
        </Typography>
      )}
      {dependencies && dependencies.length > 0 && (
        <List dense aria-label="Dependencies">
          {dependencies.map(dependency => (
            <ListItem key={dependency.entityRef} disableGutters>
              <ListItemText
                style={wrappingListItemText}
                primary={<EntityRefLink entityRef={dependency.entityRef} />}
                secondary={
                  <>
                    {whereItStands(dependency)}
                    {gateChecksOf(dependency, props.flow).map(
                      ({ environmentTitle, check }) => (
                        <Typography
                          key={check.environmentId}
                          component="span"
                          display="block"
                          variant="body2"
                          color={
                            check.status === 'unmet' ? 'error' : 'textSecondary'
                          }
                        >
                          {check.status === 'unmet'
                            ? `Blocks ${environmentTitle}: ${check.message}`
                            : `${environmentTitle} gate: ${check.message}`}
                        </Typography>
                      ),
                    )}
                  </>
                }
              />
            </ListItem>
          ))}
        </List>
      )}
    </InfoCard>
  );
}
