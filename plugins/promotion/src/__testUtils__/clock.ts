/**
 * Fakes the clock at `now`: `Date` and `setTimeout` only, so that a test
 * moves time with `jest.advanceTimersByTime` while promises, intervals and
 * the rest of the app's scheduling run as usual. Undo with
 * `jest.useRealTimers()`.
 */
export function fakeClockAt(now: number | string) {
  jest.useFakeTimers({
    now: typeof now === 'string' ? Date.parse(now) : now,
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
    ],
  });
}
