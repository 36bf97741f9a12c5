export * from './audit/auditExport';
