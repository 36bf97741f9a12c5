import { pendingRequest } from '../__testUtils__/flow';
import {
  approvalProgress,
  decisionBlockedReason,
  isExpired,
  REQUESTER_REASON,
} from './decisions';

describe('decisionBlockedReason', () => {
  const request = pendingRequest();

  it('blocks the requester unless the rule allows self-approval', () => {
    expect(
      decisionBlockedReason({
        decision: 'approve',
        request,
        userEntityRef: 'user:default/Alice',
        permission: { allowed: true },
      }),
    ).toBe(REQUESTER_REASON);
    // The most specific reason wins over the permission policy's.
    expect(
      decisionBlockedReason({
        decision: 'approve',
        request,
        userEntityRef: 'user:default/alice',
        permission: { allowed: false, reason: 'The policy says no' },
      }),
    ).toBe(REQUESTER_REASON);
    // The same reason on Reject: one reason for both buttons.
    expect(
      decisionBlockedReason({
        decision: 'reject',
        request,
        userEntityRef: 'user:default/alice',
        permission: { allowed: false, reason: 'The policy says no' },
      }),
    ).toBe(REQUESTER_REASON);
    expect(REQUESTER_REASON).toBe(
      'You requested this promotion; another approver decides it.',
    );
    expect(
      decisionBlockedReason({
        decision: 'approve',
        request,
        userEntityRef: 'user:default/alice',
        permission: { allowed: true },
        allowSelfApproval: true,
      }),
    ).toBeUndefined();
  });

  it('blocks an approver who already decided on the current dossier only', () => {
    expect(
      decisionBlockedReason({
        decision: 'reject',
        request,
        userEntityRef: 'user:default/bob',
        permission: { allowed: true },
      }),
    ).toBe('You already approved this request as it stands.');
    // carol's approval was voided by an edit: she may decide again.
    expect(
      decisionBlockedReason({
        decision: 'approve',
        request,
        userEntityRef: 'user:default/carol',
        permission: { allowed: true },
      }),
    ).toBeUndefined();
  });

  it("puts the backend's reasons first", () => {
    expect(
      decisionBlockedReason({
        decision: 'approve',
        request,
        userEntityRef: 'user:default/dave',
        permission: { allowed: false, reason: 'Not an approver.' },
      }),
    ).toBe('Not an approver.');
    expect(
      decisionBlockedReason({
        decision: 'approve',
        request,
        userEntityRef: 'user:default/dave',
        serverReason: 'The request expired.',
      }),
    ).toBe('The request expired.');
  });

  it('blocks decisions on requests that are no longer pending', () => {
    expect(
      decisionBlockedReason({
        decision: 'approve',
        request: pendingRequest({ status: 'withdrawn' }),
        userEntityRef: 'user:default/dave',
      }),
    ).toBe('This request is withdrawn.');
    expect(
      decisionBlockedReason({
        decision: 'approve',
        request: pendingRequest({
          status: 'superseded',
          closedReason: 'Superseded by the request for version 2.2.0',
        }),
        userEntityRef: 'user:default/dave',
      }),
    ).toBe(
      'This request was closed: Superseded by the request for version 2.2.0.',
    );
  });
});

describe('isExpired', () => {
  it('counts a pending request as expired from its deadline on, before the backend closes it', () => {
    const request = pendingRequest({ expiresAt: '2024-05-08T10:00:00.000Z' });
    const deadline = Date.parse(request.expiresAt);
    expect(isExpired(request, deadline - 1)).toBe(false);
    expect(isExpired(request, deadline)).toBe(true);
    expect(isExpired({ ...request, status: 'expired' }, deadline - 1)).toBe(
      true,
    );
    // A decided request is what it is, deadline or not.
    expect(isExpired({ ...request, status: 'approved' }, deadline + 1)).toBe(
      false,
    );
  });
});

describe('approvalProgress', () => {
  it('counts distinct, non-voided approvals on the current dossier', () => {
    const request = pendingRequest();
    request.decisions.push({
      ...request.decisions[0],
      id: 'd2',
    });
    expect(
      approvalProgress(request, { minApprovers: 2, allowSelfApproval: false }),
    ).toEqual({ approvals: 1, required: 2 });
  });
});
