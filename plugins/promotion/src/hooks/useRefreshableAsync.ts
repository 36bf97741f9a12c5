import { DependencyList, useCallback, useState } from 'react';
import useAsync from 'react-use/esm/useAsync';

/**
 * Like react-use's `useAsyncRetry`, except that a retry while a load is in
 * flight is not dropped: it starts a new load, and the newest load's result
 * wins (older results are discarded by `useAsync`). Live updates depend on
 * this: a signal that arrives during a load must still cause a fresh load.
 */
export function useRefreshableAsync<T>(
  fn: () => Promise<T>,
  deps: DependencyList,
) {
  const [attempt, setAttempt] = useState(0);
  // eslint-disable-next-line react-hooks/exhaustive-deps
  const state = useAsync(fn, [...deps, attempt]);
  const retry = useCallback(() => setAttempt(current => current + 1), []);
  return { ...state, retry };
}
