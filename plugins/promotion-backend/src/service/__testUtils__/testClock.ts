/**
 * The clock the backend reads (`Date`), stopped by the test and moved on by
 * it alone: "15 minutes after the deployment" then holds however long the
 * machine takes to serve the requests in between. Only `Date` is replaced;
 * the timers the HTTP server, the database pool and Jest use keep running.
 * Call `jest.useRealTimers()` after the test (an `afterEach` hook).
 */
export const testClock = {
  stop() {
    jest.useFakeTimers({
      now: Date.now(),
      doNotFake: [
        'hrtime',
        'nextTick',
        'performance',
        'queueMicrotask',
        'requestAnimationFrame',
        'cancelAnimationFrame',
        'requestIdleCallback',
        'cancelIdleCallback',
        'setImmediate',
        'clearImmediate',
        'setInterval',
        'clearInterval',
        'setTimeout',
        'clearTimeout',
      ],
    });
  },
  advance(milliseconds: number) {
    jest.setSystemTime(Date.now() + milliseconds);
  },
};
