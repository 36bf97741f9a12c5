import {
  AuthService,
  BackstageCredentials,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { PermissionAnswer } from '@promotion/plugin-promotion-common';
import { Flow } from '../flows/FlowResolver';
import { capitalise } from '../wording';
import { ApproverIdentity, approverEligibility } from './approvers';

/** The caller as the approver rules see them: their user and the groups they belong to. */
export async function approverIdentityOf(
  userInfo: UserInfoService,
  credentials: BackstageCredentials,
): Promise<ApproverIdentity> {
  const info = await userInfo.getUserInfo(credentials);
  return {
    userEntityRef: info.userEntityRef,
    ownershipEntityRefs: info.ownershipEntityRefs,
  };
}

/**
 * Whether the caller is an approver of at least one environment of the flow,
 * with the reasons in words when not.
 */
export async function approverAnswer(
  flow: Flow,
  credentials: BackstageCredentials,
  services: { auth: AuthService; userInfo: UserInfoService },
): Promise<PermissionAnswer> {
  const gated = flow.policy.environments.filter(
    e => e.approval.mode !== 'none',
  );
  if (gated.length === 0) {
    return {
      allowed: false,
      reason: 'No environment of this flow needs an approval',
    };
  }
  if (!services.auth.isPrincipal(credentials, 'user')) {
    return { allowed: false, reason: 'Only people can approve promotions' };
  }
  const identity = await approverIdentityOf(services.userInfo, credentials);
  const reasons: string[] = [];
  for (const environment of gated) {
    const eligibility = approverEligibility(environment, identity);
    if (eligibility.allowed) {
      return { allowed: true };
    }
    reasons.push(eligibility.reason);
  }
  return { allowed: false, reason: capitalise(reasons.join('; ')) };
}
