import { identityApiRef, useApi } from '@backstage/core-plugin-api';
import useAsync from 'react-use/esm/useAsync';

/** The signed-in user's entity ref, to mirror the backend's rules about requesters and approvers. */
export function useCurrentUser() {
  const identityApi = useApi(identityApiRef);
  const { value, loading, error } = useAsync(
    () => identityApi.getBackstageIdentity(),
    [identityApi],
  );
  return {
    userEntityRef: value?.userEntityRef,
    /** The user and their groups (on-call groups, approver groups). */
    ownershipEntityRefs: value?.ownershipEntityRefs,
    loading,
    error,
  };
}
