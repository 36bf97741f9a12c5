export { PromotionRequestCard } from './PromotionRequestCard';
export type {
  PromotionRequestCardProps,
  RequesterActions,
} from './PromotionRequestCard';
