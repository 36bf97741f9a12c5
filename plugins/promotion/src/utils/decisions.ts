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
  const { decision, request, userEntityRef } = options;
  // The most specific reason first, as the backend does: it is their own request.
  if (
    decision === 'approve' &&
    userEntityRef &&
    sameEntityRef(request.requestedBy, userEntityRef) &&
    !options.allowSelfApproval
  ) {
    return 'You requested this promotion, so you cannot approve it';
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
