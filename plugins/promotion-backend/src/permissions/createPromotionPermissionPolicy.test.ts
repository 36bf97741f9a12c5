import { mockCredentials } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { ConfigReader } from '@backstage/config';
import {
  catalogConditions,
  createCatalogConditionalDecision,
  permissionRules,
} from '@backstage/plugin-catalog-backend/alpha';
import { CatalogEntityPermission } from '@backstage/plugin-catalog-common/alpha';
import {
  AuthorizeResult,
  createPermission,
  PermissionCondition,
} from '@backstage/plugin-permission-common';
import {
  PermissionPolicy,
  PolicyQuery,
  PolicyQueryUser,
} from '@backstage/plugin-permission-node';
import {
  promotionApprovePermission,
  promotionAuditReadPermission,
  promotionChecklistCompletePermission,
  promotionDeploymentRecordPermission,
  promotionPermissions,
  promotionReadPermission,
  promotionRequestPermission,
  promotionRevokePermission,
  promotionRollbackPermission,
  promotionSignOffPermission,
} from '@promotion/plugin-promotion-common';
import {
  createPromotionPermissionPolicy,
  promotionApproversFromConfig,
} from './createPromotionPermissionPolicy';

/** A signed-in user as the permission backend hands it to the policy. */
function user(ref: string, groups: string[] = []): PolicyQueryUser {
  return {
    credentials: mockCredentials.user(ref),
    info: { userEntityRef: ref, ownershipEntityRefs: [ref, ...groups] },
  };
}

const developer = user('user:default/alice', [
  'group:default/file-transfer-team',
]);
const director = user('user:default/dana', ['group:default/approvers']);
const auditor = user('user:default/ann', ['group:default/compliance']);
const viewer = user('user:default/victor');

const query = (permission: PolicyQuery['permission']): PolicyQuery => ({
  permission,
});

const flowEntity = (owner: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: 'partner-sftp-ingest',
    annotations: { 'promotion.io/policy': 'standard' },
  },
  spec: { owner, type: 'service', lifecycle: 'production' },
  relations: [{ type: 'ownedBy', targetRef: owner }],
});

/** Whether the catalog's own IS_ENTITY_OWNER rule admits the entity. */
function catalogAdmits(condition: unknown, entity: Entity): boolean {
  const { rule, params } = condition as PermissionCondition<
    'catalog-entity',
    { claims: string[] }
  >;
  expect(rule).toBe(permissionRules.isEntityOwner.name);
  return permissionRules.isEntityOwner.apply(entity, params!);
}

describe('createPromotionPermissionPolicy', () => {
  const policy = createPromotionPermissionPolicy({
    approvers: ['group:approvers'],
    auditors: ['group:default/compliance'],
  });

  it('lets everyone signed in read flows', async () => {
    for (const u of [developer, director, auditor, viewer]) {
      await expect(
        policy.handle(query(promotionReadPermission), u),
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
    "gives $name to the flow's owners, with the catalog's own IS_ENTITY_OWNER condition",
    async permission => {
      const decision = await policy.handle(query(permission), developer);
      expect(decision).toEqual(
        createCatalogConditionalDecision(
          permission as CatalogEntityPermission,
          catalogConditions.isEntityOwner({
            claims: ['user:default/alice', 'group:default/file-transfer-team'],
          }),
        ),
      );
      if (decision.result !== AuthorizeResult.CONDITIONAL) {
        throw new Error('expected a conditional decision');
      }
      expect(
        catalogAdmits(
          decision.conditions,
          flowEntity('group:default/file-transfer-team'),
        ),
      ).toBe(true);
      expect(
        catalogAdmits(decision.conditions, flowEntity('group:default/other')),
      ).toBe(false);
    },
  );

  it('lets only the approvers approve, reject and revoke standing approvals', async () => {
    for (const permission of [
      promotionApprovePermission,
      promotionRevokePermission,
    ]) {
      await expect(policy.handle(query(permission), director)).resolves.toEqual(
        { result: AuthorizeResult.ALLOW },
      );
      for (const u of [developer, auditor, viewer]) {
        await expect(policy.handle(query(permission), u)).resolves.toEqual({
          result: AuthorizeResult.DENY,
        });
      }
    }
  });

  it('lets approvers record a rollback of any flow', async () => {
    await expect(
      policy.handle(query(promotionRollbackPermission), director),
    ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
  });

  it('lets approvers and auditors read the audit trail, nobody else', async () => {
    const permission = promotionAuditReadPermission;
    for (const u of [director, auditor]) {
      await expect(policy.handle(query(permission), u)).resolves.toEqual({
        result: AuthorizeResult.ALLOW,
      });
    }
    for (const u of [developer, viewer, undefined]) {
      await expect(policy.handle(query(permission), u)).resolves.toEqual({
        result: AuthorizeResult.DENY,
      });
    }
  });

  it('decides each of the nine Promotion permissions itself', async () => {
    const fallback: PermissionPolicy = {
      handle: jest.fn(async () => ({ result: AuthorizeResult.DENY })),
    };
    const strict = createPromotionPermissionPolicy({
      approvers: ['group:default/approvers'],
      fallback,
    });
    expect(promotionPermissions).toHaveLength(9);
    for (const permission of promotionPermissions) {
      await strict.handle(query(permission), director);
    }
    expect(fallback.handle).not.toHaveBeenCalled();
    await expect(
      strict.handle(query(promotionReadPermission), director),
    ).resolves.toEqual({ result: AuthorizeResult.ALLOW });
  });

  it("passes other plugins' permissions to the fallback, or allows them without one", async () => {
    const other = query(
      createPermission({
        name: 'catalog.entity.delete',
        attributes: { action: 'delete' },
        resourceType: 'catalog-entity',
      }),
    );
    await expect(policy.handle(other, viewer)).resolves.toEqual({
      result: AuthorizeResult.ALLOW,
    });

    const fallback: PermissionPolicy = {
      handle: jest.fn(async () => ({ result: AuthorizeResult.DENY })),
    };
    const withFallback = createPromotionPermissionPolicy({
      approvers: ['group:default/approvers'],
      fallback,
    });
    await expect(withFallback.handle(other, viewer)).resolves.toEqual({
      result: AuthorizeResult.DENY,
    });
    expect(fallback.handle).toHaveBeenCalledWith(other, viewer);
  });
});

describe('promotionApproversFromConfig', () => {
  it('collects every approver of every policy, as full entity refs', () => {
    const config = new ConfigReader({
      promotion: {
        policies: {
          standard: {
            environments: [
              { id: 'dev' },
              {
                id: 'production',
                approval: { mode: 'once', approvers: ['group:approvers'] },
              },
            ],
          },
          regulated: {
            environments: [
              { id: 'dev' },
              {
                id: 'production',
                approval: {
                  mode: 'every',
                  approvers: ['group:default/approvers', 'user:default/jane'],
                  minApprovers: 2,
                },
              },
            ],
          },
        },
      },
    });
    expect(promotionApproversFromConfig(config).sort()).toEqual([
      'group:default/approvers',
      'user:default/jane',
    ]);
    expect(promotionApproversFromConfig(new ConfigReader({}))).toEqual([]);
  });
});
