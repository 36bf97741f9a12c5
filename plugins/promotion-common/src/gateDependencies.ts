import { parseEntityRef } from '@backstage/catalog-model';
import {
  DependencyCheck,
  DependencyFacts,
  EnvironmentDefinition,
  GateCondition,
  PromotionPolicy,
} from './types';

/*
 * The dependency gate (README, "The rules, as the product applies them"):
 * where an environment requires its dependencies, a flow may enter it only
 * when every `dependsOn` flow has a version in that environment (or in the
 * environment the policy names). Pure functions over the facts the caller
 * read: what each dependency is, and what stands where.
 *
 * - Only Components taking part in Promotion are flows; any other relation
 *   (a Resource, an unannotated component, an entity not in the catalog) is
 *   not checked, and the answer says so.
 * - A flow whose own ladder has no such environment is not checked either.
 * - A dependency that depends on the flow in turn, directly or through other
 *   flows, is not required: otherwise neither could ever enter first. The
 *   answer names the cycle.
 */

/**
 * How each dependency of the flow stands for the environment, where the
 * environment requires its dependencies; undefined where it does not, or
 * where the dependencies were not read.
 */
export function dependencyChecksFor(args: {
  entityRef: string;
  policy: PromotionPolicy;
  environment: EnvironmentDefinition;
  dependencies?: DependencyFacts[];
}): DependencyCheck[] | undefined {
  const { entityRef, policy, environment, dependencies } = args;
  const rule = environment.dependencies;
  if (!rule || !dependencies) {
    return undefined;
  }
  const required = rule.environmentId;
  const where =
    policy.environments.find(e => e.id === required)?.title ?? required;
  const flowName = refName(entityRef);
  return dependencies.map((dependency): DependencyCheck => {
    const name = dependency.title ?? refName(dependency.entityRef);
    const check = { entityRef: dependency.entityRef, environmentId: required };
    if (dependency.kind === 'not-in-catalog') {
      return {
        ...check,
        status: 'not-a-flow',
        message: `${dependency.entityRef} is not in the catalog: not checked.`,
      };
    }
    if (dependency.kind === 'not-in-promotion') {
      return {
        ...check,
        status: 'not-a-flow',
        message: `${name} is not a component taking part in Promotion: not checked.`,
      };
    }
    if (dependency.cycle && dependency.cycle.length > 0) {
      const through = dependency.cycle.slice(2, -1).map(refName);
      return {
        ...check,
        status: 'cycle',
        message: `${flowName} and ${name} depend on each other${
          through.length > 0 ? ` (through ${through.join(', ')})` : ''
        }: not required.`,
      };
    }
    if (dependency.ladder && !dependency.ladder.includes(required)) {
      return {
        ...check,
        status: 'not-on-ladder',
        message: `${name} has no ${where} on its ladder: not checked.`,
      };
    }
    const version = dependency.versions[required];
    if (version === undefined) {
      return {
        ...check,
        status: 'unmet',
        message: `${name} is not in ${where} yet.`,
      };
    }
    return {
      ...check,
      status: 'met',
      version,
      message: `${name} ${version} is in ${where}.`,
    };
  });
}

/** The unmet dependency checks, as gate conditions on the environment. */
export function dependencyConditionsOf(
  environment: EnvironmentDefinition,
  checks: DependencyCheck[] | undefined,
): GateCondition[] {
  return (checks ?? [])
    .filter(check => check.status === 'unmet')
    .map(check => ({
      code: 'dependency-missing',
      message: check.message,
      environmentId: environment.id,
      dependencyRef: check.entityRef,
    }));
}

function refName(ref: string): string {
  try {
    return parseEntityRef(ref).name;
  } catch {
    return ref;
  }
}
