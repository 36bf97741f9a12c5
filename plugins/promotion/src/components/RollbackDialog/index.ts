export { RollbackDialog } from './RollbackDialog';
export type { RollbackDialogProps, RollbackTarget } from './RollbackDialog';
