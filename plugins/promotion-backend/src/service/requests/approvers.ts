import { parseEntityRef, stringifyEntityRef } from '@backstage/catalog-model';
import {
  countingDecisions,
  DecisionKind,
  EnvironmentDefinition,
  PromotionRequest,
} from '@promotion/plugin-promotion-common';

/** Lower-cased `kind:namespace/name`; configuration may omit kind or namespace. */
export function normaliseEntityRef(ref: string, defaultKind = 'user'): string {
  try {
    return stringifyEntityRef(
      parseEntityRef(ref, { defaultKind, defaultNamespace: 'default' }),
    );
  } catch {
    return ref.toLocaleLowerCase('en-US');
  }
}

/** Who the caller is, as far as approval goes: the user and their groups. */
export interface ApproverIdentity {
  userEntityRef: string;
  ownershipEntityRefs: string[];
}

/**
 * `forbidden`: the caller may never do it (403); `conflict`: the state of the
 * request does not allow it any more (409).
 */
export type Eligibility =
  | { allowed: true }
  | { allowed: false; reason: string; kind: 'forbidden' | 'conflict' };

/** Whether the caller is one of the environment's approvers (directly or through a group). */
export function approverEligibility(
  environment: EnvironmentDefinition,
  identity: ApproverIdentity,
): Eligibility {
  // readPromotionConfig already normalised the configured refs.
  const approvers = new Set(environment.approval.approvers);
  const mine = [identity.userEntityRef, ...identity.ownershipEntityRefs].map(
    ref => normaliseEntityRef(ref),
  );
  if (environment.approval.mode === 'none') {
    return {
      allowed: false,
      kind: 'forbidden',
      reason: `${environment.title} needs no approval`,
    };
  }
  if (!mine.some(ref => approvers.has(ref))) {
    return {
      allowed: false,
      kind: 'forbidden',
      reason:
        approvers.size === 0
          ? `no approvers are configured for ${environment.title}`
          : `you are not an approver for ${environment.title} (approvers: ${[
              ...approvers,
            ].join(', ')})`,
    };
  }
  return { allowed: true };
}

/** The distinct people whose approvals count on the request's current dossier. */
export function currentApprovers(request: PromotionRequest): string[] {
  const approvers = countingDecisions(request)
    .filter(decision => decision.decision === 'approve')
    .map(decision => normaliseEntityRef(decision.decidedBy));
  return [...new Set(approvers)];
}

/** Why a requester may not approve their own request (unless the rule allows it). */
export const SELF_APPROVAL_REASON =
  'you requested this promotion, so you cannot approve it';

/**
 * Whether the caller may give this decision on this request: an approver of
 * the environment, not the requester (unless self-approval is allowed), not
 * twice on the same dossier, and only while the request is pending.
 */
export function decisionEligibility(options: {
  environment: EnvironmentDefinition;
  request: PromotionRequest;
  identity: ApproverIdentity;
  decision: DecisionKind;
}): Eligibility {
  const { environment, request, identity, decision } = options;
  const me = normaliseEntityRef(identity.userEntityRef);
  // The most specific reason first: a requester is told it is their own request.
  if (
    decision === 'approve' &&
    normaliseEntityRef(request.requestedBy) === me &&
    !environment.approval.allowSelfApproval
  ) {
    return {
      allowed: false,
      kind: 'forbidden',
      reason: SELF_APPROVAL_REASON,
    };
  }
  const approver = approverEligibility(environment, identity);
  if (!approver.allowed) {
    return approver;
  }
  if (request.status !== 'pending') {
    return {
      allowed: false,
      kind: 'conflict',
      reason: `this request is ${request.status}, no longer pending`,
    };
  }
  if (decision === 'approve' && currentApprovers(request).includes(me)) {
    return {
      allowed: false,
      kind: 'conflict',
      reason: 'you have already approved this dossier',
    };
  }
  return { allowed: true };
}
