import {
  countingApprovers,
  InboxItem,
  InboxResponse,
  promotionApprovePermission,
  promotionReadPermission,
} from '@promotion/plugin-promotion-common';
import { deniedReason } from '../../permissions/PromotionAuthorizer';
import { CallContext } from '../callContext';
import { ServiceParts } from '../serviceParts';
import { capitalise } from '../wording';
import { approverIdentityOf } from './approverIdentity';
import {
  approverEligibility,
  decisionEligibility,
  SELF_APPROVAL_REASON,
} from './approvers';

type ApprovalInboxParts = Pick<
  ServiceParts,
  'store' | 'flows' | 'authorizer' | 'userInfo' | 'now'
>;

/** The approver's inbox: the pending requests, across all flows, waiting for them. */
export class ApprovalInbox {
  readonly #parts: ApprovalInboxParts;

  constructor(parts: ApprovalInboxParts) {
    this.#parts = parts;
  }

  /** The pending requests, across all flows, that the caller is an approver for. */
  async getInbox(ctx: CallContext): Promise<InboxResponse> {
    const identity = await approverIdentityOf(
      this.#parts.userInfo,
      ctx.credentials,
    );
    const now = this.#parts.now();
    const pending = (
      await this.#parts.store.listRequests({ status: ['pending'] })
    ).filter(r => Date.parse(r.expiresAt) > now.getTime());
    const entityRefs = [...new Set(pending.map(r => r.entityRef))];
    if (entityRefs.length === 0) {
      return { items: [] };
    }
    const policies = await this.#parts.flows.policiesOf(
      entityRefs,
      ctx.credentials,
    );

    const items: InboxItem[] = [];
    for (const [entityRef, policy] of policies) {
      if (!policy) {
        continue;
      }
      const mine = pending.filter(request => {
        if (request.entityRef !== entityRef) {
          return false;
        }
        const environment = policy.environments.find(
          e => e.id === request.environmentId,
        );
        return (
          environment && approverEligibility(environment, identity).allowed
        );
      });
      if (mine.length === 0) {
        continue;
      }
      const may = await this.#parts.authorizer.decideFlow(
        { read: promotionReadPermission, approve: promotionApprovePermission },
        entityRef,
        ctx.credentials,
      );
      if (!may.read) {
        continue;
      }
      for (const request of mine) {
        const environment = policy.environments.find(
          e => e.id === request.environmentId,
        )!;
        const eligibility = decisionEligibility({
          environment,
          request,
          identity,
          decision: 'approve',
        });
        let cannotDecideReason: string | undefined;
        if (
          !eligibility.allowed &&
          eligibility.reason === SELF_APPROVAL_REASON
        ) {
          cannotDecideReason = capitalise(eligibility.reason);
        } else if (!may.approve) {
          cannotDecideReason = deniedReason(promotionApprovePermission);
        } else if (!eligibility.allowed) {
          cannotDecideReason = capitalise(eligibility.reason);
        }
        items.push({
          request,
          environmentTitle: environment.title,
          approvals: countingApprovers(request, environment.approval).length,
          requiredApprovals: environment.approval.minApprovers,
          ...(cannotDecideReason && { cannotDecideReason }),
        });
      }
    }
    items.sort((a, b) =>
      a.request.createdAt.localeCompare(b.request.createdAt),
    );
    return { items };
  }
}
