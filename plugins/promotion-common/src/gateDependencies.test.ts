import { readPromotionConfig } from './config';
import { DependencyFacts, FlowFacts, PromotionPolicy } from './types';
import {
  deployment,
  entityRef,
  gate,
  readyForProduction,
  rollback,
  standard,
  standingApproval,
} from './__fixtures__/flowFacts';
import { seedsPromotionConfig } from './__fixtures__/promotionConfig';

/** The standard ladder, its Production requiring the dependencies there (or in `environment`). */
function requiring(environment?: string): PromotionPolicy {
  const raw = structuredClone(seedsPromotionConfig) as any;
  const production = raw.policies.standard.environments.find(
    (e: { id: string }) => e.id === 'production',
  );
  production.dependencies = {
    required: true,
    ...(environment && { environment }),
  };
  return readPromotionConfig(raw).policies.standard;
}

const fileRouter = (
  versions: Record<string, string>,
  more: Partial<DependencyFacts> = {},
): DependencyFacts => ({
  entityRef: 'component:default/file-router',
  kind: 'flow',
  versions,
  ...more,
});

/** Ready for Production, the standing approval granted, with these dependencies. */
function approvedWith(dependencies?: DependencyFacts[]): FlowFacts {
  return {
    ...readyForProduction(),
    standingApprovals: [standingApproval('production')],
    ...(dependencies && { dependencies }),
  };
}

describe('the dependency gate', () => {
  it('is open when every dependsOn flow has a version in the environment', () => {
    const result = gate(
      'production',
      approvedWith([fileRouter({ production: '2.0.0' })]),
      requiring(),
    );
    expect(result.open).toBe(true);
    expect(result.dependencies).toEqual([
      {
        entityRef: 'component:default/file-router',
        environmentId: 'production',
        status: 'met',
        version: '2.0.0',
        message: 'file-router 2.0.0 is in Production.',
      },
    ]);
  });

  it('is closed, naming the dependency, when it has no version there yet', () => {
    const result = gate(
      'production',
      approvedWith([
        fileRouter(
          { dev: '2.1.0', test: '2.1.0' },
          { title: 'File router', ladder: ['dev', 'test', 'production'] },
        ),
      ]),
      requiring(),
    );
    expect(result.open).toBe(false);
    expect(result.unmetConditions).toEqual([
      {
        code: 'dependency-missing',
        message: 'File router is not in Production yet.',
        environmentId: 'production',
        dependencyRef: 'component:default/file-router',
      },
    ]);
    expect(result.dependencies?.map(d => d.status)).toEqual(['unmet']);
  });

  it('comes before the approval rule among the unmet conditions', () => {
    const result = gate(
      'production',
      { ...readyForProduction(), dependencies: [fileRouter({})] },
      requiring(),
    );
    expect(result.unmetConditions.map(c => c.code)).toEqual([
      'dependency-missing',
      'approval-required',
    ]);
  });

  it('checks the environment the policy names instead', () => {
    const policy = requiring('test');
    const inTest = gate(
      'production',
      approvedWith([fileRouter({ test: '2.1.0' })]),
      policy,
    );
    expect(inTest.open).toBe(true);
    expect(inTest.dependencies?.[0].message).toBe(
      'file-router 2.1.0 is in Test.',
    );

    const notInTest = gate(
      'production',
      approvedWith([fileRouter({ production: '2.0.0' })]),
      policy,
    );
    expect(notInTest.unmetConditions.map(c => c.message)).toEqual([
      'file-router is not in Test yet.',
    ]);
  });

  it('does not check what is not a flow, and says so', () => {
    const result = gate(
      'production',
      approvedWith([
        {
          entityRef: 'resource:default/payments-db',
          kind: 'not-in-promotion',
          versions: {},
        },
        {
          entityRef: 'component:default/gone',
          kind: 'not-in-catalog',
          versions: {},
        },
      ]),
      requiring(),
    );
    expect(result.open).toBe(true);
    expect(result.dependencies?.map(d => [d.status, d.message])).toEqual([
      [
        'not-a-flow',
        'payments-db is not a component taking part in Promotion: not checked.',
      ],
      [
        'not-a-flow',
        'component:default/gone is not in the catalog: not checked.',
      ],
    ]);
  });

  it('does not check a flow whose own ladder has no such environment', () => {
    const result = gate(
      'production',
      approvedWith([fileRouter({}, { ladder: ['dev', 'test'] })]),
      requiring(),
    );
    expect(result.open).toBe(true);
    expect(result.dependencies).toEqual([
      {
        entityRef: 'component:default/file-router',
        environmentId: 'production',
        status: 'not-on-ladder',
        message: 'file-router has no Production on its ladder: not checked.',
      },
    ]);
  });

  it('does not require a dependency that depends on the flow in turn', () => {
    const direct = fileRouter(
      {},
      { cycle: [entityRef, 'component:default/file-router', entityRef] },
    );
    const through = fileRouter(
      {},
      {
        entityRef: 'component:default/ledger',
        cycle: [
          entityRef,
          'component:default/ledger',
          'component:default/file-router',
          entityRef,
        ],
      },
    );
    const result = gate(
      'production',
      approvedWith([direct, through]),
      requiring(),
    );
    expect(result.open).toBe(true);
    expect(result.dependencies?.map(d => [d.status, d.message])).toEqual([
      [
        'cycle',
        'payments-sftp and file-router depend on each other: not required.',
      ],
      [
        'cycle',
        'payments-sftp and ledger depend on each other (through file-router): not required.',
      ],
    ]);
  });

  it('is not checked where the environment does not require it', () => {
    const result = gate('production', approvedWith([fileRouter({})]), standard);
    expect(result.open).toBe(true);
    expect(result.dependencies).toBeUndefined();
  });

  it('is not checked where the caller read no dependencies', () => {
    const result = gate('production', approvedWith(), requiring());
    expect(result.open).toBe(true);
    expect(result.dependencies).toBeUndefined();
  });

  it('never blocks the redeploy of a rollback target', () => {
    const flow: FlowFacts = {
      ...approvedWith([fileRouter({})]),
      deployments: [
        ...readyForProduction().deployments,
        deployment('production', '1.4.0', {
          reportedAt: '2025-03-06T10:00:00.000Z',
        }),
        deployment('production', '1.5.0', {
          reportedAt: '2025-03-07T10:00:00.000Z',
          rolledBackAt: '2025-03-08T10:00:00.000Z',
        }),
      ],
      rollbacks: [
        rollback('production', '1.5.0', {
          toVersion: '1.4.0',
          recordedAt: '2025-03-08T10:00:00.000Z',
        }),
      ],
    };
    const result = gate('production', flow, requiring());
    expect(result).toMatchObject({ open: true, approvedBy: 'rollback-target' });
  });
});

describe('the dependencies option', () => {
  it('defaults the environment to the one it is set on', () => {
    expect(
      requiring().environments.find(e => e.id === 'production')?.dependencies,
    ).toEqual({ environmentId: 'production' });
    expect(
      standard.environments.find(e => e.id === 'production')?.dependencies,
    ).toBeUndefined();
  });

  it('refuses an environment that no policy has', () => {
    const raw = structuredClone(seedsPromotionConfig) as any;
    raw.policies.standard.environments[2].dependencies = {
      required: true,
      environment: 'staging',
    };
    expect(() => readPromotionConfig(raw)).toThrow(
      /promotion\.policies\.standard\.environments\[2\]\.dependencies\.environment: names no environment of any configured policy: "staging"/,
    );
  });
});
