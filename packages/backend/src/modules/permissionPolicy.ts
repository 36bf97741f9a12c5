import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import {
  AuthorizeResult,
  isResourcePermission,
  PolicyDecision,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  catalogConditions,
  createCatalogConditionalDecision,
} from '@backstage/plugin-catalog-backend/alpha';
import {
  promotionApprovePermission,
  promotionAuditReadPermission,
  promotionReadPermission,
  promotionRevokePermission,
  promotionRollbackPermission,
  readPromotionConfig,
} from '@promotion/plugin-promotion-common';

/**
 * The example portal's permission policy for Promotion:
 * - everyone signed in reads flows;
 * - a flow's owners record deployments, complete checklists, sign off,
 *   request promotion and record rollbacks (IS_ENTITY_OWNER, evaluated by the catalog);
 * - the approvers named in the promotion policies (the "Director" group)
 *   approve, reject and revoke standing approvals, and may also record rollbacks;
 * - approvers and the auditor groups read the whole audit trail;
 * - pipelines (service tokens) are allowed by the framework itself and are
 *   limited to the promotion plugin by `backend.auth.externalAccess`.
 * Everything outside Promotion is allowed, as in the default example app.
 */
export class PromotionExamplePolicy implements PermissionPolicy {
  constructor(
    private readonly approverRefs: ReadonlySet<string>,
    private readonly auditorRefs: ReadonlySet<string>,
  ) {}

  static fromConfig(config: Config): PromotionExamplePolicy {
    const promotion = readPromotionConfig(
      config.getOptional('promotion') ?? {},
    );
    const approvers = new Set<string>();
    for (const policy of Object.values(promotion.policies)) {
      for (const environment of policy.environments) {
        environment.approval.approvers.forEach(ref => approvers.add(ref));
      }
    }
    const auditors = new Set(
      config.getOptionalStringArray('promotionExample.auditorGroups') ?? [
        'group:default/compliance',
      ],
    );
    return new PromotionExamplePolicy(approvers, auditors);
  }

  async handle(
    request: PolicyQuery,
    user?: PolicyQueryUser,
  ): Promise<PolicyDecision> {
    const { permission } = request;
    if (!permission.name.startsWith('promotion.')) {
      return { result: AuthorizeResult.ALLOW };
    }
    const claims = user?.info.ownershipEntityRefs ?? [];
    const isApprover = claims.some(ref => this.approverRefs.has(ref));
    const isAuditor = claims.some(ref => this.auditorRefs.has(ref));

    if (permission.name === promotionReadPermission.name) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (
      permission.name === promotionApprovePermission.name ||
      permission.name === promotionRevokePermission.name
    ) {
      return {
        result: isApprover ? AuthorizeResult.ALLOW : AuthorizeResult.DENY,
      };
    }
    if (permission.name === promotionAuditReadPermission.name) {
      return {
        result:
          isApprover || isAuditor
            ? AuthorizeResult.ALLOW
            : AuthorizeResult.DENY,
      };
    }
    if (permission.name === promotionRollbackPermission.name && isApprover) {
      return { result: AuthorizeResult.ALLOW };
    }
    if (isResourcePermission(permission, 'catalog-entity')) {
      return createCatalogConditionalDecision(
        permission,
        catalogConditions.isEntityOwner({ claims }),
      );
    }
    return { result: AuthorizeResult.DENY };
  }
}

export default createBackendModule({
  pluginId: 'permission',
  moduleId: 'promotion-example-policy',
  register(reg) {
    reg.registerInit({
      deps: {
        policy: policyExtensionPoint,
        config: coreServices.rootConfig,
      },
      async init({ policy, config }) {
        policy.setPolicy(PromotionExamplePolicy.fromConfig(config));
      },
    });
  },
});
