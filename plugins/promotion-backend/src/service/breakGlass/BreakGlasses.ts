import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import {
  BreakGlass,
  BreakGlassDecisionRequest,
  BreakGlassInbox,
  CloseBreakGlassReviewRequest,
  DeclareBreakGlassRequest,
  EnvironmentDefinition,
  evaluateGate,
  promotionApprovePermission,
  promotionReadPermission,
  promotionRequestPermission,
} from '@promotion/plugin-promotion-common';
import { auditContextOf, CallContext } from '../callContext';
import { environmentOf, Flow, ladderUpTo } from '../flows/FlowResolver';
import { approverIdentityOf } from '../requests/approverIdentity';
import { ApproverIdentity, normaliseEntityRef } from '../requests/approvers';
import { ServiceParts } from '../serviceParts';
import { capitalise } from '../wording';

type BreakGlassParts = Pick<
  ServiceParts,
  | 'store'
  | 'config'
  | 'flows'
  | 'authorizer'
  | 'userInfo'
  | 'afterCommit'
  | 'now'
>;

/** Why a declarer may not approve their own break-glass. */
export const SELF_BREAK_GLASS_REASON =
  'you declared this break-glass, so you cannot approve it';

/** The caller's refs (user and groups), normalised. */
function refsOf(identity: ApproverIdentity): string[] {
  return [identity.userEntityRef, ...identity.ownershipEntityRefs].map(ref =>
    normaliseEntityRef(ref),
  );
}

/**
 * Whether the caller may act on a break-glass of the environment as an
 * approver (approve, reject, close the retrospective review): one of the
 * environment's approvers, directly or through a group. The reason in words
 * when not.
 */
export function breakGlassApproverReason(
  environment: EnvironmentDefinition,
  identity: ApproverIdentity,
): string | undefined {
  const approvers = new Set(environment.approval.approvers);
  if (approvers.size === 0) {
    return `no approvers are configured for ${environment.title}`;
  }
  if (!refsOf(identity).some(ref => approvers.has(ref))) {
    return `you are not an approver for ${environment.title} (approvers: ${[
      ...approvers,
    ].join(', ')})`;
  }
  return undefined;
}

/**
 * Break-glass: an emergency deployment of a version past a closed gate. A
 * person who may request promotions declares it with a reason and an
 * incident link; one approver of the environment other than the declarer
 * approves it (none needed for the members of an on-call group, or when the
 * environment's `breakGlass.approvals` is 0); the gate is then open for
 * exactly that version into that environment (`approvedBy: 'break-glass'`)
 * until one deployment goes in on it or it expires. That deployment opens a
 * retrospective review, which an approver closes with a comment.
 */
export class BreakGlasses {
  readonly #parts: BreakGlassParts;

  constructor(parts: BreakGlassParts) {
    this.#parts = parts;
  }

  async declare(
    ref: CompoundEntityRef,
    input: DeclareBreakGlassRequest,
    ctx: CallContext,
  ): Promise<BreakGlass> {
    const { store } = this.#parts;
    const flow = await this.#parts.flows.authorized(
      ref,
      promotionRequestPermission,
      ctx,
    );
    const environment = environmentOf(flow, input.environment, 'body');
    const rule = environment.breakGlass;
    if (!rule) {
      throw new InputError(
        `body.environment: ${environment.title} allows no break-glass (its policy configures no breakGlass)`,
      );
    }
    const now = this.#parts.now();
    const facts = await store.getGateFacts({
      entityRef: flow.entityRef,
      version: input.version,
      environmentIds: ladderUpTo(flow, environment.id),
    });
    const inPlay = await store.listBreakGlasses({
      entityRef: flow.entityRef,
      environmentId: environment.id,
      version: input.version,
      inPlay: true,
    });
    const gate = evaluateGate({
      entityRef: flow.entityRef,
      policy: flow.policy,
      facts: { ...facts, breakGlasses: inPlay },
      environmentId: environment.id,
      version: input.version,
      now,
    });
    if (gate.open) {
      throw new ConflictError(
        gate.approvedBy === 'break-glass'
          ? `An approved break-glass already opens the gate for ${input.version} into ${environment.title}`
          : `The gate for ${input.version} into ${environment.title} is open: no break-glass is needed`,
      );
    }
    const pending = inPlay.find(
      b => b.status === 'pending' && Date.parse(b.expiresAt) > now.getTime(),
    );
    if (pending) {
      throw new ConflictError(
        `Break-glass ${pending.id} for ${input.version} into ${environment.title} already waits for an approver`,
      );
    }

    const identity = await approverIdentityOf(
      this.#parts.userInfo,
      ctx.credentials,
    );
    const mine = new Set(refsOf(identity));
    const onCallGroup = rule.onCallGroups.find(group => mine.has(group));
    const approvalsNeeded = rule.approvals === 0 || onCallGroup ? 0 : 1;
    const recorded = await store.declareBreakGlass(
      {
        entityRef: flow.entityRef,
        environmentId: environment.id,
        version: input.version,
        reason: input.reason,
        incidentLink: input.incidentLink,
        approvalsNeeded,
        expiresAt: new Date(now.getTime() + rule.validForSeconds * 1000),
        ...(onCallGroup && { onCallGroup }),
      },
      auditContextOf(ctx, now),
    );
    await this.#parts.afterCommit.publish({
      events: recorded.events,
      ctx,
      notify: notifier =>
        notifier.breakGlassRecorded({
          breakGlass: recorded.value,
          step: 'declared',
          environment,
          auditReaders: this.#auditReaders(),
        }),
      changedFlows: [flow.entityRef],
      inbox: true,
    });
    return recorded.value;
  }

  /** Approves or rejects a pending declaration, as an approver of its environment who did not declare it. */
  async decide(
    ref: CompoundEntityRef,
    breakGlassId: string,
    input: BreakGlassDecisionRequest,
    ctx: CallContext,
  ): Promise<BreakGlass> {
    const { flow, breakGlass } = await this.#asApprover(
      ref,
      breakGlassId,
      ctx,
      (identity, declared) =>
        input.decision === 'approve' &&
        normaliseEntityRef(declared.declaredBy) ===
          normaliseEntityRef(identity.userEntityRef)
          ? SELF_BREAK_GLASS_REASON
          : undefined,
    );
    if (breakGlass.status !== 'pending') {
      throw new ConflictError(
        `Break-glass ${breakGlass.id} is ${breakGlass.status}, no longer pending`,
      );
    }
    const recorded = await this.#parts.store.decideBreakGlass(
      { breakGlassId: breakGlass.id, ...input },
      auditContextOf(ctx, this.#parts.now()),
    );
    await this.#parts.afterCommit.publish({
      events: recorded.events,
      ctx,
      changedFlows: [flow.entityRef],
      inbox: true,
    });
    return recorded.value;
  }

  /** Closes the retrospective review of a used declaration, as an approver of its environment. */
  async closeReview(
    ref: CompoundEntityRef,
    breakGlassId: string,
    input: CloseBreakGlassReviewRequest,
    ctx: CallContext,
  ): Promise<BreakGlass> {
    const { flow } = await this.#asApprover(ref, breakGlassId, ctx);
    const recorded = await this.#parts.store.closeBreakGlassReview(
      { breakGlassId, comment: input.comment },
      auditContextOf(ctx, this.#parts.now()),
    );
    await this.#parts.afterCommit.publish({
      events: recorded.events,
      ctx,
      changedFlows: [flow.entityRef],
      inbox: true,
    });
    return recorded.value;
  }

  /**
   * Across all flows: the pending declarations the caller may decide and the
   * open retrospective reviews they may close, as an approver of the
   * environment; with the reason when they cannot (they declared it).
   */
  async getInbox(ctx: CallContext): Promise<BreakGlassInbox> {
    const now = this.#parts.now();
    const inPlay = (
      await this.#parts.store.listBreakGlasses({ inPlay: true })
    ).filter(
      b =>
        (b.status === 'pending' && Date.parse(b.expiresAt) > now.getTime()) ||
        b.review?.status === 'open',
    );
    if (inPlay.length === 0) {
      return { items: [] };
    }
    const identity = await approverIdentityOf(
      this.#parts.userInfo,
      ctx.credentials,
    );
    const me = normaliseEntityRef(identity.userEntityRef);
    const entityRefs = [...new Set(inPlay.map(b => b.entityRef))];
    const entities = await this.#parts.flows.entitiesOf(
      entityRefs,
      ctx.credentials,
    );
    const may = await this.#parts.authorizer.decideFlows(
      entityRefs.flatMap(entityRef => [
        { permission: promotionReadPermission, entityRef },
        { permission: promotionApprovePermission, entityRef },
      ]),
      ctx.credentials,
    );
    const items: BreakGlassInbox['items'] = [];
    for (const breakGlass of inPlay) {
      const environment = entities
        .get(breakGlass.entityRef)
        ?.policy?.environments.find(e => e.id === breakGlass.environmentId);
      if (
        !environment ||
        !may.allows(promotionReadPermission, breakGlass.entityRef) ||
        !may.allows(promotionApprovePermission, breakGlass.entityRef) ||
        breakGlassApproverReason(environment, identity)
      ) {
        continue;
      }
      const action = breakGlass.status === 'pending' ? 'decide' : 'review';
      items.push({
        breakGlass,
        environmentTitle: environment.title,
        action,
        ...(action === 'decide' &&
          normaliseEntityRef(breakGlass.declaredBy) === me && {
            cannotActReason: SELF_BREAK_GLASS_REASON,
          }),
      });
    }
    return { items };
  }

  /** The flow's declarations still in play, oldest first (for the flow state). */
  inPlay(entityRef: string): Promise<BreakGlass[]> {
    return this.#parts.store.listBreakGlasses({ entityRef, inPlay: true });
  }

  #auditReaders(): string[] {
    return this.#parts.config.notifications?.violationRecipients ?? [];
  }

  /**
   * The declaration, its flow and environment, once the caller is known to
   * be an approver of that environment holding the decide permission on the
   * flow. `refuse` adds a reason of its own (self-approval).
   */
  async #asApprover(
    ref: CompoundEntityRef,
    breakGlassId: string,
    ctx: CallContext,
    refuse?: (
      identity: ApproverIdentity,
      breakGlass: BreakGlass,
    ) => string | undefined,
  ): Promise<{
    flow: Flow;
    environment: EnvironmentDefinition;
    breakGlass: BreakGlass;
  }> {
    const flow = await this.#parts.flows.readable(ref, ctx);
    const breakGlass = await this.#parts.store.getBreakGlass(breakGlassId);
    if (
      !breakGlass ||
      normaliseEntityRef(breakGlass.entityRef) !==
        normaliseEntityRef(flow.entityRef)
    ) {
      throw new NotFoundError(
        `No break-glass declaration ${breakGlassId} for ${flow.entityRef}`,
      );
    }
    const environment = flow.policy.environments.find(
      e => e.id === breakGlass.environmentId,
    );
    if (!environment) {
      throw new ConflictError(
        `Environment "${breakGlass.environmentId}" is no longer on the ladder of ${flow.entityRef}`,
      );
    }
    const identity = await approverIdentityOf(
      this.#parts.userInfo,
      ctx.credentials,
    );
    const own = refuse?.(identity, breakGlass);
    if (own) {
      throw new NotAllowedError(capitalise(own));
    }
    await this.#parts.authorizer.authorizeFlow(
      promotionApprovePermission,
      flow.entityRef,
      ctx.credentials,
    );
    const notApprover = breakGlassApproverReason(environment, identity);
    if (notApprover) {
      throw new NotAllowedError(capitalise(notApprover));
    }
    return { flow, environment, breakGlass };
  }
}
