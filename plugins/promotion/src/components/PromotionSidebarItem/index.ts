export { PromotionSidebarItem } from './PromotionSidebarItem';
