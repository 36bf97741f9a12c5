import { CompoundEntityRef, parseEntityRef } from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  CreatePromotionRequestRequest,
  DecisionRequest,
  EditPromotionRequestRequest,
  EnvironmentDefinition,
  evaluateGate,
  FlowFacts,
  GateCondition,
  GateConditionCode,
  promotionApprovePermission,
  promotionReadPermission,
  promotionRequestPermission,
  PromotionRequest,
} from '@promotion/plugin-promotion-common';
import { actorOf, auditContextOf, CallContext } from '../callContext';
import {
  environmentOf,
  Flow,
  ladderUpTo,
  ownersOf,
} from '../flows/FlowResolver';
import { ServiceParts } from '../serviceParts';
import { capitalise } from '../wording';
import { approverIdentityOf } from './approverIdentity';
import {
  decisionEligibility,
  normaliseEntityRef,
  SELF_APPROVAL_REASON,
} from './approvers';

type PromotionRequestsParts = Pick<
  ServiceParts,
  | 'store'
  | 'config'
  | 'flows'
  | 'authorizer'
  | 'userInfo'
  | 'afterCommit'
  | 'now'
>;

/**
 * The gate's conditions on the environment a request asks to enter: its
 * approval rule (what the request is for) and the post-deployment checklist
 * of the version standing there and a freeze window in force there (which
 * the deployment waits for, not the request). Every other unmet condition
 * concerns an earlier environment.
 */
const TARGET_CONDITIONS: ReadonlySet<GateConditionCode> = new Set([
  'approval-required',
  'approval-revoked',
  'approval-pending',
  'predecessor-post-deployment-incomplete',
  'frozen',
]);

/**
 * What version V still lacks in the environments before E, as the gate
 * words it: a request for V into E needs V to have passed all of them.
 */
function earlierConditionsOf(args: {
  flow: Pick<Flow, 'entityRef' | 'policy'>;
  facts: FlowFacts;
  environment: EnvironmentDefinition;
  version: string;
  now: Date;
}): GateCondition[] {
  const { flow, facts, environment, version, now } = args;
  return evaluateGate({
    entityRef: flow.entityRef,
    policy: flow.policy,
    facts,
    environmentId: environment.id,
    version,
    now,
  }).unmetConditions.filter(c => !TARGET_CONDITIONS.has(c.code));
}

/**
 * Promotion requests and their decisions: a requester asks for a version to
 * enter an environment with a dossier, may edit or withdraw it while it is
 * pending, and the environment's approvers approve or reject it.
 */
export class PromotionRequests {
  readonly #parts: PromotionRequestsParts;

  constructor(parts: PromotionRequestsParts) {
    this.#parts = parts;
  }

  async createRequest(
    ref: CompoundEntityRef,
    input: CreatePromotionRequestRequest,
    ctx: CallContext,
  ): Promise<PromotionRequest> {
    const { store } = this.#parts;
    const flow = await this.#parts.flows.authorized(
      ref,
      promotionRequestPermission,
      ctx,
    );
    const environment = environmentOf(flow, input.environment, 'body');
    const { mode } = environment.approval;
    if (mode === 'none') {
      throw new InputError(
        `body.environment: ${environment.title} needs no approval, so there is nothing to request`,
      );
    }
    // The gate's facts for the version into the environment: its standing
    // approvals, its pending requests and what the version passed before it.
    const facts = await store.getGateFacts({
      entityRef: flow.entityRef,
      version: input.version,
      environmentIds: ladderUpTo(flow, environment.id),
    });
    const now = this.#parts.now();
    if (
      mode === 'once' &&
      facts.standingApprovals.some(
        a => a.environmentId === environment.id && !a.revokedAt,
      )
    ) {
      throw new ConflictError(
        `${flow.entityRef} already holds a standing approval for ${environment.title}: no request is needed`,
      );
    }
    const earlier = earlierConditionsOf({
      flow,
      facts,
      environment,
      version: input.version,
      now,
    });
    if (earlier.length > 0) {
      // The conditions also travel in the error body, as `unmetConditions`.
      throw Object.assign(
        new ConflictError(
          `Version ${input.version} cannot be requested for ${
            environment.title
          } before it has passed every earlier environment: ${earlier
            .map(c => c.message)
            .join(' ')}`,
        ),
        { unmetConditions: earlier },
      );
    }
    const duplicate = facts.requests.find(
      r =>
        r.status === 'pending' &&
        r.environmentId === environment.id &&
        r.version === input.version &&
        Date.parse(r.expiresAt) > now.getTime(),
    );
    if (duplicate) {
      throw new ConflictError(
        `Request ${duplicate.id} for version ${input.version} into ${environment.title} is already pending`,
      );
    }

    const recorded = await store.createRequest(
      {
        entityRef: flow.entityRef,
        environmentId: environment.id,
        version: input.version,
        dossier: input.dossier,
        expiresAt: new Date(
          now.getTime() + this.#parts.config.requestExpirySeconds * 1000,
        ),
        supersedeOlderRequests: this.#parts.config.supersedeOlderRequests,
      },
      auditContextOf(ctx, now),
    );
    await this.#parts.afterCommit.publish({
      // The `request.superseded` events of the older requests it closed
      // tell their requesters and approvers (see EventNotifications).
      events: recorded.events,
      ctx,
      notify: notifier =>
        notifier.requestCreated({
          request: recorded.value,
          environmentTitle: environment.title,
          approvers: environment.approval.approvers,
        }),
      changedFlows: [flow.entityRef],
      inbox: true,
    });
    return recorded.value;
  }

  async getRequest(id: string, ctx: CallContext): Promise<PromotionRequest> {
    const request = await this.#request(id);
    await this.#parts.authorizer.authorizeFlow(
      promotionReadPermission,
      request.entityRef,
      ctx.credentials,
    );
    return request;
  }

  /** Replaces the dossier; approvals given on the earlier dossier no longer count. */
  async editRequest(
    id: string,
    input: EditPromotionRequestRequest,
    ctx: CallContext,
  ): Promise<PromotionRequest> {
    const request = await this.#requesterOnly(id, 'edit', ctx);
    const recorded = await this.#parts.store.editRequest(
      {
        requestId: request.id,
        expectedRevision: input.revision,
        dossier: input.dossier,
      },
      auditContextOf(ctx, this.#parts.now()),
    );
    await this.#parts.afterCommit.publish({
      events: recorded.events,
      ctx,
      changedFlows: [request.entityRef],
      inbox: true,
    });
    return recorded.value;
  }

  async withdrawRequest(
    id: string,
    input: { reason?: string },
    ctx: CallContext,
  ): Promise<PromotionRequest> {
    const request = await this.#requesterOnly(id, 'withdraw', ctx);
    const recorded = await this.#parts.store.withdrawRequest(request.id, {
      ...auditContextOf(ctx, this.#parts.now()),
      reason: input.reason,
    });
    await this.#parts.afterCommit.publish({
      events: recorded.events,
      ctx,
      changedFlows: [request.entityRef],
      inbox: true,
    });
    return recorded.value;
  }

  /**
   * Approves or rejects a request. The caller must be one of the
   * environment's approvers (directly or through a group) and, unless the
   * policy allows it, not the requester. A single reject ends the request;
   * approvals from distinct people count towards the quorum, and reaching it
   * on a `once` environment grants the standing approval.
   */
  async decide(
    id: string,
    input: DecisionRequest,
    ctx: CallContext,
  ): Promise<PromotionRequest> {
    const request = await this.#request(id);
    const flow = await this.#parts.flows.readable(
      parseEntityRef(request.entityRef),
      ctx,
    );
    const environment = flow.policy.environments.find(
      e => e.id === request.environmentId,
    );
    if (!environment) {
      throw new ConflictError(
        `Environment "${request.environmentId}" is no longer on the ladder of ${flow.entityRef}; the request cannot be decided`,
      );
    }
    // A requester hears that it is their own request before anything else.
    const identity = await approverIdentityOf(
      this.#parts.userInfo,
      ctx.credentials,
    );
    if (
      input.decision === 'approve' &&
      !environment.approval.allowSelfApproval &&
      normaliseEntityRef(request.requestedBy) ===
        normaliseEntityRef(identity.userEntityRef)
    ) {
      throw new NotAllowedError(capitalise(SELF_APPROVAL_REASON));
    }
    await this.#parts.authorizer.authorizeFlow(
      promotionApprovePermission,
      flow.entityRef,
      ctx.credentials,
    );
    if (
      request.status === 'pending' &&
      Date.parse(request.expiresAt) <= this.#parts.now().getTime()
    ) {
      throw new ConflictError(
        `This request expired at ${request.expiresAt}; request the promotion again`,
      );
    }
    const eligibility = decisionEligibility({
      environment,
      request,
      identity,
      decision: input.decision,
    });
    if (!eligibility.allowed) {
      throw eligibility.kind === 'forbidden'
        ? new NotAllowedError(capitalise(eligibility.reason))
        : new ConflictError(capitalise(eligibility.reason));
    }

    const recorded = await this.#parts.store.decide(
      {
        requestId: request.id,
        decision: input.decision,
        comment: input.comment,
        dossierHash: input.dossierHash,
        minApprovers: environment.approval.minApprovers,
        grantsStandingApproval: environment.approval.mode === 'once',
      },
      auditContextOf(ctx, this.#parts.now()),
    );
    const { request: decided, decision } = recorded.value;
    await this.#parts.afterCommit.publish({
      events: recorded.events,
      ctx,
      notify: notifier =>
        notifier.decisionMade({
          request: decided,
          decision,
          environmentTitle: environment.title,
          owners: ownersOf(flow.entity),
        }),
      changedFlows: [flow.entityRef],
      inbox: true,
    });
    return decided;
  }

  async #request(id: string): Promise<PromotionRequest> {
    const request = await this.#parts.store.getRequest(id);
    if (!request) {
      throw new NotFoundError(`No promotion request ${id}`);
    }
    return request;
  }

  /** Editing and withdrawing belong to the requester, while the request is pending. */
  async #requesterOnly(
    id: string,
    action: 'edit' | 'withdraw',
    ctx: CallContext,
  ): Promise<PromotionRequest> {
    const request = await this.#request(id);
    await this.#parts.authorizer.authorizeFlow(
      promotionRequestPermission,
      request.entityRef,
      ctx.credentials,
    );
    const actor = actorOf(ctx.credentials);
    if (normaliseEntityRef(request.requestedBy) !== normaliseEntityRef(actor)) {
      throw new NotAllowedError(
        `Only the requester, ${request.requestedBy}, can ${action} this request`,
      );
    }
    if (request.status !== 'pending') {
      throw new ConflictError(
        `This request is ${request.status}; only a pending request can be ${
          action === 'edit' ? 'edited' : 'withdrawn'
        }`,
      );
    }
    return request;
  }
}
