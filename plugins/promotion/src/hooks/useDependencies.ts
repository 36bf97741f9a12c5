import {
  Entity,
  RELATION_DEPENDS_ON,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import { useApi } from '@backstage/core-plugin-api';
import { catalogApiRef } from '@backstage/plugin-catalog-react';
import type { FlowState } from '@promotion/plugin-promotion-common';
import { useMemo } from 'react';
import { useRefreshableAsync } from './useRefreshableAsync';
import { promotionApiRef } from '../api';
import { isPromotionAvailable } from '../utils/isPromotionAvailable';

/** Where one dependency of a flow stands. */
export interface DependencyState {
  entityRef: string;
  entity?: Entity;
  /** Whether the dependency opts in to Promotion. */
  governed: boolean;
  /** Its flow, for those that opt in. */
  flow?: FlowState;
  /** Why its flow could not be read. */
  error?: Error;
}

/**
 * The entity's `dependsOn` relations and, for those that opt in to
 * Promotion, the version standing in each of their environments.
 */
export function useDependencies(entity: Entity) {
  const catalogApi = useApi(catalogApiRef);
  const api = useApi(promotionApiRef);
  const refs = useMemo(
    () =>
      (entity.relations ?? [])
        .filter(r => r.type === RELATION_DEPENDS_ON)
        .map(r => r.targetRef),
    [entity],
  );
  const key = refs.join('\n');

  const { value, loading, error, retry } =
    useRefreshableAsync(async (): Promise<DependencyState[]> => {
      if (refs.length === 0) {
        return [];
      }
      const { items } = await catalogApi.getEntitiesByRefs({
        entityRefs: refs,
      });
      return Promise.all(
        refs.map(async (ref, index) => {
          const dependency = items[index];
          const entityRef = dependency ? stringifyEntityRef(dependency) : ref;
          if (!dependency || !isPromotionAvailable(dependency)) {
            return { entityRef, entity: dependency, governed: false };
          }
          try {
            const flow = await api.getFlow(entityRef);
            return { entityRef, entity: dependency, governed: true, flow };
          } catch (e) {
            return {
              entityRef,
              entity: dependency,
              governed: true,
              error: e as Error,
            };
          }
        }),
      );
      // eslint-disable-next-line react-hooks/exhaustive-deps
    }, [catalogApi, api, key]);

  return { dependencies: value, loading, error, retry };
}
