import { SidebarItem } from '@backstage/core-components';
import { IconComponent, useRouteRef } from '@backstage/core-plugin-api';
import Badge from '@material-ui/core/Badge';
import AssignmentTurnedInIcon from '@material-ui/icons/AssignmentTurnedIn';
import { useMemo } from 'react';
import { useWaitingApprovals } from '../../hooks';
import { rootRouteRef } from '../../routes';

/** The count on a badge: at most 99+. */
const MAX_COUNT = 99;

/** "Approvals, 3 waiting for you": the count in the link's accessible name. */
function accessibleName(title: string, count: number): string {
  return count > 0 ? `${title}, ${count} waiting for you` : title;
}

/** An icon with the count of waiting requests on a badge (nothing when none). */
function withCount(Icon: IconComponent, count: number): IconComponent {
  return function IconWithCount(props) {
    return (
      <Badge
        badgeContent={count > 0 ? count : undefined}
        max={MAX_COUNT}
        color="secondary"
        overlap="rectangular"
        data-testid="promotion-waiting-count"
      >
        <Icon {...props} />
      </Badge>
    );
  };
}

/**
 * The sidebar link to the Approvals page, with how many promotion requests
 * wait for the signed-in user's decision on a badge. The count follows the
 * inbox's signals (or polls without them) and drops a request at its
 * deadline.
 *
 * @public
 */
export function PromotionApprovalsSidebarItem(props: {
  title?: string;
  icon?: IconComponent;
}) {
  const link = useRouteRef(rootRouteRef);
  const { count = 0 } = useWaitingApprovals();
  const title = props.title ?? 'Approvals';
  const icon = props.icon ?? AssignmentTurnedInIcon;
  const iconWithCount = useMemo(() => withCount(icon, count), [icon, count]);
  return (
    <SidebarItem
      icon={iconWithCount}
      to={link()}
      text={title}
      aria-label={accessibleName(title, count)}
    />
  );
}

/**
 * The Approvals page's icon with the count of waiting requests, for the new
 * frontend system's navigation (which takes the page's icon).
 *
 * @internal
 */
export function PromotionApprovalsNavIcon() {
  const { count = 0 } = useWaitingApprovals();
  const Icon = useMemo(() => withCount(AssignmentTurnedInIcon, count), [count]);
  return <Icon fontSize="inherit" />;
}

/**
 * The sidebar link to the Approvals page.
 *
 * @public
 * @deprecated Use {@link PromotionApprovalsSidebarItem}, which also shows how many requests wait.
 */
export const PromotionSidebarItem = PromotionApprovalsSidebarItem;
