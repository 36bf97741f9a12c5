export { EntityPromotionCard } from './EntityPromotionCard';
