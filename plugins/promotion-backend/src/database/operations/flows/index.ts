export { completeChecklistItem } from './completeChecklistItem';
export { createSignOff } from './createSignOff';
export {
  getDeployment,
  getStandingDeployment,
  listDeployments,
  listVersionDeployments,
} from './getDeployments';
export { getFlowFacts } from './getFlowFacts';
export { getFlowStateFacts } from './getFlowStateFacts';
export { getGateFacts } from './getGateFacts';
export { getManyGateFacts, getStandingDeployments } from './getManyGateFacts';
export {
  getRollbackDeploymentsAsOf,
  getTrailFacts,
  listTrailEvents,
} from './getTrailFacts';
export { listRollbacks } from './listRollbacks';
export { recordDeployment } from './recordDeployment';
export { recordRollback } from './recordRollback';
export { revokeStandingApproval } from './revokeStandingApproval';
export { undoChecklistItem } from './undoChecklistItem';
