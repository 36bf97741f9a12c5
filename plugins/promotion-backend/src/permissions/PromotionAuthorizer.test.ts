import { mockCredentials } from '@backstage/backend-test-utils';
import type { PermissionsService } from '@backstage/backend-plugin-api';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  promotionApprovePermission,
  promotionReadPermission,
} from '@promotion/plugin-promotion-common';
import {
  MAX_QUESTIONS_PER_BATCH,
  PromotionAuthorizer,
} from './PromotionAuthorizer';

describe('PromotionAuthorizer.decideFlows', () => {
  /**
   * The permission framework (outside the unit), as a policy answers: it
   * allows reading flows on a condition that holds for even-numbered flows
   * only (resolved flow by flow), denies approving, and allows reading the
   * catalog to everyone. It records each call: `policy` with the
   * permissions asked, or `flows` with the number of questions.
   */
  function permissionFramework() {
    const calls: string[] = [];
    const service = {
      authorizeConditional: async (
        requests: Array<{ permission: { name: string } }>,
      ) => {
        calls.push(`policy ${requests.map(r => r.permission.name).join(' ')}`);
        return requests.map(r => {
          switch (r.permission.name) {
            case promotionReadPermission.name:
              return {
                result: AuthorizeResult.CONDITIONAL,
                pluginId: 'catalog',
                resourceType: 'catalog-entity',
                conditions: { rule: 'IS_EVEN', params: {} },
              };
            case catalogEntityReadPermission.name:
              return { result: AuthorizeResult.ALLOW };
            default:
              return { result: AuthorizeResult.DENY };
          }
        });
      },
      authorize: async (
        requests: Array<{ resourceRef?: string; permission: { name: string } }>,
      ) => {
        calls.push(`flows ${requests.length}`);
        return requests.map(r => {
          if (r.permission.name !== promotionReadPermission.name) {
            throw new Error(`${r.permission.name} was decided for everyone`);
          }
          return {
            result:
              Number(/flow-(\d+)$/.exec(r.resourceRef ?? '')?.[1]) % 2 === 0
                ? AuthorizeResult.ALLOW
                : AuthorizeResult.DENY,
          };
        });
      },
    } as unknown as PermissionsService;
    return { service, calls };
  }

  const flow = (i: number) => `component:default/flow-${i}`;

  it('asks the policy once per permission, and flow by flow only what it decides on a condition', async () => {
    const { service, calls } = permissionFramework();
    const decisions = await new PromotionAuthorizer(service).decideFlows(
      [1, 2, 3, 2].flatMap(i => [
        { permission: promotionReadPermission, entityRef: flow(i) },
        { permission: promotionApprovePermission, entityRef: flow(i) },
        { permission: catalogEntityReadPermission, entityRef: flow(i) },
      ]),
      mockCredentials.user(),
    );
    expect(calls).toEqual([
      `policy ${promotionReadPermission.name} ${promotionApprovePermission.name} ${catalogEntityReadPermission.name}`,
      'flows 3',
    ]);
    expect(decisions.allows(promotionReadPermission, flow(2))).toBe(true);
    expect(decisions.allows(promotionReadPermission, flow(1))).toBe(false);
    expect(decisions.allows(promotionApprovePermission, flow(2))).toBe(false);
    expect(decisions.allows(catalogEntityReadPermission, flow(1))).toBe(true);
    expect(decisions.allows(catalogEntityReadPermission, flow(3))).toBe(true);
    // A question not asked is not allowed, even of a permission allowed to everyone.
    expect(decisions.allows(catalogEntityReadPermission, flow(4))).toBe(false);
  });

  it('asks nothing flow by flow when the policy allows or denies every permission', async () => {
    const { service, calls } = permissionFramework();
    const decisions = await new PromotionAuthorizer(service).decideFlows(
      Array.from({ length: 600 }, (_, i) => [
        { permission: catalogEntityReadPermission, entityRef: flow(i) },
        { permission: promotionApprovePermission, entityRef: flow(i) },
      ]).flat(),
      mockCredentials.user(),
    );
    expect(calls).toEqual([
      `policy ${catalogEntityReadPermission.name} ${promotionApprovePermission.name}`,
    ]);
    for (let i = 0; i < 600; i++) {
      expect(decisions.allows(catalogEntityReadPermission, flow(i))).toBe(true);
      expect(decisions.allows(promotionApprovePermission, flow(i))).toBe(false);
    }
  });

  it('splits the questions on a condition into batches the permission backend accepts, answering every question', async () => {
    const { service, calls } = permissionFramework();
    const questions = Array.from({ length: 600 }, (_, i) => [
      { permission: promotionReadPermission, entityRef: flow(i) },
      { permission: promotionApprovePermission, entityRef: flow(i) },
    ]).flat();
    const decisions = await new PromotionAuthorizer(service).decideFlows(
      questions,
      mockCredentials.user(),
    );
    const batches = calls
      .filter(call => call.startsWith('flows '))
      .map(call => Number(call.slice('flows '.length)));
    expect(calls).toHaveLength(1 + Math.ceil(600 / MAX_QUESTIONS_PER_BATCH));
    expect(Math.max(...batches)).toBeLessThanOrEqual(MAX_QUESTIONS_PER_BATCH);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(600);
    for (let i = 0; i < 600; i++) {
      expect(decisions.allows(promotionReadPermission, flow(i))).toBe(
        i % 2 === 0,
      );
      expect(decisions.allows(promotionApprovePermission, flow(i))).toBe(false);
    }
  });

  it('asks nothing when there is no question', async () => {
    const { service, calls } = permissionFramework();
    const decisions = await new PromotionAuthorizer(service).decideFlows(
      [],
      mockCredentials.user(),
    );
    expect(calls).toEqual([]);
    expect(decisions.allows(promotionReadPermission, flow(2))).toBe(false);
  });
});
