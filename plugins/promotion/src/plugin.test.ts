import {
  EntityPromotionCard,
  EntityPromotionContent,
  isPromotionAvailable,
  PromotionApprovalsPage,
  promotionApiRef,
  PromotionApprovalsSidebarItem,
  promotionPlugin,
  PromotionSidebarItem,
} from './index';
import { entity, entityWithoutAnnotation } from './__testUtils__/flow';

describe('promotionPlugin', () => {
  it('is the promotion plugin with its client and routes', () => {
    expect(promotionPlugin.getId()).toBe('promotion');
    expect(
      [...promotionPlugin.getApis()].map(factory => factory.api.id),
    ).toEqual([promotionApiRef.id]);
    expect(promotionApiRef.id).toBe('plugin.promotion.service');
    expect(Object.keys(promotionPlugin.routes)).toEqual([
      'root',
      'entityContent',
    ]);
  });

  it('exports the tab, the card, the page and the sidebar item', () => {
    expect(EntityPromotionContent).toBeDefined();
    expect(EntityPromotionCard).toBeDefined();
    expect(PromotionApprovalsPage).toBeDefined();
    expect(PromotionApprovalsSidebarItem).toBeDefined();
    expect(PromotionSidebarItem).toBe(PromotionApprovalsSidebarItem);
  });

  it('offers the tab to entities with the promotion.io/policy annotation only', () => {
    expect(isPromotionAvailable(entity)).toBe(true);
    expect(isPromotionAvailable(entityWithoutAnnotation)).toBe(false);
    expect(
      isPromotionAvailable({
        ...entity,
        metadata: {
          ...entity.metadata,
          annotations: { 'promotion.io/policy': '' },
        },
      }),
    ).toBe(false);
  });
});
