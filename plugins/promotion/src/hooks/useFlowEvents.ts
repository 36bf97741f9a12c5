import { useApi } from '@backstage/core-plugin-api';
import type { AuditEvent } from '@promotion/plugin-promotion-common';
import { useCallback, useEffect, useMemo, useState } from 'react';
import useAsyncFn from 'react-use/esm/useAsyncFn';
import { useRefreshableAsync } from './useRefreshableAsync';
import { promotionApiRef } from '../api';

interface OlderPages {
  items: AuditEvent[];
  nextCursor?: string;
}

/**
 * The flow's history (its audit events), one page at a time: `retry` reloads
 * the newest page (for live updates), `loadMore` appends the next one.
 */
export function useFlowEvents(entityRef: string, pageSize: number = 20) {
  const api = useApi(promotionApiRef);
  const first = useRefreshableAsync(
    () => api.getFlowEvents(entityRef, { limit: pageSize }),
    [api, entityRef, pageSize],
  );
  const [older, setOlder] = useState<OlderPages>();
  useEffect(() => setOlder(undefined), [entityRef, pageSize]);

  const [more, fetchMore] = useAsyncFn(
    async (cursor: string) => {
      const page = await api.getFlowEvents(entityRef, {
        cursor,
        limit: pageSize,
      });
      setOlder(previous => ({
        items: [...(previous?.items ?? []), ...page.items],
        nextCursor: page.nextCursor,
      }));
    },
    [api, entityRef, pageSize],
  );

  const events = useMemo(() => {
    const seen = new Set<string>();
    return [...(first.value?.items ?? []), ...(older?.items ?? [])].filter(
      event => {
        if (seen.has(event.id)) {
          return false;
        }
        seen.add(event.id);
        return true;
      },
    );
  }, [first.value, older]);

  const nextCursor = older ? older.nextCursor : first.value?.nextCursor;
  const loadMore = useCallback(() => {
    if (nextCursor) {
      fetchMore(nextCursor);
    }
  }, [fetchMore, nextCursor]);

  return {
    events,
    totalCount: first.value?.totalCount,
    loading: first.loading,
    error: first.error,
    retry: first.retry,
    hasMore: !!nextCursor,
    loadingMore: more.loading,
    loadMoreError: more.error,
    loadMore,
  };
}
