import { useApi } from '@backstage/core-plugin-api';
import { useRefreshableAsync } from './useRefreshableAsync';
import { promotionApiRef } from '../api';

/** The flow of one entity: its ladder, the next gate, pending requests and rollbacks. */
export function useFlow(entityRef: string) {
  const api = useApi(promotionApiRef);
  const { value, loading, error, retry } = useRefreshableAsync(
    () => api.getFlow(entityRef),
    [api, entityRef],
  );
  return { flow: value, loading, error, retry };
}
