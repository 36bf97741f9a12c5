import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import {
  CompoundEntityRef,
  Entity,
  parseEntityRef,
  RELATION_DEPENDS_ON,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  countingApprovers,
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
import {
  deniedReason,
  FlowDecisions,
} from '../../permissions/PromotionAuthorizer';
import { CallContext } from '../callContext';
import { readDependencyFacts } from '../flows/dependencyFacts';
import { ladderUpTo } from '../flows/FlowResolver';
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

/** A governed `dependsOn` component of a flow: its entity ref and its policy. */
interface GovernedDependency {
  entityRef: string;
  policy: PromotionPolicy;
}

/** The `dependsOn` components of a flow's entity, as the flow's own lookup keeps their refs. */
function dependsOnOf(entity: Entity): string[] {
  const refs = new Set<string>();
  for (const relation of entity.relations ?? []) {
    if (relation.type !== RELATION_DEPENDS_ON) {
      continue;
    }
    let target: CompoundEntityRef;
    try {
      target = parseEntityRef(relation.targetRef);
    } catch {
      continue;
    }
    if (target.kind.toLocaleLowerCase('en-US') === 'component') {
      // As the flow's own lookup keeps it, and the store with it.
      refs.add(stringifyEntityRef(target));
    }
  }
  return [...refs];
}

/**
 * The `dependsOn` components of the flows that take part in Promotion: the
 * flows' entities are those the inbox looked up, the dependencies not among
 * them are looked up as the plugin, from its catalog cache (one catalog
 * batch for those not fresh). Whether the caller may read a dependency is
 * left to the inbox's one permission batch.
 */
async function governedDependenciesOf(
  flows: ApprovalInboxParts['flows'],
  entities: Map<
    string,
    { entity: Entity; policy?: PromotionPolicy } | undefined
  >,
  entityRefs: string[],
): Promise<Map<string, GovernedDependency[]>> {
  const dependsOn = new Map<string, string[]>();
  for (const entityRef of entityRefs) {
    const found = entities.get(entityRef);
    dependsOn.set(entityRef, found ? dependsOnOf(found.entity) : []);
  }
  const refs = [...new Set([...dependsOn.values()].flat())];
  const unseen = refs.filter(ref => !entities.has(ref));
  const looked = await flows.cachedEntitiesOf(unseen);
  const policyOf = (ref: string) =>
    (entities.has(ref) ? entities.get(ref) : looked.get(ref))?.policy;
  const governed = new Map<string, GovernedDependency[]>();
  for (const [entityRef, dependencies] of dependsOn) {
    governed.set(
      entityRef,
      dependencies.flatMap(ref => {
        const policy = policyOf(ref);
        // Not in the catalog, or not taking part in Promotion: left out.
        return policy ? [{ entityRef: ref, policy }] : [];
      }),
    );
  }
  return governed;
}

/**
 * Whether the caller may see the flow: read it in the catalog
 * (`catalog.entity.read`) and in Promotion, as for a single flow.
 */
function maySee(may: FlowDecisions, entityRef: string): boolean {
  return (
    may.allows(catalogEntityReadPermission, entityRef) &&
    may.allows(promotionReadPermission, entityRef)
  );
}

/** What the inbox asks the permission framework of each flow it may show. */
function seeing(entityRef: string) {
  return [
    { permission: catalogEntityReadPermission, entityRef },
    { permission: promotionReadPermission, entityRef },
  ];
}

/** The dependencies the caller may read whose ladder has the environment. */
function dependenciesToCheck(
  dependencies: GovernedDependency[],
  environmentId: string,
  may: FlowDecisions,
): GovernedDependency[] {
  return dependencies.filter(
    dependency =>
      maySee(may, dependency.entityRef) &&
      dependency.policy.environments.some(e => e.id === environmentId),
  );
}

/** Where the pair of a flow and an environment is kept. */
const pairKey = (entityRef: string, environmentId: string) =>
  JSON.stringify([entityRef, environmentId]);

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
    const pendingByFlow = new Map<string, PromotionRequest[]>();
    for (const request of pending) {
      const requests = pendingByFlow.get(request.entityRef) ?? [];
      requests.push(request);
      pendingByFlow.set(request.entityRef, requests);
    }
    if (pendingByFlow.size === 0) {
      return { items: [] };
    }
    const { flows, store } = this.#parts;
    // The flows' entities and policies, read as the plugin from its catalog
    // cache (one catalog batch for those not fresh); whether the caller may
    // read each in the catalog is asked in the one permission batch below.
    const entities = await flows.cachedEntitiesOf([...pendingByFlow.keys()]);
    // The flows with a pending request the caller is an approver for.
    const waiting: Array<{
      entityRef: string;
      policy: PromotionPolicy;
      requests: PromotionRequest[];
    }> = [];
    for (const [entityRef, found] of entities) {
      const policy = found?.policy;
      if (!policy) {
        continue;
      }
      const requests = pendingByFlow.get(entityRef)!.filter(request => {
        const environment = policy.environments.find(
          e => e.id === request.environmentId,
        );
        return (
          environment && approverEligibility(environment, identity).allowed
        );
      });
      if (requests.length > 0) {
        waiting.push({ entityRef, policy, requests });
      }
    }
    if (waiting.length === 0) {
      return { items: [] };
    }
    const dependencies = await governedDependenciesOf(
      flows,
      entities,
      waiting.map(flow => flow.entityRef),
    );
    // The facts of each request's gate (batched reads, bounded by what they
    // answer), read while the permission framework answers: the facts of a
    // flow the approver may not see are read, and dropped unseen.
    const candidates = waiting.flatMap(({ entityRef, policy, requests }) =>
      requests.map(request => ({ entityRef, policy, request })),
    );
    const [may, candidateFacts] = await Promise.all([
      // One batch to the permission framework, however many flows: reading
      // each flow (in the catalog and in Promotion) and approving it,
      // reading each dependency.
      this.#parts.authorizer.decideFlows(
        waiting.flatMap(({ entityRef }) => [
          ...seeing(entityRef),
          { permission: promotionApprovePermission, entityRef },
          ...(dependencies.get(entityRef) ?? []).flatMap(dependency =>
            seeing(dependency.entityRef),
          ),
        ]),
        ctx.credentials,
      ),
      store.getManyGateFacts(
        candidates.map(({ entityRef, policy, request }) => ({
          entityRef,
          version: request.version,
          environmentIds: ladderUpTo({ policy }, request.environmentId),
        })),
      ),
    ]);
    // The requests of the flows the approver may see, with their gates' facts.
    const asked = candidates.flatMap((candidate, index) =>
      maySee(may, candidate.entityRef)
        ? [{ ...candidate, facts: candidateFacts[index] }]
        : [],
    );
    const gateFacts = asked.map(({ facts }) => facts);
    const pairs = new Map<
      string,
      { entityRef: string; environmentId: string }
    >();
    for (const { entityRef, request } of asked) {
      for (const dependency of dependenciesToCheck(
        dependencies.get(entityRef) ?? [],
        request.environmentId,
        may,
      )) {
        pairs.set(pairKey(dependency.entityRef, request.environmentId), {
          entityRef: dependency.entityRef,
          environmentId: request.environmentId,
        });
      }
    }
    const standing = await store.getStandingDeployments([...pairs.values()]);
    // The dependency gate, where a request's environment requires it: the
    // dependencies of every such flow in one read.
    const requiring = asked.flatMap(({ entityRef, policy, request }, index) => {
      const rule = policy.environments.find(
        e => e.id === request.environmentId,
      )?.dependencies;
      const entity = entities.get(entityRef)?.entity;
      return rule && entity
        ? [
            {
              index,
              entityRef,
              entity,
              policy,
              environmentIds: [rule.environmentId],
            },
          ]
        : [];
    });
    const dependencyFacts = await readDependencyFacts(this.#parts, requiring);
    requiring.forEach(({ index }, at) => {
      gateFacts[index] = {
        ...gateFacts[index],
        dependencies: dependencyFacts[at],
      };
    });
    const stands = new Set(
      [...pairs.keys()].filter((_, index) => standing[index] !== undefined),
    );

    const items: InboxItem[] = [];
    for (const [index, { entityRef, policy, request }] of asked.entries()) {
      const mayApprove = may.allows(promotionApprovePermission, entityRef);
      const facts = gateFacts[index];
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
      if (!eligibility.allowed && eligibility.reason === SELF_APPROVAL_REASON) {
        cannotDecideReason = REQUESTER_CANNOT_DECIDE;
      } else if (!mayApprove) {
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
        gate: gateBesidesApproval(policy, facts, request, now),
        ...previousSignOffOf(policy, facts, request),
        // The dependencies with no version standing in the environment.
        dependencyWarnings: dependenciesToCheck(
          dependencies.get(entityRef) ?? [],
          request.environmentId,
          may,
        )
          .filter(
            dependency =>
              !stands.has(pairKey(dependency.entityRef, request.environmentId)),
          )
          .map(dependency => ({
            entityRef: dependency.entityRef,
            environmentId: request.environmentId,
          })),
      });
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
