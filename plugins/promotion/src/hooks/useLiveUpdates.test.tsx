import { signalApiRef } from '@backstage/plugin-signals-react';
import { TestApiProvider } from '@backstage/test-utils';
import { act, renderHook } from '@testing-library/react';
import { ReactNode } from 'react';
import { POLL_INTERVAL_MS, useLiveUpdates } from './useLiveUpdates';

describe('useLiveUpdates', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('polls every ten seconds when the signals API is not installed', () => {
    jest.useFakeTimers();
    const refresh = jest.fn();
    const { result, unmount } = renderHook(
      () => useLiveUpdates('promotion:inbox', refresh),
      {
        wrapper: ({ children }: { children: ReactNode }) => (
          <TestApiProvider apis={[]}>{children}</TestApiProvider>
        ),
      },
    );

    expect(result.current.live).toBe(false);
    expect(POLL_INTERVAL_MS).toBe(10_000);
    act(() => jest.advanceTimersByTime(9_999));
    expect(refresh).not.toHaveBeenCalled();
    act(() => jest.advanceTimersByTime(1));
    expect(refresh).toHaveBeenCalledTimes(1);
    act(() => jest.advanceTimersByTime(10_000));
    expect(refresh).toHaveBeenCalledTimes(2);

    unmount();
    act(() => jest.advanceTimersByTime(30_000));
    expect(refresh).toHaveBeenCalledTimes(2);
  });

  it('refreshes on each signal and does not poll when signals are available', () => {
    jest.useFakeTimers();
    const listeners: Array<(message: object) => void> = [];
    const unsubscribe = jest.fn();
    const signalApi = {
      subscribe: jest.fn((_channel: string, onMessage: (m: any) => void) => {
        listeners.push(onMessage);
        return { unsubscribe };
      }),
    };
    const refresh = jest.fn();
    const { result, unmount } = renderHook(
      () => useLiveUpdates('promotion:component:default/svc', refresh),
      {
        wrapper: ({ children }: { children: ReactNode }) => (
          <TestApiProvider apis={[[signalApiRef, signalApi]]}>
            {children}
          </TestApiProvider>
        ),
      },
    );

    expect(result.current.live).toBe(true);
    expect(signalApi.subscribe).toHaveBeenCalledWith(
      'promotion:component:default/svc',
      expect.any(Function),
    );
    act(() => jest.advanceTimersByTime(60_000));
    expect(refresh).not.toHaveBeenCalled();

    act(() => listeners[0]({ type: 'checklist.completed' }));
    expect(refresh).toHaveBeenCalledTimes(1);
    act(() => listeners[0]({ type: 'sign-off.given' }));
    expect(refresh).toHaveBeenCalledTimes(2);

    unmount();
    expect(unsubscribe).toHaveBeenCalled();
  });
});
