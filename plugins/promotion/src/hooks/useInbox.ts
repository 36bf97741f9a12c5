import { useApi } from '@backstage/core-plugin-api';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { promotionApiRef } from '../api';

/** Every promotion request waiting for the signed-in approver, across all flows. */
export function useInbox() {
  const api = useApi(promotionApiRef);
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getInbox(),
    [api],
  );
  return { items: value?.items, loading, error, retry };
}
