export { promotionApiRef } from './PromotionApi';
export type {
  AuditExportFormat,
  ChecklistItemLocation,
  PageOptions,
  PromotionApi,
  TimeRange,
} from './PromotionApi';
export { PromotionClient } from './PromotionClient';
