export { claimReminders } from './claimReminders';
export { createRequest } from './createRequest';
export { decide } from './decide';
export { editRequest } from './editRequest';
export { expireRequests } from './expireRequests';
export { getRequest, listRequests } from './getRequests';
export { withdrawRequest } from './withdrawRequest';
