export { completeChecklistItem } from './completeChecklistItem';
export { createSignOff } from './createSignOff';
export { getDeployment, listDeployments } from './getDeployments';
export { getFlowFacts } from './getFlowFacts';
export { listRollbacks } from './listRollbacks';
export { recordDeployment } from './recordDeployment';
export { recordRollback } from './recordRollback';
export { revokeStandingApproval } from './revokeStandingApproval';
export { undoChecklistItem } from './undoChecklistItem';
