export { getBreakGlass, listBreakGlasses } from './breakGlassRows';
export type { ListBreakGlassesQuery } from './breakGlassRows';
export { declareBreakGlass } from './declareBreakGlass';
export { closeBreakGlassReview, decideBreakGlass } from './decideBreakGlass';
export { useBreakGlass } from './useBreakGlass';
