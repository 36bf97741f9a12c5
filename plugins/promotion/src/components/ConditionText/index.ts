export { ConditionText } from './ConditionText';
