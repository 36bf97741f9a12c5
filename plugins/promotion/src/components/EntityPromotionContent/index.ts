export { EntityPromotionContent } from './EntityPromotionContent';
