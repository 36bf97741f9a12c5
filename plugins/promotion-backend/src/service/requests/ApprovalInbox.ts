import {
  Entity,
  parseEntityRef,
  RELATION_DEPENDS_ON,
} from '@backstage/catalog-model';
import {
  countingApprovers,
  currentVersionIn,
  evaluateGate,
  FlowFacts,
  GateCondition,
  InboxItem,
  InboxResponse,
  PromotionPolicy,
  PromotionRequest,
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

/**
 * Why a requester cannot decide their own request, on Approve and Reject
 * alike: they may edit or withdraw it, an approver decides it.
 */
export const REQUESTER_CANNOT_DECIDE =
  'You requested this promotion; another approver decides it.';

/** The gate's conditions that are the approval itself, which the approver is asked to give. */
const APPROVAL_CONDITIONS: ReadonlySet<GateCondition['code']> = new Set([
  'approval-required',
  'approval-revoked',
  'approval-pending',
]);

/** Each flow's facts, read once per inbox. */
class FactsCache {
  readonly #store: ApprovalInboxParts['store'];
  readonly #facts = new Map<string, Promise<FlowFacts>>();

  constructor(store: ApprovalInboxParts['store']) {
    this.#store = store;
  }

  of(entityRef: string): Promise<FlowFacts> {
    let facts = this.#facts.get(entityRef);
    if (!facts) {
      facts = this.#store.getFlowFacts(entityRef);
      this.#facts.set(entityRef, facts);
    }
    return facts;
  }
}

/** A governed `dependsOn` component of a flow: its entity ref and its policy. */
interface GovernedDependency {
  entityRef: string;
  policy: PromotionPolicy;
}

/**
 * The `dependsOn` components of a flow that take part in Promotion and that
 * the caller may read, each looked up once per inbox, read as the caller.
 */
class DependencyLookup {
  readonly #parts: ApprovalInboxParts;
  readonly #ctx: CallContext;
  readonly #facts: FactsCache;
  readonly #dependencies = new Map<string, Promise<GovernedDependency[]>>();

  constructor(parts: ApprovalInboxParts, ctx: CallContext, facts: FactsCache) {
    this.#parts = parts;
    this.#ctx = ctx;
    this.#facts = facts;
  }

  /** The dependencies of the flow whose ladder has the environment and that have no version standing in it. */
  async missingIn(
    entityRef: string,
    environmentId: string,
  ): Promise<InboxItem['dependencyWarnings']> {
    const warnings: InboxItem['dependencyWarnings'] = [];
    for (const dependency of await this.#of(entityRef)) {
      if (!dependency.policy.environments.some(e => e.id === environmentId)) {
        continue;
      }
      const facts = await this.#facts.of(dependency.entityRef);
      if (!currentVersionIn(facts, environmentId)) {
        warnings.push({ entityRef: dependency.entityRef, environmentId });
      }
    }
    return warnings;
  }

  #of(entityRef: string): Promise<GovernedDependency[]> {
    let found = this.#dependencies.get(entityRef);
    if (!found) {
      found = this.#lookUp(entityRef);
      this.#dependencies.set(entityRef, found);
    }
    return found;
  }

  async #lookUp(entityRef: string): Promise<GovernedDependency[]> {
    const { flows, authorizer } = this.#parts;
    const { credentials } = this.#ctx;
    let entity: Entity;
    try {
      ({ entity } = await flows.resolve(
        parseEntityRef(entityRef),
        credentials,
      ));
    } catch {
      // Gone from the catalog since the inbox listed it: no dependencies to tell of.
      return [];
    }
    const refs = [
      ...new Set(
        (entity.relations ?? [])
          .filter(
            r =>
              r.type === RELATION_DEPENDS_ON &&
              r.targetRef.toLocaleLowerCase('en-US').startsWith('component:'),
          )
          .map(r => r.targetRef),
      ),
    ];
    const governed: GovernedDependency[] = [];
    for (const ref of refs) {
      let dependency: GovernedDependency;
      try {
        // As the flow's own lookup does: its entity ref as the store keeps it, and its policy.
        const flow = await flows.resolve(parseEntityRef(ref), credentials);
        dependency = { entityRef: flow.entityRef, policy: flow.policy };
      } catch {
        // Not in the catalog, or not taking part in Promotion.
        continue;
      }
      const may = await authorizer.decideFlow(
        { read: promotionReadPermission },
        dependency.entityRef,
        credentials,
      );
      if (may.read) {
        governed.push(dependency);
      }
    }
    return governed;
  }
}

/**
 * The approver's inbox: the pending requests, across all flows, waiting for
 * them, each with what they need to decide it without opening the flow: the
 * rest of the gate, the previous environment's sign-off, and the `dependsOn`
 * flows that have not reached the environment yet.
 */
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
    // A request past its deadline is expired, whether or not the expiry task has run yet.
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
    const facts = new FactsCache(this.#parts.store);
    const dependencies = new DependencyLookup(this.#parts, ctx, facts);

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
      const flowFacts = await facts.of(entityRef);
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
          cannotDecideReason = REQUESTER_CANNOT_DECIDE;
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
          gate: gateBesidesApproval(policy, flowFacts, request, now),
          ...previousSignOffOf(policy, flowFacts, request),
          dependencyWarnings: await dependencies.missingIn(
            entityRef,
            request.environmentId,
          ),
        });
      }
    }
    items.sort((a, b) =>
      a.request.createdAt.localeCompare(b.request.createdAt),
    );
    return { items };
  }
}

/**
 * The gate for the request's version into its environment, its approval rule
 * left out. The approval's conditions are the only ones that name people
 * (who requested, who revoked), so no display names are looked up here.
 */
function gateBesidesApproval(
  policy: PromotionPolicy,
  facts: FlowFacts,
  request: PromotionRequest,
  now: Date,
): InboxItem['gate'] {
  const gate = evaluateGate({
    entityRef: request.entityRef,
    policy,
    facts,
    environmentId: request.environmentId,
    version: request.version,
    now,
  });
  const otherConditions = gate.unmetConditions.filter(
    condition => !APPROVAL_CONDITIONS.has(condition.code),
  );
  return { openOnceApproved: otherConditions.length === 0, otherConditions };
}

/** The previous environment's sign-offs of the request's version, none on the first environment. */
function previousSignOffOf(
  policy: PromotionPolicy,
  facts: FlowFacts,
  request: PromotionRequest,
): Pick<InboxItem, 'previousSignOff'> {
  const index = policy.environments.findIndex(
    e => e.id === request.environmentId,
  );
  if (index < 1) {
    return {};
  }
  const previous = policy.environments[index - 1];
  return {
    previousSignOff: {
      environmentId: previous.id,
      environmentTitle: previous.title,
      required: previous.signOff.required,
      signOffs: facts.signOffs
        .filter(
          s => s.environmentId === previous.id && s.version === request.version,
        )
        .sort((a, b) => a.signedOffAt.localeCompare(b.signedOffAt)),
    },
  };
}
