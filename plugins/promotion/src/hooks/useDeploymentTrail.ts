import { useApi } from '@backstage/core-plugin-api';
import { useRefreshableAsync } from './useRefreshableAsync';
import { promotionApiRef } from '../api';

/** The trail of one deployment of a flow: who requested, approved, validated and signed off what let it in. */
export function useDeploymentTrail(entityRef: string, deploymentId: string) {
  const api = useApi(promotionApiRef);
  const { value, loading, error, retry } = useRefreshableAsync(
    () => api.getDeploymentTrail(entityRef, deploymentId),
    [api, entityRef, deploymentId],
  );
  return { trail: value, loading, error, retry };
}
