import { useApi } from '@backstage/core-plugin-api';
import useAsyncRetry from 'react-use/esm/useAsyncRetry';
import { promotionApiRef, TimeRange } from '../api';

/** The verification report over a time range. */
export function useVerificationReport(range: TimeRange) {
  const api = useApi(promotionApiRef);
  const { from, to } = range;
  const { value, loading, error, retry } = useAsyncRetry(
    () => api.getVerificationReport({ from, to }),
    [api, from, to],
  );
  return { report: value, loading, error, retry };
}
