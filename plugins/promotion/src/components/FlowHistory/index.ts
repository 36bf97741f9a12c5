export { FlowHistory } from './FlowHistory';
export type { FlowHistoryProps } from './FlowHistory';
