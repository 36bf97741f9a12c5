import { AuthService, LoggerService } from '@backstage/backend-plugin-api';
import {
  Entity,
  parseEntityRef,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { CatalogService } from '@backstage/plugin-catalog-node';
import { TtlCache } from './ttlCache';

/**
 * The name a person reads for an entity ref or an actor: a user's display
 * name, a flow's or a group's title, else the entity's name. Never the raw
 * `user:default/alice`.
 */
export type NameOf = (ref: string) => string;

/** Looks up the names of people and flows for the words of one message. */
export interface DisplayNames {
  /**
   * Reads the names of `refs` in one batch and answers them, for as long as
   * the caller keeps the returned function (one call of the notifier): a
   * ref it was not given, or one the catalog does not know, is named by
   * {@link fallbackName}. Never fails: when the catalog cannot be read,
   * every ref is named by its fallback.
   */
  lookup(refs: Iterable<string | undefined>): Promise<NameOf>;
}

const SERVICE_PREFIX = 'service:';

/**
 * The name of a ref without the catalog: the entity's name
 * (`user:default/alice` → `alice`), or for a service actor
 * (`service:external:ci`) its subject, said to be a service.
 */
export function fallbackName(ref: string): string {
  if (ref.startsWith(SERVICE_PREFIX)) {
    return `${ref.slice(SERVICE_PREFIX.length)} (service)`;
  }
  try {
    return parseEntityRef(ref).name;
  } catch {
    return ref;
  }
}

/**
 * The name of an entity as the catalog describes it: `spec.profile.displayName`
 * (users and groups), else `metadata.title`, else `metadata.name`.
 */
export function entityDisplayName(entity: Entity): string {
  const profile = (entity.spec as { profile?: { displayName?: unknown } })
    ?.profile;
  const displayName =
    typeof profile?.displayName === 'string' ? profile.displayName.trim() : '';
  if (displayName) {
    return displayName;
  }
  const title = entity.metadata.title?.trim();
  return title ? title : entity.metadata.name;
}

/** The catalog's form of an entity ref, or undefined for actors that are not entities. */
function catalogRefOf(ref: string): string | undefined {
  if (ref.startsWith(SERVICE_PREFIX)) {
    return undefined;
  }
  try {
    return stringifyEntityRef(parseEntityRef(ref)).toLocaleLowerCase('en-US');
  } catch {
    return undefined;
  }
}

/** Names from the catalog alone: no lookup, every ref named by {@link fallbackName}. */
export const entityNamesOnly: DisplayNames = {
  async lookup() {
    return fallbackName;
  },
};

/** Names kept at most; the oldest goes first. */
const NAMES_CACHE_MAX_ENTRIES = 20_000;

/**
 * Names from the catalog: one `getEntitiesByRefs` per lookup, with the
 * plugin's own credentials, asking only for the fields that name an entity.
 * Each name read is kept for `ttlMs` (the gate check and the flow state name
 * people on every call), so only names not read within it are asked for.
 */
export class CatalogDisplayNames implements DisplayNames {
  readonly #catalog: CatalogService;
  readonly #auth: AuthService;
  readonly #logger: LoggerService;
  /** The name of each catalog ref read, or null where the catalog has no such entity. */
  readonly #names: TtlCache<string | null>;

  constructor(options: {
    catalog: CatalogService;
    auth: AuthService;
    logger: LoggerService;
    /** How long a name read is reused; 0 asks the catalog on every lookup. */
    ttlMs?: number;
    /** The clock of the cache (tests). */
    now?: () => number;
  }) {
    this.#catalog = options.catalog;
    this.#auth = options.auth;
    this.#logger = options.logger;
    this.#names = new TtlCache({
      ttlMs: options.ttlMs ?? 0,
      maxEntries: NAMES_CACHE_MAX_ENTRIES,
      now: options.now,
    });
  }

  async lookup(refs: Iterable<string | undefined>): Promise<NameOf> {
    const catalogRefs = [
      ...new Set(
        [...refs]
          .filter((ref): ref is string => typeof ref === 'string')
          .map(catalogRefOf)
          .filter((ref): ref is string => ref !== undefined),
      ),
    ];
    const names = new Map<string, string>();
    const unread: string[] = [];
    for (const ref of catalogRefs) {
      const cached = this.#names.get(ref);
      if (!cached) {
        unread.push(ref);
      } else if (cached.value !== null) {
        names.set(ref, cached.value);
      }
    }
    if (unread.length > 0) {
      try {
        const { items } = await this.#catalog.getEntitiesByRefs(
          {
            entityRefs: unread,
            fields: [
              'kind',
              'metadata.name',
              'metadata.namespace',
              'metadata.title',
              'spec.profile.displayName',
            ],
          },
          { credentials: await this.#auth.getOwnServiceCredentials() },
        );
        unread.forEach((ref, index) => {
          const entity = items[index];
          const name = entity ? entityDisplayName(entity) : null;
          if (name !== null) {
            names.set(ref, name);
          }
          this.#names.set(ref, name);
        });
      } catch (error) {
        // Nothing kept: the next lookup asks the catalog again.
        this.#logger.warn(
          'Could not read display names from the catalog; entity names are used instead',
          { error: String(error) },
        );
      }
    }
    return ref => {
      const catalogRef = catalogRefOf(ref);
      return (catalogRef && names.get(catalogRef)) || fallbackName(ref);
    };
  }
}
