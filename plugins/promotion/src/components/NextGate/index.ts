export { NextGate } from './NextGate';
export type { NextGateProps } from './NextGate';
