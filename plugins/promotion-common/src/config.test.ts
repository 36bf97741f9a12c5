import { z } from 'zod';
import {
  durationToSeconds,
  getPolicyForEntity,
  normaliseApproverRef,
  promotionConfigSchema,
  readPromotionConfig,
} from './config';
import { seedsPromotionConfig } from './__fixtures__/promotionConfig';

/** A deep copy of the seeds fixture, changed by `change`. */
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

describe('readPromotionConfig', () => {
  it('reads the seeds-based configuration and applies the defaults', () => {
    const config = readPromotionConfig(seedsPromotionConfig);

    expect(config.requestExpirySeconds).toBe(14 * 24 * 3600);
    expect(config.reminderIntervalSeconds).toBe(24 * 3600);
    expect(Object.keys(config.policies)).toEqual(['standard', 'regulated']);

    const standard = config.policies.standard;
    expect(standard.name).toBe('standard');
    expect(standard.title).toBe('Standard release ladder');
    expect(standard.environments.map(e => [e.id, e.title])).toEqual([
      ['dev', 'Dev'],
      ['test', 'Test'],
      ['production', 'Production'],
      ['dr', 'DR'],
    ]);

    const [dev, test, production, dr] = standard.environments;
    expect(dev.checklist.map(item => item.id)).toEqual([
      'code-reviewed',
      'tests-passing',
      'no-open-blockers',
      'release-notes-prepared',
      'estimate-approved',
    ]);
    expect(dev.checklist[0]).toEqual({
      id: 'code-reviewed',
      title: 'Code reviewed and merged to main branch',
      scope: 'version',
      evidenceRequired: false,
      resetOnRollback: true,
    });
    expect(dev.checklist[3].evidenceRequired).toBe(true);
    expect(dev.checklist[4].description).toMatch(/non-routine/);
    expect(dev.signOff).toEqual({ required: false });
    expect(dev.approval).toEqual({
      mode: 'none',
      approvers: [],
      minApprovers: 1,
      allowSelfApproval: false,
    });
    expect(dev.postDeployment).toEqual([]);
    expect(dev.postDeploymentRules).toEqual({
      blocksNextVersion: false,
      dueWithinSeconds: 24 * 3600,
    });
    expect(dev.rollback).toEqual({ earlierVersionsDeployable: false });

    expect(test.checklist).toHaveLength(9);
    expect(test.checklist[0].scope).toBe('flow');
    expect(test.checklist[1].scope).toBe('version');
    expect(test.signOff).toEqual({ required: true });

    expect(production.approval).toEqual({
      mode: 'once',
      approvers: ['group:default/approvers'],
      minApprovers: 1,
      allowSelfApproval: false,
    });
    expect(
      production.postDeployment.map(item => [item.id, item.minimumWaitSeconds]),
    ).toEqual([
      ['monitor-logs', 900],
      ['critical-paths', 0],
      ['uptime-green', 0],
      ['release-notes-delivered', 0],
      ['time-logged', 0],
      ['tickets-closed', 0],
    ]);
    expect(production.postDeployment[3].evidenceRequired).toBe(true);
    expect(production.postDeploymentRules).toEqual({
      blocksNextVersion: true,
      dueWithinSeconds: 24 * 3600,
      releaseNotesItemId: 'release-notes-delivered',
    });
    expect(production.rollback).toEqual({ earlierVersionsDeployable: false });

    expect(dr).toEqual({
      id: 'dr',
      title: 'DR',
      checklist: [],
      signOff: { required: false },
      approval: {
        mode: 'none',
        approvers: [],
        minApprovers: 1,
        allowSelfApproval: false,
      },
      postDeployment: [],
      postDeploymentRules: {
        blocksNextVersion: false,
        dueWithinSeconds: 24 * 3600,
      },
      rollback: { earlierVersionsDeployable: false },
    });

    const regulatedProduction = config.policies.regulated.environments[2];
    expect(regulatedProduction.approval).toEqual({
      mode: 'every',
      approvers: ['group:default/approvers', 'user:default/director'],
      minApprovers: 2,
      allowSelfApproval: false,
    });
    expect(regulatedProduction.postDeployment[0].minimumWaitSeconds).toBe(900);
    // No item named release-notes-delivered: no release notes item.
    expect(regulatedProduction.postDeploymentRules).toEqual({
      blocksNextVersion: true,
      dueWithinSeconds: 24 * 3600,
    });
    expect(config.supersedeOlderRequests).toBe(true);
  });

  it('reads the rollback and post-deployment rules a policy sets', () => {
    const config = readPromotionConfig(
      seedsWith(c => {
        c.supersedeOlderRequests = false;
        c.policies.standard.environments[1].checklist[0].resetOnRollback =
          false;
        const production = c.policies.standard.environments[2];
        production.postDeployment.blocksNextVersion = false;
        production.postDeployment.dueWithin = 'PT4H';
        production.postDeployment.releaseNotesItem = 'time-logged';
        production.rollback = { earlierVersionsDeployable: true };
        c.policies.regulated.environments[2].postDeployment.dueWithin = {
          minutes: 90,
        };
      }),
    );
    expect(config.supersedeOlderRequests).toBe(false);
    const [, test, production] = config.policies.standard.environments;
    expect(test.checklist.map(item => item.resetOnRollback)).toEqual([
      false,
      ...Array(8).fill(true),
    ]);
    expect(production.postDeploymentRules).toEqual({
      blocksNextVersion: false,
      dueWithinSeconds: 4 * 3600,
      releaseNotesItemId: 'time-logged',
    });
    expect(production.rollback).toEqual({ earlierVersionsDeployable: true });
    expect(
      config.policies.regulated.environments[2].postDeploymentRules
        .dueWithinSeconds,
    ).toBe(90 * 60);
  });

  it('accepts a zero grace and a post-deployment rule on an empty checklist', () => {
    const config = readPromotionConfig({
      policies: {
        p: {
          environments: [
            {
              id: 'production',
              postDeployment: {
                checklist: [],
                blocksNextVersion: true,
                dueWithin: 'PT0S',
              },
            },
          ],
        },
      },
    });
    expect(config.policies.p.environments[0].postDeploymentRules).toEqual({
      blocksNextVersion: true,
      dueWithinSeconds: 0,
    });
  });

  it('reads break-glass with its defaults, and none where it is not configured', () => {
    const config = readPromotionConfig(
      seedsWith(c => {
        c.policies.standard.environments[2].breakGlass = {
          onCallGroups: ['group:on-call', 'group:default/On-Call'],
        };
        c.policies.regulated.environments[2].breakGlass = {
          approvals: 0,
          validFor: 'PT4H',
        };
      }),
    );
    const [dev, , production] = config.policies.standard.environments;
    expect(dev.breakGlass).toBeUndefined();
    expect(production.breakGlass).toEqual({
      approvals: 1,
      onCallGroups: ['group:default/on-call'],
      validForSeconds: 24 * 3600,
    });
    expect(config.policies.regulated.environments[2].breakGlass).toEqual({
      approvals: 0,
      onCallGroups: [],
      validForSeconds: 4 * 3600,
    });
  });

  it('rejects a break-glass that needs an approval nobody can give, a user as on-call group and a bad validity', () => {
    expect(() =>
      readPromotionConfig(
        seedsWith(c => {
          c.policies.standard.environments[0].breakGlass = {};
          c.policies.standard.environments[2].breakGlass = {
            approvals: 2,
            onCallGroups: ['user:default/jane'],
            validFor: 'PT0S',
          };
        }),
      ),
    ).toThrow(
      [
        'Invalid Promotion configuration:',
        'promotion.policies.standard.environments[0].breakGlass.approvals: a break-glass that needs an approval needs approval.approvers to give it; list them, or set approvals to 0',
        'promotion.policies.standard.environments[2].breakGlass.approvals: must be 0 or 1',
        'promotion.policies.standard.environments[2].breakGlass.onCallGroups[0]: invalid on-call group "user:default/jane": use a group entity ref such as "group:default/on-call"',
        'promotion.policies.standard.environments[2].breakGlass.validFor: must be longer than zero',
      ].join('\n'),
    );
  });

  it('reads a missing promotion key as no policies', () => {
    expect(readPromotionConfig(undefined)).toEqual({
      policies: {},
      requestExpirySeconds: 14 * 24 * 3600,
      reminderIntervalSeconds: 24 * 3600,
      supersedeOlderRequests: true,
      insights: { productionEnvironments: ['production'], maxRangeDays: 366 },
    });
  });

  it('reads who completes a checklist item: people by default, the pipeline, or both', () => {
    const config = readPromotionConfig({
      policies: {
        attested: {
          environments: [
            {
              id: 'test',
              checklist: [
                { id: 'code-reviewed', title: 'Code reviewed' },
                { id: 'signed', title: 'Signed', attestedBy: 'person' },
                {
                  id: 'tests-passing',
                  title: 'Tests passing',
                  attestedBy: 'both',
                },
                { id: 'sast', title: 'SAST clean', attestedBy: 'pipeline' },
              ],
              postDeployment: {
                checklist: [
                  {
                    id: 'synthetics',
                    title: 'Synthetic checks green',
                    attestedBy: 'pipeline',
                  },
                ],
              },
            },
          ],
        },
      },
    });
    const [test] = config.policies.attested.environments;
    expect(test.checklist.map(item => item.attestedBy)).toEqual([
      undefined,
      undefined,
      'both',
      'pipeline',
    ]);
    expect(test.postDeployment[0].attestedBy).toBe('pipeline');
    expect(
      problemsOf({
        policies: {
          attested: {
            environments: [
              {
                id: 'test',
                checklist: [{ id: 'x', title: 'X', attestedBy: 'robot' }],
              },
            ],
          },
        },
      }),
    ).toEqual([
      'promotion.policies.attested.environments[0].checklist[0].attestedBy: invalid attestedBy "robot": use "person", "pipeline" or "both"',
    ]);
  });

  it('reads the insights settings and refuses bad ones with their path', () => {
    expect(
      readPromotionConfig({
        insights: { productionEnvironments: ['prod', 'dr'], maxRangeDays: 90 },
      }).insights,
    ).toEqual({ productionEnvironments: ['prod', 'dr'], maxRangeDays: 90 });
    expect(() =>
      readPromotionConfig({ insights: { productionEnvironments: [] } }),
    ).toThrow(
      'promotion.insights.productionEnvironments: must name at least one environment',
    );
    expect(() => readPromotionConfig({ insights: { maxRangeDays: 0 } })).toThrow(
      'promotion.insights.maxRangeDays: must be at least 1',
    );
    expect(() => readPromotionConfig({ insights: { days: 3 } })).toThrow(
      'promotion.insights.days: unknown key',
    );
  });

  it('uses the environment id as its title when it has none', () => {
    const config = readPromotionConfig({
      policies: { minimal: { environments: [{ id: 'dev' }] } },
    });
    expect(config.policies.minimal.title).toBeUndefined();
    expect(config.policies.minimal.environments[0].title).toBe('dev');
  });

  it('reads the request expiry as an ISO 8601 string', () => {
    expect(
      readPromotionConfig({ requestExpiry: 'P1DT12H' }).requestExpirySeconds,
    ).toBe(36 * 3600);
  });

  it('reads the reminder interval as a duration object or an ISO 8601 string', () => {
    expect(
      readPromotionConfig({ reminderInterval: { hours: 4 } })
        .reminderIntervalSeconds,
    ).toBe(4 * 3600);
    expect(
      readPromotionConfig({ reminderInterval: 'PT30M' })
        .reminderIntervalSeconds,
    ).toBe(30 * 60);
  });

  it('normalises approver refs and drops duplicates', () => {
    const config = readPromotionConfig({
      policies: {
        p: {
          environments: [
            {
              id: 'production',
              approval: {
                mode: 'every',
                approvers: ['user:Jane', 'user:default/jane', 'group:ops/SRE'],
                allowSelfApproval: true,
              },
            },
          ],
        },
      },
    });
    expect(config.policies.p.environments[0].approval).toEqual({
      mode: 'every',
      approvers: ['user:default/jane', 'group:ops/sre'],
      minApprovers: 1,
      allowSelfApproval: true,
    });
  });

  it('accepts minApprovers above the number of approvers when a group is among them', () => {
    expect(() =>
      readPromotionConfig(
        seedsWith(c => {
          c.policies.regulated.environments[2].approval.minApprovers = 5;
        }),
      ),
    ).not.toThrow();
  });

  describe('names the config path of every problem', () => {
    it('rejects a duplicate environment id', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[3].id = 'production';
          }),
        ),
      ).toEqual([
        'promotion.policies.standard.environments[3].id: duplicate environment id "production"',
      ]);
    });

    it('rejects environment ids that differ only in case', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[3].id = 'Production';
          }),
        ),
      ).toEqual([
        'promotion.policies.standard.environments[3].id: duplicate environment id "Production"',
      ]);
    });

    it('rejects a duplicate checklist item id within an environment', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[1].checklist[2].id = 'smoke-tests';
          }),
        ),
      ).toEqual([
        'promotion.policies.standard.environments[1].checklist[2].id: duplicate checklist item id "smoke-tests"',
      ]);
    });

    it('allows the same item id in different environments', () => {
      // `tests-passing` is a Dev item; a Test item may use the same id.
      expect(() =>
        readPromotionConfig(
          seedsWith(c => {
            c.policies.standard.environments[1].checklist[2].id =
              'tests-passing';
          }),
        ),
      ).not.toThrow();
    });

    it('rejects a duplicate post-deployment item id', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[2].postDeployment.checklist[5].id =
              'time-logged';
          }),
        ),
      ).toEqual([
        'promotion.policies.standard.environments[2].postDeployment.checklist[5].id: duplicate post-deployment item id "time-logged"',
      ]);
    });

    it('rejects a malformed environment id', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[2].id = 'pro duction';
          }),
        ),
      ).toEqual([
        expect.stringMatching(
          /^promotion\.policies\.standard\.environments\[2\]\.id: invalid environment id "pro duction"/,
        ),
      ]);
    });

    it('rejects a malformed checklist item id', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[0].checklist[1].id = '-tests';
          }),
        ),
      ).toEqual([
        expect.stringMatching(
          /^promotion\.policies\.standard\.environments\[0\]\.checklist\[1\]\.id: invalid checklist item id "-tests"/,
        ),
      ]);
    });

    it('rejects a malformed post-deployment item id', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[2].postDeployment.checklist[0].id =
              'monitor/logs';
          }),
        ),
      ).toEqual([
        expect.stringMatching(
          /^promotion\.policies\.standard\.environments\[2\]\.postDeployment\.checklist\[0\]\.id: invalid post-deployment item id "monitor\/logs"/,
        ),
      ]);
    });

    it('rejects a malformed policy name', () => {
      expect(
        problemsOf({
          policies: { 'my policy': { environments: [{ id: 'dev' }] } },
        }),
      ).toEqual([
        expect.stringMatching(
          /^promotion\.policies\.my policy: invalid policy name "my policy"/,
        ),
      ]);
    });

    it('rejects a policy without environments', () => {
      expect(problemsOf({ policies: { empty: { environments: [] } } })).toEqual(
        [
          'promotion.policies.empty.environments: must list at least one environment',
        ],
      );
      expect(problemsOf({ policies: { empty: {} } })).toEqual([
        'promotion.policies.empty.environments: must be a list of environments',
      ]);
    });

    it('rejects approval modes once and every without approvers', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[2].approval.approvers = [];
            delete c.policies.regulated.environments[2].approval.approvers;
            c.policies.regulated.environments[2].approval.minApprovers = 1;
          }),
        ),
      ).toEqual([
        'promotion.policies.standard.environments[2].approval.approvers: approval mode "once" needs at least one approver',
        'promotion.policies.regulated.environments[2].approval.approvers: approval mode "every" needs at least one approver',
      ]);
    });

    it('rejects minApprovers above the number of approving users', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.regulated.environments[2].approval.approvers = [
              'user:director',
              'user:default/director',
              'user:default/cfo',
            ];
            c.policies.regulated.environments[2].approval.minApprovers = 3;
          }),
        ),
      ).toEqual([
        'promotion.policies.regulated.environments[2].approval.minApprovers: needs 3 distinct approvers but only 2 users are configured',
      ]);
    });

    it('rejects minApprovers below 1', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.regulated.environments[2].approval.minApprovers = 0;
          }),
        ),
      ).toEqual([
        'promotion.policies.regulated.environments[2].approval.minApprovers: must be at least 1',
      ]);
    });

    it('rejects a fractional minApprovers', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.regulated.environments[2].approval.minApprovers = 1.5;
          }),
        ),
      ).toEqual([
        'promotion.policies.regulated.environments[2].approval.minApprovers: must be a whole number',
      ]);
    });

    it('rejects an unknown approval mode', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[2].approval.mode = 'twice';
          }),
        ),
      ).toEqual([
        expect.stringMatching(
          /^promotion\.policies\.standard\.environments\[2\]\.approval\.mode: /,
        ),
      ]);
    });

    it('rejects approvers that are not user or group refs', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[2].approval.approvers = [
              'group:default/approvers',
              'jane',
              'component:default/payments',
            ];
          }),
        ),
      ).toEqual([
        expect.stringMatching(
          /^promotion\.policies\.standard\.environments\[2\]\.approval\.approvers\[1\]: invalid approver "jane"/,
        ),
        expect.stringMatching(
          /^promotion\.policies\.standard\.environments\[2\]\.approval\.approvers\[2\]: invalid approver "component:default\/payments"/,
        ),
      ]);
    });

    it('rejects a negative minimum wait, as an object or a string', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[2].postDeployment.checklist[0].minimumWait =
              { minutes: -15 };
            c.policies.regulated.environments[2].postDeployment.checklist[0].minimumWait =
              '-PT15M';
          }),
        ),
      ).toEqual([
        'promotion.policies.standard.environments[2].postDeployment.checklist[0].minimumWait: must not be negative',
        'promotion.policies.regulated.environments[2].postDeployment.checklist[0].minimumWait: must not be negative',
      ]);
    });

    it('rejects a duration string that is not ISO 8601', () => {
      expect(problemsOf({ requestExpiry: 'two weeks' })).toEqual([
        'promotion.requestExpiry: "two weeks" is not an ISO 8601 duration',
      ]);
    });

    it('rejects a duration object with an unknown unit', () => {
      expect(problemsOf({ requestExpiry: { fortnights: 1 } })).toEqual([
        'promotion.requestExpiry.fortnights: unknown key',
      ]);
      expect(problemsOf({ requestExpiry: 14 })).toEqual([
        expect.stringMatching(/^promotion\.requestExpiry: must be a duration/),
      ]);
    });

    it('rejects a zero request expiry', () => {
      expect(problemsOf({ requestExpiry: { days: 0 } })).toEqual([
        'promotion.requestExpiry: must be longer than zero',
      ]);
    });

    it('rejects a reminder interval that is zero, negative or not a duration', () => {
      expect(problemsOf({ reminderInterval: { days: 0 } })).toEqual([
        'promotion.reminderInterval: must be longer than zero',
      ]);
      expect(problemsOf({ reminderInterval: '-P1D' })).toEqual([
        'promotion.reminderInterval: must be longer than zero',
      ]);
      expect(problemsOf({ reminderInterval: 'daily' })).toEqual([
        'promotion.reminderInterval: "daily" is not an ISO 8601 duration',
      ]);
      expect(problemsOf({ reminderInterval: { day: 1 } })).toEqual([
        'promotion.reminderInterval.day: unknown key',
      ]);
    });

    it('rejects unknown keys, so a misspelt rule is not silently ignored', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[1].signoff = { required: true };
          }),
        ),
      ).toEqual([
        'promotion.policies.standard.environments[1].signoff: unknown key',
      ]);
    });

    it('rejects a wrongly typed value', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[1].signOff.required = 'yes';
          }),
        ),
      ).toEqual([
        expect.stringMatching(
          /^promotion\.policies\.standard\.environments\[1\]\.signOff\.required: /,
        ),
      ]);
    });

    it('rejects bad rollback and post-deployment rules', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.supersedeOlderRequests = 'yes';
            c.policies.standard.environments[1].checklist[0].resetOnRollback =
              'no';
            const production = c.policies.standard.environments[2];
            production.postDeployment.blocksNextVersion = 1;
            production.postDeployment.dueWithin = { hours: -4 };
            production.rollback = { earlierVersionsDeployable: 'true' };
            c.policies.regulated.environments[2].postDeployment.dueWithin =
              'four hours';
            c.policies.regulated.environments[2].rollback = { earlier: true };
          }),
        ),
      ).toEqual([
        expect.stringMatching(/^promotion\.supersedeOlderRequests: /),
        expect.stringMatching(
          /^promotion\.policies\.standard\.environments\[1\]\.checklist\[0\]\.resetOnRollback: /,
        ),
        expect.stringMatching(
          /^promotion\.policies\.standard\.environments\[2\]\.postDeployment\.blocksNextVersion: /,
        ),
        'promotion.policies.standard.environments[2].postDeployment.dueWithin: must not be negative',
        expect.stringMatching(
          /^promotion\.policies\.standard\.environments\[2\]\.rollback\.earlierVersionsDeployable: /,
        ),
        'promotion.policies.regulated.environments[2].postDeployment.dueWithin: "four hours" is not an ISO 8601 duration',
        'promotion.policies.regulated.environments[2].rollback.earlier: unknown key',
      ]);
    });

    it('rejects a release notes item that names no post-deployment item', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[2].postDeployment.releaseNotesItem =
              'release-notes-prepared';
          }),
        ),
      ).toEqual([
        `promotion.policies.standard.environments[2].postDeployment.releaseNotesItem: names no item of this environment's post-deployment checklist: "release-notes-prepared"`,
      ]);
    });

    it('lists every problem, one per line', () => {
      expect(
        problemsOf(
          seedsWith(c => {
            c.policies.standard.environments[3].id = 'dev';
            c.policies.standard.environments[0].checklist[4].id = 'bad id';
            c.policies.regulated.environments[2].approval.minApprovers = 0;
          }),
        ),
      ).toEqual([
        expect.stringMatching(
          /^promotion\.policies\.standard\.environments\[0\]\.checklist\[4\]\.id: invalid checklist item id/,
        ),
        'promotion.policies.standard.environments[3].id: duplicate environment id "dev"',
        'promotion.policies.regulated.environments[2].approval.minApprovers: must be at least 1',
      ]);
    });
  });
});

describe('promotionConfigSchema', () => {
  it('can be turned into JSON schema for the documentation', () => {
    const jsonSchema = z.toJSONSchema(promotionConfigSchema, { io: 'input' });
    expect(jsonSchema).toMatchObject({
      type: 'object',
      properties: {
        requestExpiry: expect.anything(),
        reminderInterval: expect.anything(),
        policies: expect.anything(),
      },
    });
  });
});

describe('durationToSeconds', () => {
  it.each([
    [{ days: 14 }, 14 * 86400],
    [{ minutes: 15 }, 900],
    [{ weeks: 1, hours: 2, milliseconds: 500 }, 7 * 86400 + 7200.5],
    [{ years: 1, months: 1 }, 395 * 86400],
    [{}, 0],
    ['P14D', 14 * 86400],
    ['PT15M', 900],
    ['P1Y2M3W4DT5H6M7.5S', (365 + 60 + 21 + 4) * 86400 + 5 * 3600 + 367.5],
    ['PT0,5S', 0.5],
    ['-PT1M', -60],
  ])('converts %j', (duration, seconds) => {
    expect(durationToSeconds(duration)).toBeCloseTo(seconds, 6);
  });

  it.each(['P', 'PT', '14D', 'P1H', 'P1DT'])('rejects %j', duration => {
    expect(() => durationToSeconds(duration)).toThrow(
      `"${duration}" is not an ISO 8601 duration`,
    );
  });
});

describe('normaliseApproverRef', () => {
  it('puts refs without a namespace into the default namespace', () => {
    expect(normaliseApproverRef('user:jane')).toBe('user:default/jane');
    expect(normaliseApproverRef('Group:Ops/SRE')).toBe('group:ops/sre');
  });
});

describe('getPolicyForEntity', () => {
  const config = readPromotionConfig(seedsPromotionConfig);
  const entity = (annotations?: Record<string, string>) => ({
    metadata: { annotations },
  });

  it('finds the policy named by the annotation', () => {
    expect(
      getPolicyForEntity(
        config,
        entity({ 'promotion.io/policy': 'regulated' }),
      ),
    ).toEqual({ policyName: 'regulated', policy: config.policies.regulated });
  });

  it('reports a missing annotation', () => {
    expect(getPolicyForEntity(config, entity())).toEqual({
      problem: 'missing-annotation',
    });
    expect(
      getPolicyForEntity(config, entity({ 'promotion.io/policy': ' ' })),
    ).toEqual({ problem: 'missing-annotation' });
  });

  it('reports a policy that is not configured', () => {
    expect(
      getPolicyForEntity(config, entity({ 'promotion.io/policy': 'strict' })),
    ).toEqual({ policyName: 'strict', problem: 'unknown-policy' });
    expect(
      getPolicyForEntity(
        config,
        entity({ 'promotion.io/policy': 'constructor' }),
      ),
    ).toEqual({ policyName: 'constructor', problem: 'unknown-policy' });
  });
});
