export * from './audit/verificationReport';
