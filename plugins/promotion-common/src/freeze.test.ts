import { readPromotionConfig } from './config';
import {
  activeFreeze,
  currentOrNextFreeze,
  formatFreezeTime,
  frozenCondition,
  nextFreeze,
} from './freeze';
import { EnvironmentDefinition } from './types';

/*
 * Freeze windows in their time zones: one-off and recurring, at their
 * boundaries (start included, end excluded) and across daylight saving time.
 */

/** Production of a one-environment ladder, with these windows, read as app-config is. */
function production(
  freezeWindows: unknown[],
): Pick<EnvironmentDefinition, 'id' | 'title' | 'freezeWindows'> {
  const config = readPromotionConfig({
    policies: {
      p: {
        environments: [{ id: 'production', title: 'Production' }],
        freezeWindows: freezeWindows.map(w => ({
          environments: ['production'],
          ...(w as object),
        })),
      },
    },
  });
  return config.policies.p.environments[0];
}

const at = (iso: string) => new Date(iso);

describe('one-off freeze windows', () => {
  const christmas = production([
    {
      reason: 'Christmas freeze',
      timeZone: 'Europe/Paris',
      start: '2026-12-24T18:00',
      end: '2026-12-28T06:00',
    },
  ]);

  it('reads start and end as local times of the window’s zone', () => {
    expect(christmas.freezeWindows).toEqual([
      {
        reason: 'Christmas freeze',
        timeZone: 'Europe/Paris',
        start: '2026-12-24T18:00:00.000+01:00',
        end: '2026-12-28T06:00:00.000+01:00',
        configuredIn: 'policy',
      },
    ]);
  });

  it('is in force from its start, included, to its end, excluded', () => {
    expect(activeFreeze(christmas, at('2026-12-24T16:59:59.999Z'))).toBe(
      undefined,
    );
    expect(activeFreeze(christmas, at('2026-12-24T17:00:00.000Z'))).toEqual({
      environmentId: 'production',
      reason: 'Christmas freeze',
      timeZone: 'Europe/Paris',
      start: '2026-12-24T18:00:00+01:00',
      end: '2026-12-28T06:00:00+01:00',
      active: true,
      message: 'Frozen until Mon 06:00 Europe/Paris: Christmas freeze',
    });
    expect(
      activeFreeze(christmas, at('2026-12-28T04:59:59.999Z')),
    ).toBeDefined();
    expect(activeFreeze(christmas, at('2026-12-28T05:00:00.000Z'))).toBe(
      undefined,
    );
  });

  it('is the next window before it starts and nothing after it ended', () => {
    expect(nextFreeze(christmas, at('2026-12-01T00:00:00Z'))).toMatchObject({
      start: '2026-12-24T18:00:00+01:00',
      active: false,
    });
    expect(currentOrNextFreeze(christmas, at('2026-12-29T00:00:00Z'))).toBe(
      undefined,
    );
  });
});

describe('recurring freeze windows', () => {
  // Every weekend in Paris: Saturday 00:00 to Monday 06:00, local time.
  const weekends = production([
    {
      reason: 'weekend',
      timeZone: 'Europe/Paris',
      cron: '0 0 * * 6',
      duration: { days: 2, hours: 6 },
    },
  ]);

  it('keeps the cron expression and the duration as ISO 8601', () => {
    expect(weekends.freezeWindows).toEqual([
      {
        reason: 'weekend',
        timeZone: 'Europe/Paris',
        cron: '0 0 * * 6',
        duration: 'P2DT6H',
        configuredIn: 'policy',
      },
    ]);
  });

  it('starts at the cron time in the window’s zone, included, and ends after its duration, excluded', () => {
    // Saturday 2026-11-28 00:00 in Paris is 2026-11-27 23:00 UTC.
    expect(activeFreeze(weekends, at('2026-11-27T22:59:59.999Z'))).toBe(
      undefined,
    );
    expect(activeFreeze(weekends, at('2026-11-27T23:00:00.000Z'))).toEqual({
      environmentId: 'production',
      reason: 'weekend',
      timeZone: 'Europe/Paris',
      start: '2026-11-28T00:00:00+01:00',
      end: '2026-11-30T06:00:00+01:00',
      active: true,
      message: 'Frozen until Mon 06:00 Europe/Paris: weekend',
    });
    expect(
      activeFreeze(weekends, at('2026-11-30T04:59:59.999Z')),
    ).toBeDefined();
    expect(activeFreeze(weekends, at('2026-11-30T05:00:00.000Z'))).toBe(
      undefined,
    );
  });

  it('names the next occurrence between two', () => {
    expect(nextFreeze(weekends, at('2026-12-02T12:00:00Z'))).toEqual({
      environmentId: 'production',
      reason: 'weekend',
      timeZone: 'Europe/Paris',
      start: '2026-12-05T00:00:00+01:00',
      end: '2026-12-07T06:00:00+01:00',
      active: false,
      message: 'Next freeze from Sat 00:00 to Mon 06:00 Europe/Paris: weekend',
    });
  });

  it('ends at the same wall-clock hour across the change from summer time', () => {
    // Paris leaves summer time on Sunday 2026-10-25: the weekend is an hour longer.
    expect(activeFreeze(weekends, at('2026-10-24T12:00:00Z'))).toMatchObject({
      start: '2026-10-24T00:00:00+02:00',
      end: '2026-10-26T06:00:00+01:00',
    });
    expect(activeFreeze(weekends, at('2026-10-26T04:30:00Z'))).toBeDefined();
    expect(activeFreeze(weekends, at('2026-10-26T05:00:00Z'))).toBe(undefined);
  });

  it('starts at the local cron time across the change to summer time', () => {
    // Paris enters summer time on Sunday 2026-03-29 at 02:00: 03:00 local is 01:00 UTC.
    const nightly = production([
      {
        reason: 'nightly batch',
        timeZone: 'Europe/Paris',
        cron: '0 3 * * *',
        duration: 'PT1H',
      },
    ]);
    expect(activeFreeze(nightly, at('2026-03-29T01:00:00Z'))).toMatchObject({
      start: '2026-03-29T03:00:00+02:00',
      end: '2026-03-29T04:00:00+02:00',
    });
    expect(activeFreeze(nightly, at('2026-03-28T02:00:00Z'))).toMatchObject({
      start: '2026-03-28T03:00:00+01:00',
    });
    expect(activeFreeze(nightly, at('2026-03-29T02:00:00Z'))).toBe(undefined);
  });

  it('reads the same instant differently in another zone', () => {
    const newYork = production([
      {
        reason: 'weekend',
        timeZone: 'America/New_York',
        cron: '0 0 * * 6',
        duration: { days: 2 },
      },
    ]);
    // Saturday 00:00 in Paris is Friday 18:00 in New York.
    expect(activeFreeze(newYork, at('2026-11-27T23:00:00Z'))).toBe(undefined);
    expect(activeFreeze(newYork, at('2026-11-28T05:00:00Z'))).toMatchObject({
      start: '2026-11-28T00:00:00-05:00',
      end: '2026-11-30T00:00:00-05:00',
    });
  });

  it('takes, of windows in force together, the one that ends last', () => {
    const both = production([
      {
        reason: 'weekend',
        timeZone: 'Europe/Paris',
        cron: '0 0 * * 6',
        duration: { days: 2, hours: 6 },
      },
      {
        reason: 'quarter-end close',
        timeZone: 'Europe/Paris',
        // The last days of each quarter: from the 28th of March, June, September, December.
        cron: '0 0 28 3,6,9,12 *',
        duration: { days: 5 },
      },
    ]);
    expect(activeFreeze(both, at('2026-12-28T12:00:00Z'))).toMatchObject({
      reason: 'quarter-end close',
      end: '2027-01-02T00:00:00+01:00',
    });
    expect(nextFreeze(both, at('2026-12-23T12:00:00Z'))).toMatchObject({
      reason: 'weekend',
      start: '2026-12-26T00:00:00+01:00',
    });
  });
});

describe('the frozen sentence', () => {
  const now = at('2026-11-28T10:00:00Z');

  it('names the end in the window’s zone with its weekday when it is within six days', () => {
    expect(
      frozenCondition(
        { id: 'production', title: 'Production' },
        {
          environmentId: 'production',
          reason: 'quarter-end close',
          timeZone: 'Europe/Paris',
          start: '2026-11-28T00:00:00+01:00',
          end: '2026-11-30T06:00:00+01:00',
          active: true,
          message: 'Frozen until Mon 06:00 Europe/Paris: quarter-end close',
        },
        now,
      ),
    ).toEqual({
      code: 'frozen',
      environmentId: 'production',
      message:
        'Production is frozen until Mon 06:00 Europe/Paris: quarter-end close',
    });
  });

  it('adds the date to a time further away', () => {
    expect(
      formatFreezeTime('2027-01-04T06:00:00+01:00', 'Europe/Paris', now),
    ).toBe('Mon 4 Jan 2027 06:00 Europe/Paris');
    expect(formatFreezeTime('2026-11-30T05:00:00Z', 'Asia/Tokyo', now)).toBe(
      'Mon 14:00 Asia/Tokyo',
    );
  });
});
