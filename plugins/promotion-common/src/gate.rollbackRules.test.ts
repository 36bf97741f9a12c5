import {
  isResetByRollback,
  latestRollbackOfFlow,
  rollbackDeployableVersions,
} from './gateRollback';
import {
  EnvironmentDefinition,
  FlowFacts,
  PromotionPolicy,
  Rollback,
} from './types';
import {
  codes,
  completion,
  deployment,
  facts,
  gate,
  postDeploymentDone,
  regulated,
  rollback,
  signOff,
  standard,
  standingApproval,
  validated,
} from './__fixtures__/flowFacts';

/*
 * The gate's rules from seed 004 on rollbacks and post-deployment: the
 * revert to the previous working version is never blocked, the flow then
 * re-enters the process from the top, and a version's post-deployment
 * checklist binds the next version into its environment.
 */

const day = (d: number, time = '10:00:00') =>
  `2025-03-${String(d).padStart(2, '0')}T${time}.000Z`;

/** The policy with Production changed by `change`. */
function withProduction(
  policy: PromotionPolicy,
  change: Partial<EnvironmentDefinition>,
): PromotionPolicy {
  return {
    ...policy,
    environments: policy.environments.map(e =>
      e.id === 'production' ? { ...e, ...change } : e,
    ),
  };
}

/** The policy with every Test checklist item's `resetOnRollback` set. */
function testItemsResetOnRollback(
  policy: PromotionPolicy,
  resetOnRollback: boolean,
): PromotionPolicy {
  return {
    ...policy,
    environments: policy.environments.map(e =>
      e.id === 'test'
        ? {
            ...e,
            checklist: e.checklist.map(item => ({ ...item, resetOnRollback })),
          }
        : e,
    ),
  };
}

/** `version` through Dev and Test on `d`, every check done then. */
function climbed(policy: PromotionPolicy, version: string, d: number) {
  return {
    deployments: [
      deployment('dev', version, { reportedAt: day(d, '08:00:00') }),
      deployment('test', version, { reportedAt: day(d, '09:00:00') }),
    ],
    checklistCompletions: [
      ...validated(policy, 'dev', version),
      ...validated(policy, 'test', version),
    ].map(c => ({ ...c, completedAt: day(d, '09:30:00') })),
    signOffs: [
      { ...signOff('test', version), signedOffAt: day(d, '09:45:00') },
    ],
  };
}

/** `version` into Production on `d`, with its post-deployment checklist done. */
function inProduction(policy: PromotionPolicy, version: string, d: number) {
  return {
    deployments: [deployment('production', version, { reportedAt: day(d) })],
    checklistCompletions: postDeploymentDone(policy, 'production', version).map(
      c => ({ ...c, completedAt: day(d, '11:00:00') }),
    ),
  };
}

function merged(...parts: Array<Partial<FlowFacts>>): FlowFacts {
  return facts({
    deployments: parts.flatMap(p => p.deployments ?? []),
    checklistCompletions: parts.flatMap(p => p.checklistCompletions ?? []),
    signOffs: parts.flatMap(p => p.signOffs ?? []),
    standingApprovals: parts.flatMap(p => p.standingApprovals ?? []),
    requests: parts.flatMap(p => p.requests ?? []),
    rollbacks: parts.flatMap(p => p.rollbacks ?? []),
  });
}

/**
 * 0.9.0 (March 1), 1.0.0 (March 2) and 1.1.0 (March 3) climbed to
 * Production under a standing approval; on March 5 Production was rolled back
 * from 1.1.0 to 1.0.0 (`toVersion` as given, or left out), which revoked the
 * standing approval. 1.2.0 climbed Dev and Test on March 6, with its own
 * items only: the flow-scoped ones were completed before the rollback.
 */
function rolledBack(
  policy: PromotionPolicy = standard,
  toVersion: string | undefined = '1.0.0',
): FlowFacts {
  const back: Rollback = rollback('production', '1.1.0', {
    recordedAt: day(5),
    ...(toVersion !== undefined && { toVersion }),
  });
  const flow = merged(
    climbed(policy, '0.9.0', 1),
    inProduction(policy, '0.9.0', 1),
    climbed(policy, '1.0.0', 2),
    inProduction(policy, '1.0.0', 2),
    climbed(policy, '1.1.0', 3),
    inProduction(policy, '1.1.0', 3),
    climbed(policy, '1.2.0', 6),
    {
      standingApprovals: [
        standingApproval('production', {
          grantedAt: day(1, '07:00:00'),
          revokedAt: back.recordedAt,
          revokedBy: 'user:default/dev',
          revokeReason: 'Rollback of 1.1.0: Transfers failing',
        }),
      ],
      rollbacks: [back],
    },
  );
  flow.checklistCompletions = flow.checklistCompletions.filter(
    c => !(c.version === undefined && c.completedAt > back.recordedAt),
  );
  for (const d of flow.deployments) {
    if (d.environmentId === 'production' && d.version === '1.1.0') {
      d.rolledBackAt = back.recordedAt;
      d.rollbackId = back.id;
    }
  }
  return flow;
}

const productionGate = (
  flow: FlowFacts,
  version: string,
  policy: PromotionPolicy = standard,
) => gate('production', flow, policy, version);

describe('the revert to the previous working version', () => {
  it('opens the gate for the rollback target with no approval and no condition', () => {
    expect(productionGate(rolledBack(), '1.0.0')).toEqual({
      entityRef: 'component:default/payments-sftp',
      environmentId: 'production',
      version: '1.0.0',
      open: true,
      unmetConditions: [],
      approvedBy: 'rollback-target',
    });
  });

  it('keeps the revocation for every other version', () => {
    const flow = rolledBack();
    for (const version of ['1.2.0', '1.1.0', '0.9.0']) {
      expect(codes(productionGate(flow, version))).toContainEqual([
        'approval-revoked',
        'production',
      ]);
    }
    // Without the rollback's record the revocation hits the target too.
    expect(codes(productionGate({ ...flow, rollbacks: [] }, '1.0.0'))).toEqual([
      ['approval-revoked', 'production'],
    ]);
  });

  it('takes the version that stood before the reverted one when the rollback names none', () => {
    const flow = rolledBack(standard, undefined);
    expect(rollbackDeployableVersions(flow, standard.environments[2])).toEqual({
      rollback: flow.rollbacks![0],
      target: '1.0.0',
      versions: ['1.0.0'],
    });
    expect(productionGate(flow, '1.0.0').approvedBy).toBe('rollback-target');
  });

  it('skips the ladder: the target already climbed', () => {
    const flow = rolledBack();
    flow.signOffs = flow.signOffs.filter(s => s.version !== '1.0.0');
    flow.deployments.push(
      deployment('test', '1.0.0', {
        reportedAt: day(4),
        status: 'failed',
      }),
    );
    flow.checklistCompletions = flow.checklistCompletions.filter(
      c => !(c.environmentId === 'test' && c.version === '1.0.0'),
    );
    expect(productionGate(flow, '1.0.0')).toMatchObject({
      open: true,
      approvedBy: 'rollback-target',
    });
  });

  it('needs no approved request where every version needs one', () => {
    const flow = rolledBack(regulated);
    expect(productionGate(flow, '1.0.0', regulated)).toMatchObject({
      open: true,
      unmetConditions: [],
      approvedBy: 'rollback-target',
    });
    expect(codes(productionGate(flow, '1.2.0', regulated))).toEqual([
      ['approval-required', 'production'],
    ]);
  });

  it('stays open while the target is deployed again', () => {
    const flow = rolledBack();
    flow.deployments.push(
      deployment('production', '1.0.0', { reportedAt: day(5, '10:05:00') }),
      deployment('production', '1.0.0', { reportedAt: day(5, '10:10:00') }),
    );
    expect(productionGate(flow, '1.0.0').approvedBy).toBe('rollback-target');
  });

  it('ends once another version was deployed there after the rollback', () => {
    const flow = rolledBack();
    flow.deployments.push(
      deployment('production', '1.2.0', { reportedAt: day(7) }),
    );
    const result = productionGate(flow, '1.0.0');
    expect(result.approvedBy).toBeUndefined();
    expect(codes(result)).toContainEqual(['approval-revoked', 'production']);
  });

  it('is not ended by a failed deployment or by a deployment elsewhere', () => {
    const flow = rolledBack();
    flow.deployments.push(
      deployment('production', '1.2.0', {
        reportedAt: day(7),
        status: 'failed',
      }),
      deployment('dr', '1.2.0', { reportedAt: day(7) }),
    );
    expect(productionGate(flow, '1.0.0').approvedBy).toBe('rollback-target');
  });

  it('ends with a later rollback, whose own target takes over', () => {
    const flow = rolledBack();
    const later = rollback('production', '1.0.0', {
      toVersion: '0.9.0',
      recordedAt: day(8),
    });
    flow.rollbacks!.push(later);
    for (const d of flow.deployments) {
      if (d.environmentId === 'production' && d.version === '1.0.0') {
        d.rolledBackAt = later.recordedAt;
        d.rollbackId = later.id;
      }
    }
    expect(productionGate(flow, '1.0.0').approvedBy).toBeUndefined();
    expect(productionGate(flow, '0.9.0')).toMatchObject({
      open: true,
      approvedBy: 'rollback-target',
    });
  });

  it('applies only to the environment that was rolled back', () => {
    const flow = rolledBack();
    flow.deployments.push(deployment('dr', '1.1.0', { reportedAt: day(4) }));
    // DR has no approval; its gate for 1.0.0 still checks the ladder.
    expect(gate('dr', flow, standard, '1.0.0').approvedBy).toBe('none');
  });

  it('never opens for a target that did not run there before the rollback', () => {
    const flow = rolledBack(standard, '1.2.0');
    expect(rollbackDeployableVersions(flow, standard.environments[2])).toBe(
      undefined,
    );
    expect(codes(productionGate(flow, '1.2.0'))).toContainEqual([
      'approval-revoked',
      'production',
    ]);
  });

  describe('with rollback.earlierVersionsDeployable', () => {
    const earlier = withProduction(standard, {
      rollback: { earlierVersionsDeployable: true },
    });

    it('opens for every version that ran there before the reverted one', () => {
      const flow = rolledBack(earlier);
      expect(productionGate(flow, '0.9.0', earlier)).toMatchObject({
        open: true,
        unmetConditions: [],
        approvedBy: 'rollback-target',
      });
      expect(productionGate(flow, '1.0.0', earlier).approvedBy).toBe(
        'rollback-target',
      );
      expect(
        rollbackDeployableVersions(flow, earlier.environments[2])?.versions,
      ).toEqual(['1.0.0', '0.9.0']);
      // Off by default: only the target.
      expect(codes(productionGate(flow, '0.9.0'))).toContainEqual([
        'approval-revoked',
        'production',
      ]);
    });

    it('leaves out versions rolled back themselves, the reverted one and newer ones', () => {
      const flow = rolledBack(earlier);
      flow.deployments.push(
        deployment('production', '0.8.0', {
          reportedAt: day(1, '06:00:00'),
          rolledBackAt: day(1, '06:30:00'),
          rollbackId: 'rollback-of-0.8.0',
        }),
      );
      expect(
        rollbackDeployableVersions(flow, earlier.environments[2])?.versions,
      ).toEqual(['1.0.0', '0.9.0']);
      for (const version of ['0.8.0', '1.1.0', '1.2.0']) {
        expect(productionGate(flow, version, earlier).approvedBy).toBe(
          undefined,
        );
      }
    });

    it('is not ended by deploying one of those versions again', () => {
      const flow = rolledBack(earlier);
      flow.deployments.push(
        deployment('production', '0.9.0', { reportedAt: day(5, '11:00:00') }),
      );
      expect(productionGate(flow, '1.0.0', earlier).approvedBy).toBe(
        'rollback-target',
      );
    });
  });
});

describe('re-entering the workflow from the top', () => {
  it('no longer counts a flow-scoped item completed before the rollback', () => {
    const flow = rolledBack();
    flow.standingApprovals.push(
      standingApproval('production', { grantedAt: day(7) }),
    );
    expect(productionGate(flow, '1.2.0').unmetConditions).toEqual([
      {
        code: 'checklist-incomplete',
        environmentId: 'test',
        itemIds: ['config-mirrors-production'],
        message:
          'Test checklist is incomplete for version 1.2.0: Test configuration mirrors production.',
      },
    ]);

    // Completed again after the rollback, it counts.
    flow.checklistCompletions.push({
      ...completion('test', 'validation', 'config-mirrors-production'),
      completedAt: day(6, '12:00:00'),
    });
    expect(productionGate(flow, '1.2.0')).toMatchObject({
      open: true,
      approvedBy: 'standing-approval',
    });
  });

  it('keeps a flow-scoped item whose policy says it survives rollbacks', () => {
    const surviving = testItemsResetOnRollback(standard, false);
    const flow = rolledBack(surviving);
    expect(codes(productionGate(flow, '1.2.0', surviving))).toEqual([
      ['approval-revoked', 'production'],
    ]);
  });

  it('resets after a rollback in any environment, and only the flow it belongs to', () => {
    const flow = merged(climbed(standard, '1.2.0', 6), {
      standingApprovals: [standingApproval('production')],
    });
    expect(productionGate(flow, '1.2.0').open).toBe(true);

    const inDev = rollback('dev', '1.1.0', { recordedAt: day(7) });
    expect(
      codes(productionGate({ ...flow, rollbacks: [inDev] }, '1.2.0')),
    ).toEqual([['checklist-incomplete', 'test']]);
    const ofOtherFlow = { ...inDev, entityRef: 'component:default/other' };
    expect(
      productionGate({ ...flow, rollbacks: [ofOtherFlow] }, '1.2.0').open,
    ).toBe(true);
  });

  it('never resets version-scoped items or post-deployment items', () => {
    const flow = rolledBack();
    const [versionItem, flowItem] = [
      standard.environments[1].checklist[1],
      standard.environments[1].checklist[0],
    ];
    const before = {
      ...completion('test', 'validation', versionItem.id, '1.2.0'),
      completedAt: day(4),
    };
    expect(isResetByRollback(before, versionItem, flow)).toBe(false);
    expect(
      isResetByRollback(
        { ...before, kind: 'post-deployment', version: undefined },
        flowItem,
        flow,
      ),
    ).toBe(false);
    expect(
      isResetByRollback({ ...before, version: undefined }, flowItem, flow),
    ).toBe(true);
    expect(latestRollbackOfFlow(flow)?.fromVersion).toBe('1.1.0');
  });
});

describe("the predecessor's post-deployment checklist", () => {
  /** 1.0.0 entered Production at 11:59:30 on the evaluation day (`now` is 12:00); 1.1.0 is ready but for it. */
  function waitingForPredecessor(policy: PromotionPolicy = standard) {
    const flow = merged(
      climbed(policy, '1.0.0', 9),
      climbed(policy, '1.1.0', 10),
      {
        deployments: [
          deployment('production', '1.0.0', {
            reportedAt: day(10, '11:59:30'),
          }),
        ],
        checklistCompletions: postDeploymentDone(
          policy,
          'production',
          '1.0.0',
        ).filter(c => !['monitor-logs', 'uptime-green'].includes(c.itemId)),
        standingApprovals: [standingApproval('production')],
      },
    );
    return flow;
  }

  it('blocks the next version until the standing version completed it', () => {
    const result = productionGate(waitingForPredecessor(), '1.1.0');
    expect(result.open).toBe(false);
    expect(result.approvedBy).toBe('standing-approval');
    expect(result.unmetConditions).toEqual([
      {
        code: 'predecessor-post-deployment-incomplete',
        environmentId: 'production',
        itemIds: ['monitor-logs', 'uptime-green'],
        message:
          'Production post-deployment checklist of version 1.0.0, which stands there now, is incomplete: Application logs monitored for errors (possible from 2025-03-10 12:15 UTC), Uptime monitoring shows green.',
      },
    ]);
  });

  it('opens once the checklist is complete', () => {
    const flow = waitingForPredecessor();
    flow.checklistCompletions.push(
      completion('production', 'post-deployment', 'monitor-logs', '1.0.0'),
      completion('production', 'post-deployment', 'uptime-green', '1.0.0'),
    );
    expect(productionGate(flow, '1.1.0').open).toBe(true);
    // A completion for another version does not count.
    flow.checklistCompletions.pop();
    flow.checklistCompletions.push(
      completion('production', 'post-deployment', 'uptime-green', '1.1.0'),
    );
    expect(codes(productionGate(flow, '1.1.0'))).toEqual([
      ['predecessor-post-deployment-incomplete', 'production'],
    ]);
  });

  it('names no time for an item whose minimum wait has passed', () => {
    const flow = waitingForPredecessor();
    flow.deployments[flow.deployments.length - 1].reportedAt = day(9);
    expect(productionGate(flow, '1.1.0').unmetConditions[0].message).toBe(
      'Production post-deployment checklist of version 1.0.0, which stands there now, is incomplete: Application logs monitored for errors, Uptime monitoring shows green.',
    );
  });

  it('comes after the ladder and before the approval', () => {
    const flow = waitingForPredecessor();
    flow.signOffs = flow.signOffs.filter(s => s.version !== '1.1.0');
    flow.standingApprovals = [];
    expect(codes(productionGate(flow, '1.1.0'))).toEqual([
      ['sign-off-missing', 'test'],
      ['predecessor-post-deployment-incomplete', 'production'],
      ['approval-required', 'production'],
    ]);
  });

  it('does not block the standing version itself', () => {
    expect(productionGate(waitingForPredecessor(), '1.0.0')).toMatchObject({
      open: true,
      unmetConditions: [],
    });
  });

  it('never blocks a rollback', () => {
    const earlier = withProduction(standard, {
      rollback: { earlierVersionsDeployable: true },
    });
    const flow = rolledBack(earlier);
    flow.checklistCompletions = flow.checklistCompletions.filter(
      c => !(c.kind === 'post-deployment' && c.version === '1.0.0'),
    );
    // 1.0.0 stands with its checklist open; 0.9.0 ran before it.
    expect(productionGate(flow, '0.9.0', earlier)).toMatchObject({
      open: true,
      approvedBy: 'rollback-target',
    });
    expect(codes(productionGate(flow, '1.2.0', earlier))).toContainEqual([
      'predecessor-post-deployment-incomplete',
      'production',
    ]);
  });

  it('does not block where the policy turns it off', () => {
    const off = withProduction(standard, {
      postDeploymentRules: {
        ...standard.environments[2].postDeploymentRules,
        blocksNextVersion: false,
      },
    });
    expect(productionGate(waitingForPredecessor(off), '1.1.0', off).open).toBe(
      true,
    );
  });

  it('leaves the other environments alone', () => {
    const flow = waitingForPredecessor();
    flow.deployments.push(deployment('dev', '1.2.0', { reportedAt: day(10) }));
    expect(gate('test', flow, standard, '1.2.0').unmetConditions).toEqual([
      expect.objectContaining({ code: 'checklist-incomplete' }),
    ]);
  });
});
