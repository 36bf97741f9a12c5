import { useApi } from '@backstage/core-plugin-api';
import { useRefreshableAsync } from './useRefreshableAsync';
import { promotionApiRef, TimeRange } from '../api';

/** The verification report over a time range. */
export function useVerificationReport(range: TimeRange) {
  const api = useApi(promotionApiRef);
  const { from, to } = range;
  const { value, loading, error, retry } = useRefreshableAsync(
    () => api.getVerificationReport({ from, to }),
    [api, from, to],
  );
  return { report: value, loading, error, retry };
}
