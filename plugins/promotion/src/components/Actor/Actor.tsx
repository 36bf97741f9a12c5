import { EntityRefLink } from '@backstage/plugin-catalog-react';

/**
 * Who did something: a link to the catalog user or group, or the name of a
 * service principal (`service:ci`) as plain text.
 *
 * @internal
 */
export function Actor(props: { entityRef: string }) {
  const { entityRef } = props;
  if (/^(user|group):/i.test(entityRef)) {
    return <EntityRefLink entityRef={entityRef} defaultKind="user" />;
  }
  return <>{entityRef}</>;
}
