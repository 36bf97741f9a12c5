import { formatCountdown, formatWait } from './format';

describe('formatCountdown', () => {
  it('rounds up to whole seconds and never goes negative', () => {
    expect(formatCountdown(899_001)).toBe('15:00');
    expect(formatCountdown(61_000)).toBe('1:01');
    expect(formatCountdown(3_723_000)).toBe('1:02:03');
    expect(formatCountdown(-5)).toBe('0:00');
  });
});

describe('formatWait', () => {
  it('says the minimum wait in words', () => {
    expect(formatWait(900)).toBe('15 minutes');
    expect(formatWait(5400)).toBe('1 hour 30 minutes');
    expect(formatWait(1)).toBe('1 second');
    expect(formatWait(0)).toBe('0 seconds');
  });
});
