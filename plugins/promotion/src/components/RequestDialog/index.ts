export { RequestDialog } from './RequestDialog';
export type { RequestDialogProps } from './RequestDialog';
