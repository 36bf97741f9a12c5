import {
  coreServices,
  createBackendModule,
} from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { PermissionPolicy } from '@backstage/plugin-permission-node';
import { policyExtensionPoint } from '@backstage/plugin-permission-node/alpha';
import {
  createPromotionPermissionPolicy,
  promotionApproversFromConfig,
} from '@promotion/plugin-promotion-backend';

/**
 * The example portal's permission policy: Promotion's own policy helper,
 * exported by the backend package for every portal to use:
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
export const PromotionExamplePolicy = {
  fromConfig(config: Config): PermissionPolicy {
    return createPromotionPermissionPolicy({
      approvers: promotionApproversFromConfig(config),
      auditors: config.getOptionalStringArray(
        'promotionExample.auditorGroups',
      ) ?? ['group:default/compliance'],
    });
  },
};

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
