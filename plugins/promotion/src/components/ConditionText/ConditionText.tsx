import { EntityRefLink } from '@backstage/plugin-catalog-react';
import type { GateCondition } from '@promotion/plugin-promotion-common';

/**
 * A gate condition as the gate words it; one that names a dependency
 * (`dependency-missing`) links to the dependency's catalog page.
 *
 * @internal
 */
export function ConditionText(props: { condition: GateCondition }) {
  const { condition } = props;
  if (condition.code !== 'dependency-missing' || !condition.dependencyRef) {
    return <>{condition.message}</>;
  }
  return (
    <>
      {condition.message} See{' '}
      <EntityRefLink entityRef={condition.dependencyRef} />.
    </>
  );
}
