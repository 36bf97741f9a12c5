import { Entity } from '@backstage/catalog-model';
import {
  Deployment,
  FlowState,
  GateResult,
} from '@promotion/plugin-promotion-common';
import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
} from '../database/__testUtils__/testDatabases';
import {
  BASE,
  bodyOf,
  dossier,
  flowPath,
  promotionApi,
  TestServer,
} from './__testUtils__/apiHelpers';
import {
  ENTITIES,
  PROMOTION_CONFIG,
  startPromotionBackend,
  USERS,
} from './__testUtils__/promotionTestBackend';
import { testClock } from './__testUtils__/testClock';

jest.setTimeout(120_000);

/*
 * Freeze windows through the real plugin and database: while one is in
 * force the gate API answers frozen with the window, the flow state carries
 * each environment's window in force or next, a deployment reported anyway
 * is a violation with the frozen sentence, and the rollback target still
 * goes back with no violation.
 */

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3', 'MYSQL_8']);

/** The year-end freeze of the `frozen` policy's Production, in Paris. */
const YEAR_END = {
  environments: ['prod'],
  reason: 'year-end close',
  timeZone: 'Europe/Paris',
  start: '2026-12-24T18:00',
  end: '2026-12-29T06:00',
};

const config = {
  ...JSON.parse(JSON.stringify(PROMOTION_CONFIG)),
  // Portal-wide: Dev of every policy, each quarter's last days from the 28th.
  freezeWindows: [
    {
      environments: ['dev'],
      reason: 'quarter-end close',
      timeZone: 'America/New_York',
      cron: '0 0 28 3,6,9,12 *',
      duration: { days: 4 },
    },
  ],
};
config.policies.frozen = {
  title: 'Frozen at year end',
  environments: [
    { id: 'dev', title: 'Dev' },
    { id: 'prod', title: 'Production' },
  ],
  freezeWindows: [YEAR_END],
};

// The same window on a Production that needs a one-time approval.
config.policies['frozen-approved'] = {
  environments: [
    { id: 'dev', title: 'Dev' },
    {
      id: 'prod',
      title: 'Production',
      approval: { mode: 'once', approvers: ['group:default/directors'] },
    },
  ],
  freezeWindows: [YEAR_END],
};

const CATALOG: Entity[] = [
  ...ENTITIES,
  ...['ledger-close', 'payroll', 'treasury'].map(name => ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name,
      namespace: 'default',
      annotations: { 'promotion.io/policy': 'frozen' },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-payments' },
  })),
  {
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: {
      name: 'closing',
      namespace: 'default',
      annotations: { 'promotion.io/policy': 'frozen-approved' },
    },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-payments' },
  },
];

const DURING = Date.parse('2026-12-27T10:00:00Z'); // Sunday, in the window
const BEFORE = Date.parse('2026-12-21T10:00:00Z'); // Monday before it

const FROZEN_SENTENCE =
  'Production is frozen until Tue 06:00 Europe/Paris: year-end close';

describe.each(databases.eachSupportedId())(
  'Freeze windows on %p',
  databaseId => {
    let server: TestServer;
    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      ({ server } = await startPromotionBackend({
        knex,
        config,
        entities: CATALOG,
      }));
    }, DATABASE_HOOK_TIMEOUT_MS);
    const { api, pipeline, deploy, gate } = promotionApi(() => server);

    beforeEach(() => testClock.stop());
    afterEach(() => jest.useRealTimers());
    const clockAt = (time: number) => jest.setSystemTime(time);

    it('answers the gate frozen with the window, and the flow state carries the window in force and the next', async () => {
      clockAt(DURING);
      await deploy('ledger-close', 'dev', '1.0.0');

      expect(await gate('ledger-close', 'prod', '1.0.0')).toEqual({
        entityRef: 'component:default/ledger-close',
        environmentId: 'prod',
        version: '1.0.0',
        open: false,
        unmetConditions: [
          { code: 'frozen', environmentId: 'prod', message: FROZEN_SENTENCE },
        ],
        approvedBy: 'none',
        freeze: {
          environmentId: 'prod',
          reason: 'year-end close',
          timeZone: 'Europe/Paris',
          start: '2026-12-24T18:00:00+01:00',
          end: '2026-12-29T06:00:00+01:00',
          active: true,
          message: 'Frozen until Tue 06:00 Europe/Paris: year-end close',
        },
      } satisfies GateResult);

      const state: FlowState = await bodyOf(
        api().get(flowPath('ledger-close')),
        200,
      );
      expect(state.nextGate?.unmetConditions.map(c => c.message)).toEqual([
        FROZEN_SENTENCE,
      ]);
      expect(state.environments.map(e => e.freeze)).toEqual([
        // Dev: the portal-wide window, next on 28 December in New York.
        {
          environmentId: 'dev',
          reason: 'quarter-end close',
          timeZone: 'America/New_York',
          start: '2026-12-28T00:00:00-05:00',
          end: '2027-01-01T00:00:00-05:00',
          active: false,
          message:
            'Next freeze from Mon 00:00 to Fri 00:00 America/New_York: quarter-end close',
        },
        expect.objectContaining({ environmentId: 'prod', active: true }),
      ]);
      // The window as configured, on the policy's environment.
      expect(state.policy.environments[1].freezeWindows).toEqual([
        {
          reason: 'year-end close',
          timeZone: 'Europe/Paris',
          start: '2026-12-24T18:00:00.000+01:00',
          end: '2026-12-29T06:00:00.000+01:00',
          configuredIn: 'policy',
        },
      ]);

      // Once the window has ended, the gate is open and the freeze is gone.
      clockAt(Date.parse('2026-12-29T05:00:00Z'));
      const after = await gate('ledger-close', 'prod', '1.0.0');
      expect(after).toMatchObject({ open: true, unmetConditions: [] });
      expect(after).not.toHaveProperty('freeze');
    });

    it('records a deployment reported during the freeze as a violation with the frozen sentence', async () => {
      clockAt(DURING);
      await deploy('payroll', 'dev', '2.0.0');
      const deployed: Deployment = await deploy('payroll', 'prod', '2.0.0');
      expect(deployed).toMatchObject({
        violation: true,
        unmetConditions: [
          { code: 'frozen', environmentId: 'prod', message: FROZEN_SENTENCE },
        ],
      });

      // The verification report lists it as a deployment through a closed gate.
      const report = await bodyOf(
        api(USERS.ann).get(
          `${BASE}/reports/verification?from=${encodeURIComponent(
            new Date(DURING - 3600_000).toISOString(),
          )}`,
        ),
        200,
      );
      const row = report.violations.find(
        (v: { deploymentId: string }) => v.deploymentId === deployed.id,
      );
      expect(row.failedChecks).toEqual([
        expect.objectContaining({
          kind: 'deployment-into-closed-gate',
          sentences: [FROZEN_SENTENCE],
        }),
      ]);
    });

    it('never blocks the redeploy of the rollback target', async () => {
      clockAt(BEFORE);
      for (const version of ['1.0.0', '1.1.0']) {
        testClock.advance(60_000);
        await deploy('treasury', 'dev', version);
        expect((await deploy('treasury', 'prod', version)).violation).toBe(
          false,
        );
      }

      clockAt(DURING);
      await bodyOf(
        pipeline().post(`${flowPath('treasury')}/rollbacks`, {
          environment: 'prod',
          reason: 'Payments failing',
        }),
      );
      expect(await gate('treasury', 'prod', '1.0.0')).toEqual({
        entityRef: 'component:default/treasury',
        environmentId: 'prod',
        version: '1.0.0',
        open: true,
        unmetConditions: [],
        approvedBy: 'rollback-target',
      } satisfies GateResult);
      expect(await deploy('treasury', 'prod', '1.0.0')).toMatchObject({
        violation: false,
        unmetConditions: [],
      });
      // A fix waits for the end of the freeze.
      await deploy('treasury', 'dev', '1.1.1');
      expect((await gate('treasury', 'prod', '1.1.1')).unmetConditions).toEqual(
        [{ code: 'frozen', environmentId: 'prod', message: FROZEN_SENTENCE }],
      );
    });

    it('takes a promotion request during the freeze: the deployment waits, not the request', async () => {
      clockAt(DURING);
      await deploy('closing', 'dev', '3.0.0');
      const request = await bodyOf(
        api().post(`${flowPath('closing')}/requests`, {
          environment: 'prod',
          version: '3.0.0',
          dossier: dossier(),
        }),
        201,
      );
      expect(request).toMatchObject({ status: 'pending', version: '3.0.0' });
      expect(
        (await gate('closing', 'prod', '3.0.0')).unmetConditions.map(
          c => c.code,
        ),
      ).toEqual(['approval-pending', 'frozen']);
    });

    it('refuses a gate query without a version with a 400 naming it', async () => {
      const res = await pipeline().get(
        `${flowPath('ledger-close')}/gate?environment=prod`,
      );
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain('version');
    });
  },
);
