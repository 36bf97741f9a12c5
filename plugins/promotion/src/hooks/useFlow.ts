import { useApi } from '@backstage/core-plugin-api';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { promotionApiRef } from '../api';

/** The flow of one entity: its ladder, the next gate, pending requests and rollbacks. */
export function useFlow(entityRef: string) {
  const api = useApi(promotionApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getFlow(entityRef),
    [api, entityRef],
  );
  return { flow: value, loading, error, retry };
}
