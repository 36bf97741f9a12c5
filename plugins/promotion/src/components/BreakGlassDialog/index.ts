export { BreakGlassDialog } from './BreakGlassDialog';
export type { BreakGlassDialogProps } from './BreakGlassDialog';
