import {
  Deployment,
  VerificationReport,
  verificationReportSchema,
} from '@promotion/plugin-promotion-common';
import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
} from '../database/__testUtils__/testDatabases';
import {
  BASE,
  flowPath,
  promotionApi,
  TestServer,
} from './__testUtils__/apiHelpers';
import {
  PROMOTION_CONFIG,
  startPromotionBackend,
  USERS,
} from './__testUtils__/promotionTestBackend';

jest.setTimeout(60_000);

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3']);

/** The portal's flow page, as a platform team would configure it. */
const FLOW_PAGE_URL =
  'https://portal.example.com/catalog/{namespace}/{kind}/{name}/promotion';

describe.each(databases.eachSupportedId())(
  'The verification report on %p',
  databaseId => {
    let server: TestServer;
    const { api, pipeline } = promotionApi(() => server);

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      ({ server } = await startPromotionBackend({
        knex,
        config: { ...PROMOTION_CONFIG, report: { flowPageUrl: FLOW_PAGE_URL } },
      }));
    }, DATABASE_HOOK_TIMEOUT_MS);

    it('lists a deployment through a closed gate once, with every check it failed, and its post-deployment items as pending', async () => {
      const from = new Date(Date.now() - 1000).toISOString();
      // Production of the regulated policy: no approval, Dev skipped.
      let res = await pipeline().post(`${flowPath('reports')}/deployments`, {
        environment: 'prod',
        version: '9.9.9',
        status: 'succeeded',
        link: 'https://ci.example.com/run/999',
      });
      expect(res.status).toBe(201);
      const deployment: Deployment = res.body.deployment;
      expect(deployment.violation).toBe(true);
      expect(deployment.unmetConditions.map(c => c.code)).toEqual([
        'previous-deployment-missing',
        'approval-required',
      ]);
      // Production of the standard policy: its post-deployment checklist
      // (a 15-minute log watch, uptime) is due a day after its minimum wait.
      res = await pipeline().post(`${flowPath('ledger')}/deployments`, {
        environment: 'prod',
        version: '3.0.0',
        status: 'succeeded',
      });
      expect(res.status).toBe(201);
      const ledger: Deployment = res.body.deployment;

      const report = await api(USERS.ann).get(
        `${BASE}/reports/verification?from=${encodeURIComponent(from)}`,
      );
      expect(report.status).toBe(200);
      // The response is what the contract declares.
      const body: VerificationReport = verificationReportSchema.parse(
        report.body,
      );
      const mine = body.violations.filter(
        v => v.deploymentId === deployment.id,
      );
      expect(mine).toHaveLength(1);
      expect(mine[0]).toMatchObject({
        entityRef: 'component:default/reports',
        environmentId: 'prod',
        environmentTitle: 'Production',
        version: '9.9.9',
        occurredAt: deployment.reportedAt,
        evidence: `https://portal.example.com/catalog/default/component/reports/promotion?deployment=${deployment.id}`,
      });
      expect(mine[0].failedChecks.map(c => c.kind)).toEqual([
        'production-without-approval',
        'deployment-into-closed-gate',
      ]);
      expect(mine[0].failedChecks[1].sentences).toEqual([
        deployment.unmetConditions[0].message,
      ]);
      // Both deployments went into Production without an approval.
      expect(
        body.checks.find(c => c.kind === 'production-without-approval'),
      ).toMatchObject({ passed: false, failedDeployments: 2 });
      expect(
        body.checks.find(c => c.kind === 'post-deployment-incomplete'),
      ).toMatchObject({ passed: true, failedDeployments: 0 });

      // The ledger's items are pending, not failed: due a day after their waits.
      const ledgerRows = body.violations.filter(
        v => v.deploymentId === ledger.id,
      );
      expect(
        ledgerRows.flatMap(v => v.failedChecks.map(c => c.kind)),
      ).not.toContain('post-deployment-incomplete');
      const pending = body.pending.filter(p => p.deploymentId === ledger.id);
      expect(pending).toHaveLength(1);
      const dayAfter = Date.parse(ledger.reportedAt) + 24 * 60 * 60 * 1000;
      expect(
        pending[0].items.map(item => [item.title, Date.parse(item.dueAt)]),
      ).toEqual([
        ['Monitor logs', dayAfter + 15 * 60 * 1000],
        ['Uptime monitoring green', dayAfter],
      ]);
      expect(pending[0].evidence).toBe(
        `https://portal.example.com/catalog/default/component/ledger/promotion?deployment=${ledger.id}`,
      );

      const csv = await api(USERS.ann).get(
        `${BASE}/reports/verification?format=csv&from=${encodeURIComponent(
          from,
        )}`,
      );
      expect(csv.status).toBe(200);
      expect(csv.headers['content-type']).toMatch(/^text\/csv/);
      const lines = csv.text.trim().split('\n');
      expect(lines[0]).toBe(
        'occurredAt,entityRef,environmentId,version,deploymentId,failedChecks,details,pending,evidence',
      );
      const line = lines.filter(l => l.includes(deployment.id));
      expect(line).toHaveLength(1);
      expect(line[0]).toContain(
        'production-without-approval; deployment-into-closed-gate',
      );
      const ledgerLine = lines.filter(l => l.includes(`,${ledger.id},`));
      expect(ledgerLine).toHaveLength(1);
      expect(ledgerLine[0]).toContain('Monitor logs (due by ');

      const bad = await api(USERS.ann).get(
        `${BASE}/reports/verification?from=yesterday`,
      );
      expect(bad.status).toBe(400);
      expect(bad.body.error.message).toContain('query.from');
    });
  },
);
