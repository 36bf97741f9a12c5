export { listEvents } from './listEvents';
export { verifyChain } from './verifyChain';
