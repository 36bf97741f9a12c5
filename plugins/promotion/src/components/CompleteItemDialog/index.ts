export { CompleteItemDialog } from './CompleteItemDialog';
export type { CompleteItemDialogProps } from './CompleteItemDialog';
