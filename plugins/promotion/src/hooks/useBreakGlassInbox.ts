import { useApi } from '@backstage/core-plugin-api';
import { useRefreshableAsync } from './useRefreshableAsync';
import { promotionApiRef } from '../api';

/** The break-glass declarations waiting for the signed-in approver's decision or retrospective review. */
export function useBreakGlassInbox() {
  const api = useApi(promotionApiRef);
  const { value, loading, error, retry } = useRefreshableAsync(
    () => api.getBreakGlassInbox(),
    [api],
  );
  return { items: value?.items, loading, error, retry };
}
