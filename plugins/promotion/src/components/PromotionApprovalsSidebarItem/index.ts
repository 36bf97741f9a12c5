export {
  PromotionApprovalsNavIcon,
  PromotionApprovalsSidebarItem,
  PromotionSidebarItem,
} from './PromotionApprovalsSidebarItem';
