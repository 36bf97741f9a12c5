import { ConfigReader } from '@backstage/config';
import {
  AuthorizeResult,
  ConditionalPolicyDecision,
} from '@backstage/plugin-permission-common';
import { PolicyQueryUser } from '@backstage/plugin-permission-node';
import {
  promotionApprovePermission,
  promotionAuditReadPermission,
  promotionChecklistCompletePermission,
  promotionDeploymentRecordPermission,
  promotionReadPermission,
  promotionRequestPermission,
  promotionRevokePermission,
  promotionRollbackPermission,
  promotionSignOffPermission,
} from '@promotion/plugin-promotion-common';
import { PromotionExamplePolicy } from './permissionPolicy';

const config = new ConfigReader({
  promotion: {
    policies: {
      standard: {
        environments: [
          { id: 'dev' },
          {
            id: 'production',
            approval: { mode: 'once', approvers: ['group:default/approvers'] },
          },
        ],
      },
    },
  },
});

function user(ref: string, groups: string[] = []): PolicyQueryUser {
  return {
    identity: {
      type: 'user',
      userEntityRef: ref,
      ownershipEntityRefs: [ref, ...groups],
    },
    info: { userEntityRef: ref, ownershipEntityRefs: [ref, ...groups] },
    credentials: {} as any,
    token: 'token',
  } as unknown as PolicyQueryUser;
}

const developer = user('user:default/alice', [
  'group:default/file-transfer-team',
]);
const director = user('user:default/dana', ['group:default/approvers']);
const auditor = user('user:default/ann', ['group:default/compliance']);
const viewer = user('user:default/victor');

describe('PromotionExamplePolicy', () => {
  const policy = PromotionExamplePolicy.fromConfig(config);

  it('lets everyone read flows', async () => {
    for (const u of [developer, director, viewer]) {
      await expect(
        policy.handle({ permission: promotionReadPermission }, u),
      ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
    }
  });

  it.each([
    promotionDeploymentRecordPermission,
    promotionChecklistCompletePermission,
    promotionSignOffPermission,
    promotionRequestPermission,
    promotionRollbackPermission,
  ])(
    'gives the owners $name through the catalog IS_ENTITY_OWNER rule',
    async permission => {
      const decision = (await policy.handle(
        { permission },
        developer,
      )) as ConditionalPolicyDecision;
      expect(decision.result).toBe(AuthorizeResult.CONDITIONAL);
      expect(decision.pluginId).toBe('catalog');
      expect(decision.resourceType).toBe('catalog-entity');
      expect(decision.conditions).toEqual({
        rule: 'IS_ENTITY_OWNER',
        resourceType: 'catalog-entity',
        params: {
          claims: ['user:default/alice', 'group:default/file-transfer-team'],
        },
      });
    },
  );

  it('lets only the approvers named in the promotion policies approve and revoke', async () => {
    for (const permission of [
      promotionApprovePermission,
      promotionRevokePermission,
    ]) {
      await expect(policy.handle({ permission }, director)).resolves.toEqual({
        result: AuthorizeResult.ALLOW,
      });
      await expect(policy.handle({ permission }, developer)).resolves.toEqual({
        result: AuthorizeResult.DENY,
      });
    }
  });

  it('lets approvers record a rollback on any flow', async () => {
    await expect(
      policy.handle({ permission: promotionRollbackPermission }, director),
    ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('lets approvers and compliance read the audit trail, nobody else', async () => {
    const permission = promotionAuditReadPermission;
    await expect(policy.handle({ permission }, director)).resolves.toEqual({
      result: AuthorizeResult.ALLOW,
    });
    await expect(policy.handle({ permission }, auditor)).resolves.toEqual({
      result: AuthorizeResult.ALLOW,
    });
    await expect(policy.handle({ permission }, viewer)).resolves.toEqual({
      result: AuthorizeResult.DENY,
    });
  });
});
