export { BreakGlassInbox } from './BreakGlassInbox';
export { BreakGlassCard } from './BreakGlassCard';
export type { BreakGlassCardProps } from './BreakGlassCard';
