import { Insights, insightsSchema } from '@promotion/plugin-promotion-common';
import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
} from '../database/__testUtils__/testDatabases';
import {
  BASE,
  bodyOf,
  flowPath,
  promotionApi,
  TestServer,
} from './__testUtils__/apiHelpers';
import {
  PROMOTION_CONFIG,
  startPromotionBackend,
  USERS,
} from './__testUtils__/promotionTestBackend';

/*
 * GET /insights through the router: who may read the portal's and a flow's
 * insights, the range and the inputs it refuses, JSON and CSV. The numbers
 * themselves are checked on every database in
 * database/operations/insights/readInsights.test.ts.
 */

jest.setTimeout(60_000);

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3']);

const DAY = 24 * 60 * 60 * 1000;

describe.each(databases.eachSupportedId())(
  'GET /insights on %p',
  databaseId => {
    let server: TestServer;
    const { api, pipeline } = promotionApi(() => server);
    const from = new Date(Date.now() - DAY).toISOString();
    const insightsOf = (query: string, as: string = USERS.ann) =>
      api(as).get(`${BASE}/insights?from=${encodeURIComponent(from)}${query}`);

    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      ({ server } = await startPromotionBackend({
        knex,
        config: {
          ...PROMOTION_CONFIG,
          insights: { productionEnvironments: ['prod'], maxRangeDays: 90 },
        },
      }));
      // reports 1.0.0: Dev, then Production without its approval (a
      // violation), then rolled back.
      for (const environment of ['dev', 'prod']) {
        await bodyOf(
          pipeline().post(`${flowPath('reports')}/deployments`, {
            environment,
            version: '1.0.0',
            status: 'succeeded',
          }),
        );
      }
      await bodyOf(
        api(USERS.alice).post(`${flowPath('reports')}/rollbacks`, {
          environment: 'prod',
          reason: 'Reports came out empty',
        }),
      );
    }, DATABASE_HOOK_TIMEOUT_MS);

    it('shows an auditor the whole portal', async () => {
      const res = await insightsOf('');
      expect(res.status).toBe(200);
      const insights: Insights = insightsSchema.parse(res.body);
      expect(insights.flow).toBeUndefined();
      expect(insights.productionEnvironments).toEqual(['prod']);
      expect(insights.totals).toEqual({
        productionDeployments: 1,
        rollbacks: 1,
        changeFailureRate: 1,
        violations: 1,
        breakGlass: 0,
      });
      expect(insights.devToProduction).toMatchObject({ count: 1 });
      expect(insights.devToProduction.versions).toEqual([
        expect.objectContaining({
          entityRef: 'component:default/reports',
          version: '1.0.0',
        }),
      ]);
      // Every week the range touches, each starting on a Monday.
      expect(insights.weeks.length).toBeGreaterThanOrEqual(1);
      for (const week of insights.weeks) {
        expect(new Date(`${week.weekStart}T00:00:00Z`).getUTCDay()).toBe(1);
      }
      expect(insights.waiting).toEqual({
        count: 0,
        oldestMs: null,
        medianAgeMs: null,
      });
    });

    it('shows one flow to whoever may see it, and the portal only to auditors', async () => {
      const flow = await insightsOf(
        '&flow=component:default/reports',
        USERS.gary,
      );
      expect(flow.status).toBe(200);
      expect(flow.body.flow).toBe('component:default/reports');
      expect(flow.body.totals.productionDeployments).toBe(1);

      const other = await insightsOf('&flow=component:ledger', USERS.alice);
      expect(other.status).toBe(200);
      expect(other.body.flow).toBe('component:default/ledger');
      expect(other.body.totals.productionDeployments).toBe(0);

      const portal = await insightsOf('', USERS.alice);
      expect(portal.status).toBe(403);
      expect(portal.body.error.message).toContain('promotion.audit.read');

      const notAFlow = await insightsOf(
        '&flow=component:default/no-annotation',
      );
      expect(notAFlow.status).toBe(404);
    });

    it('writes CSV: a line per week, the totals, then the durations', async () => {
      const res = await insightsOf('&format=csv');
      expect(res.status).toBe(200);
      expect(res.headers['content-type']).toMatch(/^text\/csv/);
      const lines = res.text.trim().split('\n');
      expect(lines[0]).toBe(
        'weekStart,productionDeployments,rollbacks,changeFailureRate,violations,breakGlass',
      );
      expect(lines).toContain('total,1,1,1,1,0');
      expect(lines).toContain('metric,value');
      expect(lines).toContain('devToProductionCount,1');
      expect(lines).toContain('waitingOldestMs,');
    });

    it.each([
      ['from=yesterday', 'query.from'],
      ['to=2026-13-01T00:00:00Z', 'query.to'],
      ['flow=payments', 'query.flow'],
      ['flow=component:default/a/b', 'query.flow'],
      ['format=xml', 'query.format'],
      [
        'from=2026-11-20T00:00:00Z&to=2026-11-10T00:00:00Z',
        'query.from: must not be after query.to',
      ],
      [
        'from=2026-01-01T00:00:00Z&to=2026-11-10T00:00:00Z',
        'query.from: the range may cover at most 90 days',
      ],
    ])('refuses %s with a 400 naming %s', async (query, words) => {
      const res = await api(USERS.ann).get(`${BASE}/insights?${query}`);
      expect(res.status).toBe(400);
      expect(res.body.error.message).toContain(words);
    });
  },
);
