/**
 * The Promotion frontend: the Promotion tab, the overview card and the
 * Approvals page.
 *
 * @packageDocumentation
 */
export {
  EntityPromotionCard,
  EntityPromotionContent,
  PromotionApprovalsPage,
  promotionPlugin,
} from './plugin';
export {
  PromotionApprovalsSidebarItem,
  PromotionSidebarItem,
} from './components/PromotionApprovalsSidebarItem';
export { isPromotionAvailable } from './utils/isPromotionAvailable';
export { PromotionClient, promotionApiRef } from './api';
export type {
  AuditExportFormat,
  ChecklistItemLocation,
  PageOptions,
  PromotionApi,
  InsightsQuery,
  TimeRange,
} from './api';
