import { readPromotionConfig } from './config';
import { evaluateGate } from './gate';
import { FlowFacts, PromotionPolicy } from './types';
import {
  deployment,
  entityRef,
  facts,
  now,
  readyForProduction,
  rollback,
  standingApproval,
} from './__fixtures__/flowFacts';
import { seedsPromotionConfig } from './__fixtures__/promotionConfig';

/*
 * A freeze window in force closes the gate into its environments whatever
 * else is met, and says until when and why; the rollback target still goes
 * back. `now` (Monday 2025-03-10 12:00 UTC) is inside the window.
 */

const policy: PromotionPolicy = readPromotionConfig({
  ...seedsPromotionConfig,
  freezeWindows: [
    {
      environments: ['production'],
      reason: 'quarter-end close',
      timeZone: 'Europe/Paris',
      start: '2025-03-10T00:00',
      end: '2025-03-12T06:00',
    },
  ],
}).policies.standard;

const gate = (environmentId: string, flow: FlowFacts, version = '1.4.0') =>
  evaluateGate({
    entityRef,
    policy,
    facts: flow,
    environmentId,
    version,
    now,
  });

const approved = (): FlowFacts => ({
  ...readyForProduction(policy),
  standingApprovals: [standingApproval('production')],
});

const frozen = {
  code: 'frozen',
  environmentId: 'production',
  message:
    'Production is frozen until Wed 06:00 Europe/Paris: quarter-end close',
};

describe('the gate during a freeze window', () => {
  it('is closed with the frozen sentence and answers with the window when everything else is met', () => {
    expect(gate('production', approved())).toEqual({
      entityRef,
      environmentId: 'production',
      version: '1.4.0',
      open: false,
      unmetConditions: [frozen],
      approvedBy: 'standing-approval',
      freeze: {
        environmentId: 'production',
        reason: 'quarter-end close',
        timeZone: 'Europe/Paris',
        start: '2025-03-10T00:00:00+01:00',
        end: '2025-03-12T06:00:00+01:00',
        active: true,
        message: 'Frozen until Wed 06:00 Europe/Paris: quarter-end close',
      },
    });
  });

  it('adds the freeze last, after the other unmet conditions', () => {
    expect(
      gate('production', readyForProduction(policy)).unmetConditions.map(
        c => c.code,
      ),
    ).toEqual(['approval-required', 'frozen']);
  });

  it('leaves the environments it does not name open', () => {
    const result = gate('test', readyForProduction(policy));
    expect(result.open).toBe(true);
    expect(result).not.toHaveProperty('freeze');
  });

  it('is open again once the window has ended', () => {
    const result = evaluateGate({
      entityRef,
      policy,
      facts: approved(),
      environmentId: 'production',
      version: '1.4.0',
      now: new Date('2025-03-12T05:00:00Z'),
    });
    expect(result).toMatchObject({ open: true, unmetConditions: [] });
    expect(result).not.toHaveProperty('freeze');
  });

  it('never blocks the redeploy of a rollback target', () => {
    const back = rollback('production', '1.1.0', {
      toVersion: '1.0.0',
      recordedAt: '2025-03-10T09:00:00.000Z',
    });
    const flow = facts({
      deployments: [
        deployment('production', '1.0.0', {
          reportedAt: '2025-03-02T10:00:00.000Z',
        }),
        deployment('production', '1.1.0', {
          reportedAt: '2025-03-03T10:00:00.000Z',
          rolledBackAt: back.recordedAt,
          rollbackId: back.id,
        }),
      ],
      rollbacks: [back],
    });
    expect(gate('production', flow, '1.0.0')).toEqual({
      entityRef,
      environmentId: 'production',
      version: '1.0.0',
      open: true,
      unmetConditions: [],
      approvedBy: 'rollback-target',
    });
    // Any other version waits for the end of the freeze.
    expect(gate('production', flow, '1.2.0').unmetConditions).toContainEqual(
      frozen,
    );
  });
});

describe('break-glass during a freeze window', () => {
  it('overrides the freeze with the other unmet conditions, and still answers with the window', () => {
    const result = gate('production', {
      ...approved(),
      breakGlasses: [
        {
          id: 'bg-1',
          entityRef,
          environmentId: 'production',
          version: '1.4.0',
          status: 'approved',
          reason: 'Payments fail',
          incidentLink: 'https://incidents.example.com/1',
          declaredBy: 'user:default/alice',
          declaredAt: '2025-03-10T11:00:00.000Z',
          approvalsNeeded: 1,
          expiresAt: '2025-03-11T11:00:00.000Z',
          overriddenConditions: [],
        },
      ],
    });
    expect(result).toMatchObject({
      open: true,
      unmetConditions: [],
      approvedBy: 'break-glass',
      breakGlassId: 'bg-1',
      overriddenConditions: [frozen],
      freeze: { active: true, reason: 'quarter-end close' },
    });
  });
});
