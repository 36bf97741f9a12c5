import { readPromotionConfig } from './config';
import { seedsPromotionConfig } from './__fixtures__/promotionConfig';

/** The seeds fixture (policies `standard` and `regulated`) changed by `change`. */
function seedsWith(change: (config: any) => void): unknown {
  const config = JSON.parse(JSON.stringify(seedsPromotionConfig));
  change(config);
  return config;
}

/** The problems `readPromotionConfig` reports, one per line. */
function problemsOf(raw: unknown): string[] {
  try {
    readPromotionConfig(raw);
  } catch (error) {
    const [heading, ...problems] = (error as Error).message.split('\n');
    expect(heading).toBe('Invalid Promotion configuration:');
    return problems;
  }
  throw new Error('expected the configuration to be rejected');
}

const weekend = {
  environments: ['production'],
  reason: 'weekend',
  timeZone: 'Europe/Paris',
  cron: '0 0 * * 6',
  duration: { days: 2, hours: 6 },
};

describe('freeze windows in the configuration', () => {
  it('gives portal-wide windows to the environment of that id on every policy, and a policy’s own to its ladder only', () => {
    const config = readPromotionConfig(
      seedsWith(c => {
        c.freezeWindows = [weekend];
        c.policies.standard.freezeWindows = [
          {
            environments: ['test'],
            reason: 'test lab move',
            timeZone: 'UTC',
            start: '2026-12-01T08:00',
            end: '2026-12-01T12:00',
          },
        ];
      }),
    );
    const windowsOf = (policy: string) =>
      Object.fromEntries(
        config.policies[policy].environments.map(e => [
          e.id,
          (e.freezeWindows ?? []).map(w => `${w.configuredIn}: ${w.reason}`),
        ]),
      );
    expect(windowsOf('standard')).toEqual({
      dev: [],
      test: ['policy: test lab move'],
      production: ['portal: weekend'],
      dr: [],
    });
    expect(windowsOf('regulated')).toMatchObject({
      production: ['portal: weekend'],
    });
    // An environment with no window carries none.
    expect(config.policies.standard.environments[0]).not.toHaveProperty(
      'freezeWindows',
    );
  });

  it('names the key of every bad window at start-up', () => {
    expect(
      problemsOf(
        seedsWith(c => {
          c.freezeWindows = [
            { ...weekend, timeZone: 'Europe/Atlantis' },
            { ...weekend, environments: ['prod'] },
            { ...weekend, cron: 'every saturday' },
            { ...weekend, duration: 'PT0S' },
            { ...weekend, reason: ' ' },
            {
              environments: ['production'],
              reason: 'release',
              timeZone: 'UTC',
              start: '2026-12-24T18:00',
              end: '2026-12-24T06:00',
            },
            {
              environments: ['production'],
              reason: 'release',
              timeZone: 'UTC',
              start: 'Christmas Eve',
              end: '2026-12-28T06:00',
            },
            { ...weekend, start: '2026-12-24T18:00' },
            { environments: ['production'], reason: 'x', timeZone: 'UTC' },
            { ...weekend, duration: undefined },
          ];
          c.policies.regulated.freezeWindows = [
            { ...weekend, environments: ['dr'] },
          ];
        }),
      ),
    ).toEqual([
      'promotion.freezeWindows[0].timeZone: unknown time zone "Europe/Atlantis": use an IANA name such as "Europe/Paris" or "UTC"',
      expect.stringMatching(
        /^promotion\.freezeWindows\[2\]\.cron: "every saturday" is not a cron expression \(.+\)$/,
      ),
      'promotion.freezeWindows[3].duration: must be longer than zero',
      'promotion.freezeWindows[4].reason: must not be empty',
      'promotion.freezeWindows[5].end: must be after start',
      'promotion.freezeWindows[6].start: "Christmas Eve" is not a date-time: use ISO 8601 such as "2026-12-24T18:00"',
      'promotion.freezeWindows[7].cron: a window is either one-off (start and end) or recurring (cron and duration), not both',
      'promotion.freezeWindows[8].start: give start and end (a one-off window) or cron and duration (a recurring one)',
      'promotion.freezeWindows[9].duration: is needed with cron',
      'promotion.policies.regulated.freezeWindows[0].environments[0]: names no environment of this policy\'s ladder: "dr"',
      'promotion.freezeWindows[1].environments[0]: names no environment of any policy: "prod"',
    ]);
  });

  it('names a portal-wide window’s environment that no policy has', () => {
    expect(
      problemsOf(
        seedsWith(c => {
          c.freezeWindows = [weekend, { ...weekend, environments: ['prod'] }];
        }),
      ),
    ).toEqual([
      'promotion.freezeWindows[1].environments[0]: names no environment of any policy: "prod"',
    ]);
  });
});
