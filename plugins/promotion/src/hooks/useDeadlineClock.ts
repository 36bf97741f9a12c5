import { useEffect, useState } from 'react';

/** setTimeout's longest delay; longer waits are re-armed. */
const LONGEST_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * The current time in milliseconds, re-rendering the moment each of the
 * given deadlines (ISO timestamps) passes, and not in between: a request
 * shows "expired" from its deadline on, without polling.
 */
export function useDeadlineClock(
  deadlines: ReadonlyArray<string | undefined>,
): number {
  const [passes, setPasses] = useState(0);
  const now = Date.now();
  const upcoming = deadlines
    .map(deadline => (deadline ? Date.parse(deadline) : NaN))
    .filter(time => time > now);
  const next = upcoming.length > 0 ? Math.min(...upcoming) : undefined;

  useEffect(() => {
    if (next === undefined) {
      return undefined;
    }
    const timer = setTimeout(
      () => setPasses(count => count + 1),
      Math.min(Math.max(0, next - Date.now()), LONGEST_TIMEOUT_MS),
    );
    return () => clearTimeout(timer);
  }, [next, passes]);

  return now;
}
