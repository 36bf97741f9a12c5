/**
 * The REST API contract (zod schemas and the operation table), common types,
 * permissions, configuration schema and the pure gate evaluation
 * shared by the Promotion plugins.
 *
 * @packageDocumentation
 */
export * from './types';
export * from './permissions';
export * from './config';
export * from './approvals';
export * from './gate';
export * from './freeze';
export * from './gateRollback';
export * from './gateDependencies';
export * from './api';
export * from './schema';
export * from './signals';
