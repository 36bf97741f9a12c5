import { useApi } from '@backstage/core-plugin-api';
import { useRefreshableAsync } from './useRefreshableAsync';
import { InsightsQuery, promotionApiRef } from '../api';

/** The governance insights over a range, for the portal or one flow. */
export function useInsights(query: InsightsQuery) {
  const api = useApi(promotionApiRef);
  const { from, to, flow } = query;
  const { value, loading, error, retry } = useRefreshableAsync(
    () => api.getInsights({ from, to, flow }),
    [api, from, to, flow],
  );
  return { insights: value, loading, error, retry };
}
