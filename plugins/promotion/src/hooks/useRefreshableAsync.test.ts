import { act, renderHook, waitFor } from '@testing-library/react';
import { useRefreshableAsync } from './useRefreshableAsync';

function deferred<T>() {
  let resolve!: (value: T) => void;
  const promise = new Promise<T>(r => {
    resolve = r;
  });
  return { promise, resolve };
}

describe('useRefreshableAsync', () => {
  it('does not drop a retry that arrives while a load is in flight; the newest load wins', async () => {
    const loads = [deferred<string>(), deferred<string>()];
    let calls = 0;
    const { result } = renderHook(() =>
      useRefreshableAsync(() => loads[calls++].promise, []),
    );
    expect(result.current.loading).toBe(true);
    expect(calls).toBe(1);

    // Something changed while the first load is still running.
    act(() => result.current.retry());
    expect(calls).toBe(2);

    // The newer load answers first; the older, stale answer comes later.
    await act(async () => loads[1].resolve('after the change'));
    await act(async () => loads[0].resolve('before the change'));
    await waitFor(() => expect(result.current.loading).toBe(false));
    expect(result.current.value).toBe('after the change');
  });
});
