export * from './EntityPromotionCard';
export * from './EntityPromotionContent';
export * from './PromotionApprovalsPage';
export * from './PromotionSidebarItem';
