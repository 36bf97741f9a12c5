import { Config } from '@backstage/config';
import {
  AuthorizeResult,
  ConditionalPolicyDecision,
  isResourcePermission,
  Permission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { RESOURCE_TYPE_CATALOG_ENTITY } from '@backstage/plugin-catalog-common/alpha';
import {
  normaliseApproverRef,
  promotionApprovePermission,
  promotionAuditReadPermission,
  promotionPermissions,
  promotionReadPermission,
  promotionRevokePermission,
  promotionRollbackPermission,
  readPromotionConfig,
} from '@promotion/plugin-promotion-common';

/**
 * Options of {@link createPromotionPermissionPolicy}.
 *
 * @public
 */
export interface PromotionPermissionPolicyOptions {
  /**
   * The users and groups (entity refs such as `group:default/approvers`) who
   * approve and reject promotion requests and revoke standing approvals —
   * the Director. They also read the audit trail and record rollbacks.
   * Usually {@link promotionApproversFromConfig}.
   */
  approvers: Iterable<string>;
  /**
   * The users and groups who read the audit trail, its verification and the
   * verification report, besides the approvers. Defaults to nobody else.
   */
  auditors?: Iterable<string>;
  /**
   * Decides every permission that is not Promotion's. Defaults to allowing
   * it, as Backstage's allow-all policy does: pass your own policy to keep
   * its decisions for the other plugins.
   */
  fallback?: PermissionPolicy;
}

const PROMOTION_PERMISSION_NAMES: ReadonlySet<string> = new Set(
  promotionPermissions.map(permission => permission.name),
);

/**
 * The catalog's `IS_ENTITY_OWNER` condition on the flow's entity, as
 * `createCatalogConditionalDecision(permission, catalogConditions.isEntityOwner({ claims }))`
 * of `@backstage/plugin-catalog-backend/alpha` builds it; the catalog
 * evaluates it.
 */
function ownersOnly(claims: string[]): ConditionalPolicyDecision {
  return {
    result: AuthorizeResult.CONDITIONAL,
    pluginId: 'catalog',
    resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
    conditions: {
      rule: 'IS_ENTITY_OWNER',
      resourceType: RESOURCE_TYPE_CATALOG_ENTITY,
      params: { claims },
    },
  };
}

const allow: PolicyDecision = { result: AuthorizeResult.ALLOW };
const deny: PolicyDecision = { result: AuthorizeResult.DENY };

/**
 * A permission policy for Promotion, the one the example portal runs:
 *
 * - everyone signed in reads flows (`promotion.flow.read`);
 * - a flow's owners (`IS_ENTITY_OWNER` of its catalog entity) record
 *   deployments, complete checklists, sign off, request promotions and
 *   record rollbacks;
 * - the approvers decide requests and revoke standing approvals, and may
 *   also record rollbacks of any flow;
 * - the approvers and the auditors read the audit trail
 *   (`promotion.audit.read`);
 * - every other permission goes to `fallback` (default: allowed).
 *
 * Pipelines calling with a static token are service principals, which the
 * permission framework allows without asking the policy; restrict them to the
 * plugin with `backend.auth.externalAccess`.
 *
 * @public
 */
export function createPromotionPermissionPolicy(
  options: PromotionPermissionPolicyOptions,
): PermissionPolicy {
  const approvers = new Set([...options.approvers].map(normaliseApproverRef));
  const auditors = new Set(
    [...(options.auditors ?? [])].map(normaliseApproverRef),
  );
  const fallback = options.fallback;

  const decide = (permission: Permission, claims: string[]) => {
    const isApprover = claims.some(ref =>
      approvers.has(ref.toLocaleLowerCase('en-US')),
    );
    const isAuditor = claims.some(ref =>
      auditors.has(ref.toLocaleLowerCase('en-US')),
    );
    switch (permission.name) {
      case promotionReadPermission.name:
        return allow;
      case promotionApprovePermission.name:
      case promotionRevokePermission.name:
        return isApprover ? allow : deny;
      case promotionAuditReadPermission.name:
        return isApprover || isAuditor ? allow : deny;
      case promotionRollbackPermission.name:
        return isApprover ? allow : ownersOnly(claims);
      default:
        return isResourcePermission(permission, RESOURCE_TYPE_CATALOG_ENTITY)
          ? ownersOnly(claims)
          : deny;
    }
  };

  return {
    async handle(
      request: PolicyQuery,
      user?: PolicyQueryUser,
    ): Promise<PolicyDecision> {
      if (!PROMOTION_PERMISSION_NAMES.has(request.permission.name)) {
        return fallback ? fallback.handle(request, user) : allow;
      }
      // The permission backend resolves the user's ownership refs once per
      // request and hands them over as `user.info`.
      return decide(request.permission, user?.info.ownershipEntityRefs ?? []);
    },
  };
}

/**
 * Every approver named in `promotion.policies` (each environment's
 * `approval.approvers`), normalised to full entity refs.
 *
 * @public
 */
export function promotionApproversFromConfig(config: Config): string[] {
  const promotion = readPromotionConfig(config.getOptional('promotion') ?? {});
  const approvers = new Set<string>();
  for (const policy of Object.values(promotion.policies)) {
    for (const environment of policy.environments) {
      environment.approval.approvers.forEach(ref => approvers.add(ref));
    }
  }
  return [...approvers];
}
