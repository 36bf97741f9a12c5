import { act, renderHook } from '@testing-library/react';
import { useNow } from './useNow';

describe('useNow', () => {
  afterEach(() => {
    jest.useRealTimers();
  });

  it('re-renders every second while ticking', () => {
    jest.useFakeTimers({ now: new Date('2024-05-01T10:00:00.000Z') });
    let renders = 0;
    const { result } = renderHook(() => {
      renders++;
      return useNow(true);
    });
    const start = result.current;
    const rendersAtStart = renders;

    for (let second = 0; second < 3; second++) {
      act(() => jest.advanceTimersByTime(1000));
    }

    expect(result.current - start).toBe(3000);
    expect(renders - rendersAtStart).toBe(3);
  });

  it('does not re-render when not ticking', () => {
    jest.useFakeTimers();
    let renders = 0;
    renderHook(() => {
      renders++;
      return useNow(false);
    });
    const rendersAtStart = renders;

    act(() => jest.advanceTimersByTime(5000));

    expect(renders).toBe(rendersAtStart);
  });
});
