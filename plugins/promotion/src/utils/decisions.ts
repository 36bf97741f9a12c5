import {
  countingApprovers,
  countingDecisions,
} from '@promotion/plugin-promotion-common';
import type {
  ApprovalRule,
  DecisionKind,
  PermissionAnswer,
  PromotionRequest,
} from '@promotion/plugin-promotion-common';

/** Entity refs compare case-insensitively. */
export function sameEntityRef(a?: string, b?: string): boolean {
  return (
    !!a && !!b && a.toLocaleLowerCase('en-US') === b.toLocaleLowerCase('en-US')
  );
}

/**
 * Why a requester cannot decide their own request, on Approve and Reject
 * alike (the backend's inbox gives the same sentence).
 */
export const REQUESTER_REASON =
  'You requested this promotion; another approver decides it.';

/**
 * True once the backend answered no: the control is hidden, and the notice
 * at the top of the tab says what the user may do. While the answer is
 * still coming, the control shows, disabled (see `deniedReason`).
 */
export function isDenied(answer: PermissionAnswer | undefined): boolean {
  return !!answer && !answer.allowed;
}

/**
 * Whether a request is past its deadline: a pending request is expired from
 * its `expiresAt` on, whether or not the backend's expiry task has run yet.
 */
export function isExpired(
  request: Pick<PromotionRequest, 'status' | 'expiresAt'>,
  now: number,
): boolean {
  return (
    request.status === 'expired' ||
    (request.status === 'pending' && Date.parse(request.expiresAt) <= now)
  );
}

/** The reason in words when the answer is no; undefined when allowed. */
export function deniedReason(
  answer: PermissionAnswer | undefined,
  fallback: string,
): string | undefined {
  if (!answer) {
    return 'Checking what you may do…';
  }
  return answer.allowed ? undefined : answer.reason ?? fallback;
}

/** Approval progress on the current dossier: k of N. */
export function approvalProgress(
  request: PromotionRequest,
  rule: Pick<ApprovalRule, 'allowSelfApproval' | 'minApprovers'>,
): { approvals: number; required: number } {
  return {
    approvals: countingApprovers(request, rule).length,
    required: Math.max(1, rule.minApprovers),
  };
}

/**
 * Why the signed-in user may not approve or reject a request, in words, or
 * undefined when they may. Mirrors the rules the backend enforces: the
 * permission decision, no self-approval unless the rule allows it, one
 * decision per approver on the same dossier.
 */
export function decisionBlockedReason(options: {
  decision: DecisionKind;
  request: PromotionRequest;
  userEntityRef?: string;
  /** The backend's answer for this flow or inbox item. */
  permission?: PermissionAnswer;
  /** The backend's own reason from the inbox, when it gave one. */
  serverReason?: string;
  allowSelfApproval?: boolean;
}): string | undefined {
  const { request, userEntityRef } = options;
  // The most specific reason first, as the backend does: it is their own
  // request. One reason for Approve and Reject: the requester edits or
  // withdraws it, another approver decides it.
  if (
    userEntityRef &&
    sameEntityRef(request.requestedBy, userEntityRef) &&
    !options.allowSelfApproval
  ) {
    return REQUESTER_REASON;
  }
  if (options.serverReason) {
    return options.serverReason;
  }
  const denied = deniedReason(
    options.permission ?? { allowed: true },
    'You may not decide on promotion requests for this flow.',
  );
  if (denied) {
    return denied;
  }
  if (request.status !== 'pending') {
    // A superseded request says why it was closed.
    return request.closedReason
      ? `This request was closed: ${request.closedReason}.`
      : `This request is ${request.status}.`;
  }
  if (!userEntityRef) {
    return 'Finding out who you are…';
  }
  const mine = countingDecisions(request).find(d =>
    sameEntityRef(d.decidedBy, userEntityRef),
  );
  if (mine) {
    return `You already ${
      mine.decision === 'approve' ? 'approved' : 'rejected'
    } this request as it stands.`;
  }
  return undefined;
}
