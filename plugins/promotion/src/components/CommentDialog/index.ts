export { CommentDialog } from './CommentDialog';
export type { CommentDialogProps } from './CommentDialog';
