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
import { CATALOG_FILTER_EXISTS } from '@backstage/catalog-client';
import { InputError, NotAllowedError, NotFoundError } from '@backstage/errors';
import { catalogEntityReadPermission } from '@backstage/plugin-catalog-common/alpha';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  ChecklistAttester,
  ChecklistKind,
  EnvironmentDefinition,
  getPolicyForEntity,
  PROMOTION_POLICY_ANNOTATION,
  PromotionConfig,
  PromotionPolicy,
  promotionReadPermission,
} from '@promotion/plugin-promotion-common';
import {
  deniedReason,
  FlowPermission,
  PromotionAuthorizer,
} from '../../permissions/PromotionAuthorizer';
import { CallContext } from '../callContext';
import { TtlCache } from '../ttlCache';

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
  /** Who completes it; absent means people (`person`). */
  attestedBy?: ChecklistAttester;
}

/**
 * How long a flow's catalog entity is reused before the catalog is asked
 * again, by default: a minute, well within the time the catalog itself takes
 * to process a change (it refreshes an entity every 100 to 150 seconds by
 * default), and long enough that a pipeline checking its gates, or a portal
 * with thousands of flows, rarely waits on the catalog.
 */
export const DEFAULT_CATALOG_CACHE_TTL_MS = 60_000;

/** The fields of the entities {@link FlowResolver.entitiesOf} reads. */
const ENTITY_FIELDS = [
  'kind',
  'metadata.name',
  'metadata.namespace',
  'metadata.title',
  'metadata.annotations',
  'relations',
];

/**
 * The fields of a flow's entity, however it is read (one flow, or every
 * flow by {@link FlowResolver.refreshFlowEntities}): those above, and
 * `spec.owner`, which names the owners when the catalog has no ownedBy
 * relation yet ({@link ownersOf}).
 */
export const FLOW_ENTITY_FIELDS = [...ENTITY_FIELDS, 'spec.owner'];

/** Entities kept at most; the oldest goes first. */
const CATALOG_CACHE_MAX_ENTRIES = 20_000;

/** The entities {@link FlowResolver.refreshFlowEntities} reads per catalog call. */
const REFRESH_PAGE_SIZE = 500;

/** An entity's key in the caches: its ref, which the catalog matches case-insensitively. */
const cacheKeyOf = (entityRef: string) => entityRef.toLocaleLowerCase('en-US');

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
  /**
   * The flows' entities as this plugin read them, each for a few seconds: a
   * gate check, a flow state or a trail then costs no call to the catalog
   * while the entity is fresh. Only entities found are kept, so a new flow
   * is seen at once; a removed one or a changed annotation is seen within
   * the time to live (the catalog itself takes minutes to process a change).
   */
  readonly #entities: TtlCache<Entity>;
  /**
   * The entities the dependency gate reads (their fields as
   * {@link FlowResolver.entitiesOf} reads them), kept as the flows' own are.
   */
  readonly #dependencyEntities: TtlCache<Entity>;

  constructor(options: {
    config: PromotionConfig;
    catalog: CatalogService;
    auth: AuthService;
    authorizer: PromotionAuthorizer;
    /** How long an entity read from the catalog is reused; 0 asks the catalog every time. */
    catalogCacheTtlMs?: number;
    /** The clock of the cache (tests). */
    now?: () => number;
  }) {
    this.#config = options.config;
    this.#catalog = options.catalog;
    this.#auth = options.auth;
    this.#authorizer = options.authorizer;
    this.#entities = new TtlCache({
      ttlMs: options.catalogCacheTtlMs ?? DEFAULT_CATALOG_CACHE_TTL_MS,
      maxEntries: CATALOG_CACHE_MAX_ENTRIES,
      now: options.now,
    });
    this.#dependencyEntities = new TtlCache({
      ttlMs: options.catalogCacheTtlMs ?? DEFAULT_CATALOG_CACHE_TTL_MS,
      maxEntries: CATALOG_CACHE_MAX_ENTRIES,
      now: options.now,
    });
  }

  /**
   * The entity as this plugin reads it, from the cache while fresh. Read as
   * the plugin, not as the caller: a pipeline's token is typically limited
   * to the promotion plugin (`accessRestrictions`) and the catalog refuses
   * it; whether a person may see the entity is asked of the permission
   * framework (the catalog's own `catalog.entity.read`), in {@link authorized}.
   */
  async #entity(entityRef: string): Promise<Entity | undefined> {
    const key = cacheKeyOf(entityRef);
    const cached = this.#entities.get(key);
    if (cached) {
      return cached.value;
    }
    const {
      items: [entity],
    } = await this.#catalog.getEntitiesByRefs(
      { entityRefs: [entityRef], fields: FLOW_ENTITY_FIELDS },
      { credentials: await this.#auth.getOwnServiceCredentials() },
    );
    if (entity) {
      this.#entities.set(key, entity);
    }
    return entity ?? undefined;
  }

  /**
   * Reads every entity that names a policy (the annotation
   * `promotion.io/policy`) into the cache, a page of
   * {@link REFRESH_PAGE_SIZE} per catalog call, with only the fields the
   * plugin reads: a task runs it every half time to live, so a flow's gate
   * check, state or trail finds its entity fresh however many flows are read
   * in turn, instead of one catalog lookup per flow per time to live. At
   * most as many entities as the cache keeps. Nothing is read when the cache
   * is off (a time to live of 0). An entity that loses its annotation or
   * leaves the catalog is not refreshed, so it expires as before: the
   * change is seen within the time to live. Returns the number of entities
   * read.
   */
  async refreshFlowEntities(): Promise<number> {
    if (!this.#entities.enabled) {
      return 0;
    }
    const credentials = await this.#auth.getOwnServiceCredentials();
    let cursor: string | undefined;
    let read = 0;
    do {
      const page = await this.#catalog.queryEntities(
        cursor
          ? { cursor, limit: REFRESH_PAGE_SIZE, fields: FLOW_ENTITY_FIELDS }
          : {
              filter: {
                [`metadata.annotations.${PROMOTION_POLICY_ANNOTATION}`]:
                  CATALOG_FILTER_EXISTS,
              },
              limit: REFRESH_PAGE_SIZE,
              fields: FLOW_ENTITY_FIELDS,
            },
        { credentials },
      );
      for (const entity of page.items) {
        this.#entities.set(cacheKeyOf(stringifyEntityRef(entity)), entity);
      }
      read += page.items.length;
      cursor = page.pageInfo.nextCursor;
    } while (cursor && read < CATALOG_CACHE_MAX_ENTRIES);
    return read;
  }

  /** The flow of an entity found in the catalog: its policy, or why it has none. */
  #flowOf(entityRef: string, entity: Entity | undefined): Flow {
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

  /**
   * The flow, once the caller is known to hold the permission on it. A
   * person must also be allowed to read the entity in the catalog
   * (`catalog.entity.read`, asked in the same batch as the permission): an
   * entity they may not read is answered as one that does not exist, as the
   * catalog answers it. A service (a pipeline) is checked as before, with
   * the plugin's own permission only.
   */
  async authorized(
    ref: CompoundEntityRef,
    permission: FlowPermission,
    ctx: CallContext,
  ): Promise<Flow> {
    const requested = stringifyEntityRef(ref);
    const entity = await this.#entity(requested);
    if (entity && this.#auth.isPrincipal(ctx.credentials, 'user')) {
      const entityRef = stringifyEntityRef(entity);
      const may = await this.#authorizer.decideFlow(
        { catalog: catalogEntityReadPermission, flow: permission },
        entityRef,
        ctx.credentials,
      );
      if (!may.catalog) {
        throw new NotFoundError(`No entity ${requested} found in the catalog`);
      }
      const flow = this.#flowOf(requested, entity);
      if (!may.flow) {
        throw new NotAllowedError(deniedReason(permission));
      }
      return flow;
    }
    const flow = this.#flowOf(requested, entity);
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
   * Each entity (its kind, name, namespace, annotations and relations) and
   * its policy, by entity ref, in the order given, in one catalog call
   * (which the catalog client splits into chunks if long):
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
      // Only what names a flow, its policy and its dependencies: the inbox
      // asks for hundreds of entities at once.
      { entityRefs, fields: ENTITY_FIELDS },
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

  /**
   * As {@link FlowResolver.entitiesOf}, read as this plugin, reusing what
   * was read in the last few seconds: one catalog batch for the entities
   * not fresh, none when all are. For the dependency gate, which a
   * pipeline's gate check runs.
   */
  async cachedEntitiesOf(
    entityRefs: string[],
  ): Promise<
    Map<string, { entity: Entity; policy?: PromotionPolicy } | undefined>
  > {
    const found = new Map<
      string,
      { entity: Entity; policy?: PromotionPolicy } | undefined
    >();
    const missing: string[] = [];
    for (const ref of entityRefs) {
      const cached = this.#dependencyEntities.get(cacheKeyOf(ref));
      if (cached) {
        found.set(ref, {
          entity: cached.value,
          policy: getPolicyForEntity(this.#config, cached.value).policy,
        });
      } else {
        missing.push(ref);
      }
    }
    for (const [ref, read] of await this.entitiesOf(missing)) {
      if (read) {
        this.#dependencyEntities.set(cacheKeyOf(ref), read.entity);
      }
      found.set(ref, read);
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
