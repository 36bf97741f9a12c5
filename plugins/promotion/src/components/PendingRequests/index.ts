export { PendingRequests } from './PendingRequests';
export type { PendingRequestsProps } from './PendingRequests';
