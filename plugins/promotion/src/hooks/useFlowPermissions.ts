import { useApi } from '@backstage/core-plugin-api';
import { useRefreshableAsync } from './useRefreshableAsync';
import { promotionApiRef } from '../api';

/** What the signed-in user may do on one flow, as the backend decides it, with reasons. */
export function useFlowPermissions(entityRef: string) {
  const api = useApi(promotionApiRef);
  const { value, loading, error, retry } = useRefreshableAsync(
    () => api.getFlowPermissions(entityRef),
    [api, entityRef],
  );
  return { permissions: value, loading, error, retry };
}
