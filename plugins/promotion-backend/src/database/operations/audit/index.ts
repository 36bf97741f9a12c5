export { listEvents } from './listEvents';
export { verifyAudit } from './verifyAudit';
export type { StateRowsCheck } from './verifyAudit';
export { createCheckpoint, latestCheckpoint } from './createCheckpoint';
