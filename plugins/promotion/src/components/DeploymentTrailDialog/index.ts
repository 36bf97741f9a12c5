export { DeploymentTrailDialog } from './DeploymentTrailDialog';
export type { DeploymentTrailDialogProps } from './DeploymentTrailDialog';
