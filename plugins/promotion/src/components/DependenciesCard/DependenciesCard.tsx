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

/**
 * The entity's dependencies (`dependsOn`) and where each stands on its own
 * ladder, for those governed by Promotion.
 *
 * @internal
 */
export function DependenciesCard(props: { entity: Entity }) {
  const { dependencies, loading, error } = useDependencies(props.entity);

  return (
    <InfoCard title="Dependencies">
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
                secondary={whereItStands(dependency)}
              />
            </ListItem>
          ))}
        </List>
      )}
    </InfoCard>
  );
}
