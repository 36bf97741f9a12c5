import { useEffect, useState } from 'react';

/**
 * The current time in milliseconds, re-rendering every second while
 * `ticking` is true (for countdowns).
 */
export function useNow(ticking: boolean, intervalMs: number = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    if (!ticking) {
      return undefined;
    }
    setNow(Date.now());
    const timer = setInterval(() => setNow(Date.now()), intervalMs);
    return () => clearInterval(timer);
  }, [ticking, intervalMs]);
  return ticking ? now : Date.now();
}
