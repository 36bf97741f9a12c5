export { VerificationReportCard } from './VerificationReportCard';
