import { useSignal } from '@backstage/plugin-signals-react';
import type { PromotionSignal } from '@promotion/plugin-promotion-common';
import { useEffect, useRef } from 'react';

/** How often to poll when the signals API is not installed. */
export const POLL_INTERVAL_MS = 10_000;

/**
 * Calls `refresh` whenever something changes on a channel: on every signal
 * when the signals API is installed, else every ten seconds.
 */
export function useLiveUpdates(
  channel: string,
  refresh: () => void,
  pollIntervalMs: number = POLL_INTERVAL_MS,
): { live: boolean } {
  const { lastSignal, isSignalsAvailable } =
    useSignal<PromotionSignal>(channel);
  const refreshRef = useRef(refresh);
  refreshRef.current = refresh;

  useEffect(() => {
    if (lastSignal) {
      refreshRef.current();
    }
  }, [lastSignal]);

  useEffect(() => {
    if (isSignalsAvailable) {
      return undefined;
    }
    const timer = setInterval(() => refreshRef.current(), pollIntervalMs);
    return () => clearInterval(timer);
  }, [isSignalsAvailable, pollIntervalMs]);

  return { live: isSignalsAvailable };
}
