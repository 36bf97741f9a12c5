import type { Entity } from '@backstage/catalog-model';
import { PROMOTION_POLICY_ANNOTATION } from '@promotion/plugin-promotion-common';

/**
 * Whether an entity opts in to Promotion: it carries the
 * `promotion.io/policy` annotation naming its policy.
 *
 * @public
 */
export function isPromotionAvailable(entity: Entity): boolean {
  return Boolean(entity.metadata.annotations?.[PROMOTION_POLICY_ANNOTATION]);
}
