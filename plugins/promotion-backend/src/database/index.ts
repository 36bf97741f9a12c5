export * from './PromotionStore';
export { DatabasePromotionStore } from './DatabasePromotionStore';
