import { IconComponent, useRouteRef } from '@backstage/core-plugin-api';
import { SidebarItem } from '@backstage/core-components';
import AssignmentTurnedInIcon from '@material-ui/icons/AssignmentTurnedIn';
import { rootRouteRef } from '../../routes';

/**
 * The sidebar link to the Approvals page.
 *
 * @public
 */
export function PromotionSidebarItem(props: {
  title?: string;
  icon?: IconComponent;
}) {
  const link = useRouteRef(rootRouteRef);
  return (
    <SidebarItem
      icon={props.icon ?? AssignmentTurnedInIcon}
      to={link()}
      text={props.title ?? 'Approvals'}
    />
  );
}
