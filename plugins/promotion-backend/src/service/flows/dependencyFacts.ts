import {
  Entity,
  parseEntityRef,
  RELATION_DEPENDS_ON,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  DependencyFacts,
  PromotionPolicy,
} from '@promotion/plugin-promotion-common';
import { PromotionStore } from '../../database/PromotionStore';
import { FlowResolver } from './FlowResolver';

/** How far the search for a cycle follows dependencies of dependencies. */
const MAX_CYCLE_DEPTH = 8;

/** One flow whose dependencies the gate checks, and where. */
export interface DependencyTarget {
  entityRef: string;
  /** The flow's entity, with its relations. */
  entity: Entity;
  /** The flow's policy. */
  policy: PromotionPolicy;
  /** The environments each dependency's standing version is read in. */
  environmentIds: string[];
}

type Found = { entity: Entity; policy?: PromotionPolicy } | undefined;

const keyOf = (ref: string) => ref.toLocaleLowerCase('en-US');

/** The refs an entity's `dependsOn` relations point to, of any kind, once each. */
function dependsOnOf(entity: Entity): string[] {
  const refs = new Map<string, string>();
  for (const relation of entity.relations ?? []) {
    if (relation.type !== RELATION_DEPENDS_ON) {
      continue;
    }
    let ref = relation.targetRef;
    try {
      ref = stringifyEntityRef(parseEntityRef(relation.targetRef));
    } catch {
      // Kept as written: it names no entity, and the answer says so.
    }
    refs.set(keyOf(ref), ref);
  }
  return [...refs.values()];
}

/** A Component taking part in Promotion: a flow the dependency gate checks. */
function isFlow(
  found: Found,
): found is { entity: Entity; policy: PromotionPolicy } {
  return (
    !!found?.policy &&
    found.entity.kind.toLocaleLowerCase('en-US') === 'component'
  );
}

/**
 * What the dependency gate reads for each flow (`FlowFacts.dependencies`):
 * what each `dependsOn` relation names (a flow, something else, nothing in
 * the catalog), whether it depends on the flow in turn, and the version
 * standing in each environment asked. The entities come from the catalog
 * as this plugin reads them, in one batch (none while fresh; one more per
 * level of dependencies of dependencies, while searching for cycles); the
 * standing versions from the store, in one query for all.
 */
export async function readDependencyFacts(
  parts: { flows: FlowResolver; store: PromotionStore },
  targets: DependencyTarget[],
): Promise<DependencyFacts[][]> {
  if (targets.length === 0) {
    return [];
  }
  const known = new Map<string, Found>();
  for (const target of targets) {
    known.set(keyOf(target.entityRef), {
      entity: target.entity,
      policy: target.policy,
    });
  }
  const lookUp = async (refs: string[]) => {
    const unseen = [...new Set(refs.filter(ref => !known.has(keyOf(ref))))];
    if (unseen.length === 0) {
      return;
    }
    for (const [ref, found] of await parts.flows.cachedEntitiesOf(unseen)) {
      known.set(keyOf(ref), found);
    }
  };
  const dependsOn = targets.map(target => dependsOnOf(target.entity));
  await lookUp(dependsOn.flat());

  // The flows' dependencies on flows, as far as a cycle may go.
  const edges = new Map<string, string[]>();
  const edgesOf = (ref: string): string[] => {
    const key = keyOf(ref);
    if (!edges.has(key)) {
      const found = known.get(key);
      edges.set(key, isFlow(found) ? dependsOnOf(found.entity) : []);
    }
    return edges.get(key)!;
  };
  let frontier = dependsOn.flat().filter(ref => isFlow(known.get(keyOf(ref))));
  for (let depth = 0; depth < MAX_CYCLE_DEPTH && frontier.length > 0; depth++) {
    const next = frontier.flatMap(edgesOf);
    await lookUp(next);
    frontier = next.filter(
      ref => isFlow(known.get(keyOf(ref))) && !edges.has(keyOf(ref)),
    );
  }

  const facts = targets.map((target, index) =>
    dependsOn[index].map((ref): DependencyFacts => {
      const found = known.get(keyOf(ref));
      if (!found) {
        return { entityRef: ref, kind: 'not-in-catalog', versions: {} };
      }
      const entityRef = stringifyEntityRef(found.entity);
      const title = found.entity.metadata.title;
      const named = { entityRef, ...(title && { title }) };
      if (!isFlow(found)) {
        return { ...named, kind: 'not-in-promotion', versions: {} };
      }
      const cycle = pathBack(ref, target.entityRef, edgesOf, known);
      return {
        ...named,
        kind: 'flow',
        versions: {},
        ladder: found.policy.environments.map(e => e.id),
        ...(cycle && { cycle: [target.entityRef, ...cycle] }),
      };
    }),
  );

  // The version standing in each environment asked, for every flow dependency.
  const asked = facts.flatMap((dependencies, index) =>
    dependencies
      .filter(d => d.kind === 'flow' && !d.cycle)
      .flatMap(d =>
        targets[index].environmentIds.map(environmentId => ({
          dependency: d,
          environmentId,
        })),
      ),
  );
  const standing = await parts.store.getStandingDeployments(
    asked.map(({ dependency, environmentId }) => ({
      entityRef: dependency.entityRef,
      environmentId,
    })),
  );
  asked.forEach(({ dependency, environmentId }, index) => {
    const deployment = standing[index];
    if (deployment) {
      dependency.versions[environmentId] = deployment.version;
    }
  });
  return facts;
}

/**
 * The shortest chain of flow dependencies from `from` back to `to`, both
 * included, if there is one among the entities read.
 */
function pathBack(
  from: string,
  to: string,
  edgesOf: (ref: string) => string[],
  known: Map<string, Found>,
): string[] | undefined {
  const goal = keyOf(to);
  const cameFrom = new Map<string, string | undefined>([
    [keyOf(from), undefined],
  ]);
  const refs = new Map<string, string>([[keyOf(from), from]]);
  let frontier = [from];
  while (frontier.length > 0) {
    const next: string[] = [];
    for (const ref of frontier) {
      if (keyOf(ref) === goal) {
        const chain: string[] = [];
        for (
          let key: string | undefined = keyOf(ref);
          key !== undefined;
          key = cameFrom.get(key)
        ) {
          const found = known.get(key);
          chain.unshift(
            found ? stringifyEntityRef(found.entity) : refs.get(key)!,
          );
        }
        return chain;
      }
      for (const target of edgesOf(ref)) {
        const key = keyOf(target);
        if (!cameFrom.has(key) && (key === goal || isFlow(known.get(key)))) {
          cameFrom.set(key, keyOf(ref));
          refs.set(key, target);
          next.push(target);
        }
      }
    }
    frontier = next;
  }
  return undefined;
}
