import { mockCredentials } from '@backstage/backend-test-utils';
import type { PermissionsService } from '@backstage/backend-plugin-api';
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
  /** The permission framework (outside the unit): allows reading even-numbered flows only, and counts the calls. */
  function permissionFramework() {
    const calls: number[] = [];
    const service = {
      authorize: async (
        requests: Array<{ resourceRef?: string; permission: { name: string } }>,
      ) => {
        calls.push(requests.length);
        return requests.map(r => ({
          result:
            r.permission.name === promotionReadPermission.name &&
            Number(/flow-(\d+)$/.exec(r.resourceRef ?? '')?.[1]) % 2 === 0
              ? AuthorizeResult.ALLOW
              : AuthorizeResult.DENY,
        }));
      },
      authorizeConditional: async () => {
        throw new Error('not used');
      },
    } as unknown as PermissionsService;
    return { service, calls };
  }

  const flow = (i: number) => `component:default/flow-${i}`;

  it('asks in one batch when the questions fit', async () => {
    const { service, calls } = permissionFramework();
    const decisions = await new PromotionAuthorizer(service).decideFlows(
      [1, 2, 3, 2].map(i => ({
        permission: promotionReadPermission,
        entityRef: flow(i),
      })),
      mockCredentials.user(),
    );
    expect(calls).toEqual([3]);
    expect(decisions.allows(promotionReadPermission, flow(2))).toBe(true);
    expect(decisions.allows(promotionReadPermission, flow(1))).toBe(false);
    expect(decisions.allows(promotionApprovePermission, flow(2))).toBe(false);
  });

  it('splits a long list into batches the permission backend accepts, answering every question', async () => {
    const { service, calls } = permissionFramework();
    const questions = Array.from({ length: 600 }, (_, i) => [
      { permission: promotionReadPermission, entityRef: flow(i) },
      { permission: promotionApprovePermission, entityRef: flow(i) },
    ]).flat();
    const decisions = await new PromotionAuthorizer(service).decideFlows(
      questions,
      mockCredentials.user(),
    );
    expect(calls.length).toBe(Math.ceil(1200 / MAX_QUESTIONS_PER_BATCH));
    expect(Math.max(...calls)).toBeLessThanOrEqual(MAX_QUESTIONS_PER_BATCH);
    expect(calls.reduce((a, b) => a + b, 0)).toBe(1200);
    for (let i = 0; i < 600; i++) {
      expect(decisions.allows(promotionReadPermission, flow(i))).toBe(
        i % 2 === 0,
      );
      expect(decisions.allows(promotionApprovePermission, flow(i))).toBe(false);
    }
  });
});
