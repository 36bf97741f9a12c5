export { promotionPlugin as default } from './plugin';
export * from './permissions';
