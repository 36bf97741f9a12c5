export { appendEvents } from './appendEvents';
export type { NewAuditEvent } from './appendEvents';
export { lockChainHead } from './chainHead';
export { listEvents } from './listEvents';
export { verifyChain } from './verifyChain';
