export { PromotionLadder, approvalStateText } from './PromotionLadder';
export type { PromotionLadderProps } from './PromotionLadder';
