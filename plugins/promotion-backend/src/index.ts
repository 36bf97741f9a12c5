export { promotionPlugin as default } from './plugin';
