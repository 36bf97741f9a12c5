import { act, renderHook } from '@testing-library/react';
import { useDeadlineClock } from './useDeadlineClock';

describe('useDeadlineClock', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('re-renders when each deadline passes, and not in between', () => {
    jest.useFakeTimers({ now: new Date('2024-05-01T10:00:00.000Z') });
    let renders = 0;
    const { result } = renderHook(() => {
      renders++;
      return useDeadlineClock([
        '2024-05-01T10:00:05.000Z',
        undefined,
        '2024-05-01T09:00:00.000Z',
        '2024-05-01T10:01:00.000Z',
      ]);
    });
    const rendersAtStart = renders;

    act(() => jest.advanceTimersByTime(4_999));
    expect(renders).toBe(rendersAtStart);

    act(() => jest.advanceTimersByTime(1));
    expect(renders).toBe(rendersAtStart + 1);
    expect(result.current).toBe(Date.parse('2024-05-01T10:00:05.000Z'));

    act(() => jest.advanceTimersByTime(55_000));
    expect(renders).toBe(rendersAtStart + 2);
    expect(result.current).toBe(Date.parse('2024-05-01T10:01:00.000Z'));

    // Nothing left to wait for.
    act(() => jest.advanceTimersByTime(3_600_000));
    expect(renders).toBe(rendersAtStart + 2);
  });
});
