export { InsightsCard } from './InsightsCard';
export { FlowInsightsCard } from './FlowInsightsCard';
