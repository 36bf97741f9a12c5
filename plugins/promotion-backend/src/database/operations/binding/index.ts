export type { AuditBreak } from './auditBreak';
export { verifyStateRows } from './verifyStateRows';
export type {
  StateRowsVerification,
  VerifyStateRowsOptions,
} from './verifyStateRows';
