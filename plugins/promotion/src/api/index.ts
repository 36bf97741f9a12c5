export { promotionApiRef } from './PromotionApi';
export type {
  AuditExportFormat,
  ChecklistItemLocation,
  InsightsQuery,
  PageOptions,
  PromotionApi,
  TimeRange,
} from './PromotionApi';
export { PromotionClient } from './PromotionClient';
