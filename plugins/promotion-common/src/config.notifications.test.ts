import { readPromotionConfig } from './config';
import { seedsPromotionConfig } from './__fixtures__/promotionConfig';

/** The seeds fixture with `promotion.notifications` set to `notifications`. */
function seedsWithNotifications(notifications: unknown): unknown {
  return {
    ...JSON.parse(JSON.stringify(seedsPromotionConfig)),
    notifications,
  };
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

describe('promotion.notifications', () => {
  it('reads the violation recipients as normalised entity refs, once each', () => {
    const config = readPromotionConfig(
      seedsWithNotifications({
        violationRecipients: [
          'group:default/compliance',
          'Group:Compliance',
          'user:ann',
        ],
      }),
    );
    expect(config.notifications).toEqual({
      violationRecipients: ['group:default/compliance', 'user:default/ann'],
    });
  });

  it('tells nobody else when not configured', () => {
    expect(
      readPromotionConfig(seedsPromotionConfig).notifications,
    ).toBeUndefined();
    expect(readPromotionConfig(seedsWithNotifications({}))).toMatchObject({
      notifications: { violationRecipients: [] },
    });
  });

  it('names the bad recipient and the unknown key', () => {
    expect(
      problemsOf(
        seedsWithNotifications({
          violationRecipients: ['group:default/compliance', 'compliance', 7],
          violationRecipient: ['group:default/compliance'],
        }),
      ),
    ).toEqual([
      'promotion.notifications.violationRecipients[1]: invalid recipient "compliance": use a user or group entity ref such as "group:default/compliance" or "user:default/jane"',
      expect.stringMatching(
        /^promotion\.notifications\.violationRecipients\[2\]: /,
      ),
      'promotion.notifications.violationRecipient: unknown key',
    ]);
  });
});
