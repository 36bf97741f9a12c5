import { useApi } from '@backstage/core-plugin-api';
import { useRefreshableAsync } from './useRefreshableAsync';
import { promotionApiRef } from '../api';

/** Whether the audit trail's hash chain is intact; `retry` verifies it again. */
export function useAuditChainVerification() {
  const api = useApi(promotionApiRef);
  const { value, loading, error, retry } = useRefreshableAsync(
    () => api.verifyAuditChain(),
    [api],
  );
  return { verification: value, loading, error, retry };
}
