export {
  createPromotionPermissionPolicy,
  promotionApproversFromConfig,
} from './createPromotionPermissionPolicy';
export type { PromotionPermissionPolicyOptions } from './createPromotionPermissionPolicy';
