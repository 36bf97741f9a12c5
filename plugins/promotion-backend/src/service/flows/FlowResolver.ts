import {
  AuthService,
  BackstageCredentials,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  Entity,
  parseEntityRef,
  RELATION_OWNED_BY,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ChecklistKind,
  EnvironmentDefinition,
  getPolicyForEntity,
  PROMOTION_POLICY_ANNOTATION,
  PromotionConfig,
  PromotionPolicy,
  promotionReadPermission,
} from '@promotion/plugin-promotion-common';
import {
  FlowPermission,
  PromotionAuthorizer,
} from '../../permissions/PromotionAuthorizer';
import { CallContext } from '../callContext';

/** A flow: an opted-in catalog entity and the policy it follows. */
export interface Flow {
  entityRef: string;
  entity: Entity;
  policy: PromotionPolicy;
}

/** A checklist item as the rules see it: post-deployment items are per version. */
export interface ChecklistItemRule {
  id: string;
  title: string;
  scope: 'version' | 'flow';
  evidenceRequired: boolean;
}

/** Where a wrong value came from, named in the error message. */
export type InputLocation = 'body' | 'query' | 'path';

/**
 * Finds flows: looks the entity up in the catalog, finds the policy its
 * annotation names, and checks the caller's permission on it.
 */
export class FlowResolver {
  readonly #config: PromotionConfig;
  readonly #catalog: CatalogService;
  readonly #auth: AuthService;
  readonly #authorizer: PromotionAuthorizer;

  constructor(options: {
    config: PromotionConfig;
    catalog: CatalogService;
    auth: AuthService;
    authorizer: PromotionAuthorizer;
  }) {
    this.#config = options.config;
    this.#catalog = options.catalog;
    this.#auth = options.auth;
    this.#authorizer = options.authorizer;
  }

  /**
   * Looks the entity up in the catalog and finds its policy: as the caller
   * when it is a user (the catalog's read permission applies), as this plugin
   * when it is a service, because a pipeline's token is typically limited to
   * the promotion plugin (`accessRestrictions`) and the catalog refuses it.
   */
  async resolve(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<Flow> {
    const entityRef = stringifyEntityRef(ref);
    const entity = await this.#catalog.getEntityByRef(entityRef, {
      credentials: this.#auth.isPrincipal(credentials, 'service')
        ? await this.#auth.getOwnServiceCredentials()
        : credentials,
    });
    if (!entity) {
      throw new NotFoundError(`No entity ${entityRef} found in the catalog`);
    }
    const lookup = getPolicyForEntity(this.#config, entity);
    if (lookup.problem === 'missing-annotation' || !lookup.policyName) {
      throw new NotFoundError(
        `${entityRef} does not take part in Promotion: add the annotation ${PROMOTION_POLICY_ANNOTATION} naming one of the configured policies (${this.#policyNames()})`,
      );
    }
    if (!lookup.policy) {
      throw new InputError(
        `The annotation ${PROMOTION_POLICY_ANNOTATION}: "${
          lookup.policyName
        }" of ${entityRef} names no configured policy (configured: ${this.#policyNames()})`,
      );
    }
    return {
      entityRef: stringifyEntityRef(entity),
      entity,
      policy: lookup.policy,
    };
  }

  /** The flow, once the caller is known to hold the permission on it. */
  async authorized(
    ref: CompoundEntityRef,
    permission: FlowPermission,
    ctx: CallContext,
  ): Promise<Flow> {
    const flow = await this.resolve(ref, ctx.credentials);
    await this.#authorizer.authorizeFlow(
      permission,
      flow.entityRef,
      ctx.credentials,
    );
    return flow;
  }

  /** The flow, once the caller is known to be allowed to see it. */
  readable(ref: CompoundEntityRef, ctx: CallContext): Promise<Flow> {
    return this.authorized(ref, promotionReadPermission, ctx);
  }

  /**
   * The policy of each entity, by entity ref, in the order given: undefined
   * where the entity is not in the catalog or follows no configured policy.
   * Read as the caller when credentials are given, otherwise as this plugin.
   */
  async policiesOf(
    entityRefs: string[],
    credentials?: BackstageCredentials,
  ): Promise<Map<string, PromotionPolicy | undefined>> {
    const policies = new Map<string, PromotionPolicy | undefined>();
    for (const [entityRef, found] of await this.entitiesOf(
      entityRefs,
      credentials,
    )) {
      policies.set(entityRef, found?.policy);
    }
    return policies;
  }

  /**
   * Each entity and its policy, by entity ref, in the order given, in one
   * catalog call (which the catalog client splits into chunks if long):
   * undefined where the entity is not in the catalog (or not readable), the
   * policy undefined where it follows no configured policy. Read as the
   * caller when credentials are given, otherwise as this plugin.
   */
  async entitiesOf(
    entityRefs: string[],
    credentials?: BackstageCredentials,
  ): Promise<
    Map<string, { entity: Entity; policy?: PromotionPolicy } | undefined>
  > {
    const found = new Map<
      string,
      { entity: Entity; policy?: PromotionPolicy } | undefined
    >();
    if (entityRefs.length === 0) {
      return found;
    }
    const { items: entities } = await this.#catalog.getEntitiesByRefs(
      { entityRefs },
      {
        credentials:
          credentials ?? (await this.#auth.getOwnServiceCredentials()),
      },
    );
    for (const [index, entityRef] of entityRefs.entries()) {
      const entity = entities[index];
      found.set(
        entityRef,
        entity
          ? { entity, policy: getPolicyForEntity(this.#config, entity).policy }
          : undefined,
      );
    }
    return found;
  }

  #policyNames(): string {
    const names = Object.keys(this.#config.policies);
    return names.length > 0 ? names.join(', ') : 'none';
  }
}

/** The environment of the flow's ladder with this id; an InputError names the ladder otherwise. */
export function environmentOf(
  flow: Flow,
  environmentId: string,
  location: InputLocation,
): EnvironmentDefinition {
  const environment = flow.policy.environments.find(
    e => e.id === environmentId,
  );
  if (!environment) {
    throw new InputError(
      `${location}.environment: unknown environment "${environmentId}"; the ladder of policy ${
        flow.policy.name
      } is ${flow.policy.environments.map(e => e.id).join(', ')}`,
    );
  }
  return environment;
}

/**
 * The ids of the flow's ladder up to and including the environment, in
 * ladder order: the environments whose facts the gate into it reads
 * (`PromotionStore.getGateFacts`). Just the environment when it is not on
 * the ladder (the gate answers that).
 */
export function ladderUpTo(
  flow: Pick<Flow, 'policy'>,
  environmentId: string,
): string[] {
  const ids = flow.policy.environments.map(e => e.id);
  const index = ids.indexOf(environmentId);
  return index < 0 ? [environmentId] : ids.slice(0, index + 1);
}

/** The item of the environment's validation or post-deployment checklist with this id. */
export function checklistItemOf(
  environment: EnvironmentDefinition,
  kind: ChecklistKind,
  itemId: string,
): ChecklistItemRule {
  if (kind === 'validation') {
    const item = environment.checklist.find(i => i.id === itemId);
    if (!item) {
      throw new InputError(
        `path.itemId: "${itemId}" is not on the ${
          environment.title
        } checklist (items: ${
          environment.checklist.map(i => i.id).join(', ') || 'none'
        })`,
      );
    }
    return item;
  }
  const item = environment.postDeployment.find(i => i.id === itemId);
  if (!item) {
    throw new InputError(
      `path.itemId: "${itemId}" is not on the ${
        environment.title
      } post-deployment checklist (items: ${
        environment.postDeployment.map(i => i.id).join(', ') || 'none'
      })`,
    );
  }
  // Post-deployment items belong to the deployment of one version.
  return { ...item, scope: 'version' };
}

/** Version-scoped items need the version, flow-scoped ones must not have one. */
export function checklistVersionOf(
  item: { title: string; scope: 'version' | 'flow' },
  version: string | undefined,
  location: 'body' | 'query' = 'body',
): string | undefined {
  if (item.scope === 'version' && !version) {
    throw new InputError(
      `${location}.version: Required: "${item.title}" is completed per version`,
    );
  }
  if (item.scope === 'flow' && version) {
    throw new InputError(
      `${location}.version: must be absent: "${item.title}" is completed once for the whole flow`,
    );
  }
  return item.scope === 'flow' ? undefined : version;
}

/** The flow's owners, from the catalog's ownedBy relations or spec.owner. */
export function ownersOf(entity: Entity): string[] {
  const related = (entity.relations ?? [])
    .filter(r => r.type === RELATION_OWNED_BY)
    .map(r => r.targetRef);
  if (related.length > 0) {
    return related;
  }
  const owner = entity.spec?.owner;
  if (typeof owner !== 'string' || !owner) {
    return [];
  }
  try {
    return [
      stringifyEntityRef(
        parseEntityRef(owner, {
          defaultKind: 'group',
          defaultNamespace: entity.metadata.namespace ?? 'default',
        }),
      ),
    ];
  } catch {
    return [];
  }
}
