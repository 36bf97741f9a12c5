import { ApprovalRule, Decision, PromotionRequest } from './types';

/*
 * Which decisions on a promotion request count towards its approval rule:
 * used by the gate, the request's own state and the UI.
 */

/**
 * The decisions on a request that still count: not voided, and given on the
 * dossier as it is now.
 */
export function countingDecisions(request: PromotionRequest): Decision[] {
  return request.decisions.filter(
    d => !d.voidedAt && d.dossierHash === request.dossierHash,
  );
}

/**
 * The distinct approvers whose approvals count towards the request's quorum.
 * The requester's own approval counts only where the rule allows it.
 */
export function countingApprovers(
  request: PromotionRequest,
  rule: Pick<ApprovalRule, 'allowSelfApproval'>,
): string[] {
  const approvers = countingDecisions(request)
    .filter(d => d.decision === 'approve')
    .filter(d => rule.allowSelfApproval || d.decidedBy !== request.requestedBy)
    .map(d => d.decidedBy);
  return [...new Set(approvers)];
}
