export { FlowPermissionsNotice } from './FlowPermissionsNotice';
