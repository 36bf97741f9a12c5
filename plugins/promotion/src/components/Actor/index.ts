export { Actor } from './Actor';
