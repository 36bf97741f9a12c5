import { useApi } from '@backstage/core-plugin-api';
import { useRefreshableAsync } from './useRefreshableAsync';
import { promotionApiRef } from '../api';

/** Every promotion request waiting for the signed-in approver, across all flows. */
export function useInbox() {
  const api = useApi(promotionApiRef);
  const { value, loading, error, retry } = useRefreshableAsync(
    () => api.getInbox(),
    [api],
  );
  return { items: value?.items, loading, error, retry };
}
