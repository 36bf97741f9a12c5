import { FlowState, GateResult } from '@promotion/plugin-promotion-common';
import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
} from '../database/__testUtils__/testDatabases';
import {
  BASE,
  bodyOf,
  codes,
  dossier,
  flowPath,
  promotionApi,
  TestServer,
} from './__testUtils__/apiHelpers';
import {
  PROMOTION_CONFIG,
  startPromotionBackend,
  USERS,
} from './__testUtils__/promotionTestBackend';
import { testClock } from './__testUtils__/testClock';

jest.setTimeout(120_000);

/*
 * Seed 004's rollback and post-deployment rules through the real plugin and
 * database: the revert to the previous working version is no violation, the
 * next version re-enters the workflow from the top (flow-scoped items too,
 * unless they survive rollbacks), and a version's post-deployment checklist
 * holds the next version out of its environment.
 */

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3']);

/**
 * The test ladder, with two flow-scoped Test items: one that a rollback
 * resets (the default) and one that survives it.
 */
const config = JSON.parse(JSON.stringify(PROMOTION_CONFIG));
config.policies.standard.environments[1].checklist.push(
  {
    id: 'config-mirrors-production',
    title: 'Test configuration mirrors production',
    scope: 'flow',
  },
  {
    id: 'alerts-configured',
    title: 'Alerts configured',
    scope: 'flow',
    resetOnRollback: false,
  },
);

const MINUTE = 60_000;

/** `2026-11-27 10:15 UTC`, rounded up to the minute as the gate shows it. */
const shownMinute = (time: number) =>
  `${new Date(Math.ceil(time / MINUTE) * MINUTE)
    .toISOString()
    .slice(0, 16)
    .replace('T', ' ')} UTC`;

describe.each(databases.eachSupportedId())(
  'Rollback and post-deployment rules on %p',
  databaseId => {
    let server: TestServer;
    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      ({ server } = await startPromotionBackend({ knex, config }));
    }, DATABASE_HOOK_TIMEOUT_MS);
    const { api, pipeline, deploy, gate, check } = promotionApi(() => server);

    beforeEach(() => testClock.stop());
    afterEach(() => jest.useRealTimers());

    const completed = async (call: ReturnType<typeof check>) => {
      await bodyOf(call, 201);
    };
    const postDeployment = (flow: string, itemId: string, version: string) =>
      bodyOf(
        api().post(
          `${flowPath(flow)}/environments/prod/post-deployment/${itemId}`,
          { version },
        ),
      );

    /** Deploys `version` to Dev and completes its code review there. */
    async function intoDev(flow: string, version: string) {
      await deploy(flow, 'dev', version);
      await completed(check(flow, 'dev', 'code-reviewed', { version }));
    }

    /**
     * Takes `version` from Dev through Test with its version-scoped checks
     * done and the flow-scoped Test items `testItems`; Test is open for it.
     */
    async function fromDevThroughTest(
      flow: string,
      version: string,
      testItems: string[] = [],
    ) {
      expect((await deploy(flow, 'test', version)).violation).toBe(false);
      await completed(
        check(flow, 'test', 'e2e', {
          version,
          evidenceLink: `https://ci.example.com/${version}`,
        }),
      );
      for (const itemId of testItems) {
        await completed(check(flow, 'test', itemId, {}));
      }
      await bodyOf(
        api(USERS.carol).post(`${flowPath(flow)}/environments/test/sign-offs`, {
          version,
          comment: 'Confirmed',
        }),
      );
    }

    /** The first version of a flow into Production: requested and approved, which grants the standing approval. */
    async function firstIntoProduction(flow: string, version: string) {
      await intoDev(flow, version);
      await completed(check(flow, 'dev', 'release-notes', {}));
      await fromDevThroughTest(flow, version, [
        'config-mirrors-production',
        'alerts-configured',
      ]);
      const request = await bodyOf(
        api(USERS.alice).post(`${flowPath(flow)}/requests`, {
          environment: 'prod',
          version,
          dossier: dossier(),
        }),
      );
      await bodyOf(
        api(USERS.dave).post(`${BASE}/requests/${request.id}/decisions`, {
          decision: 'approve',
          comment: 'Approved for Production',
          dossierHash: request.dossierHash,
        }),
        200,
      );
      return await deploy(flow, 'prod', version);
    }

    it('redeploys the rollback target with no violation; the next version climbs from the top', async () => {
      const flow = 'payments-sftp';

      // 1.0.0 and 1.1.0 reach Production, each post-deployment checklist done.
      expect((await firstIntoProduction(flow, '1.0.0')).violation).toBe(false);
      testClock.advance(15 * MINUTE);
      await postDeployment(flow, 'monitor-logs', '1.0.0');
      await postDeployment(flow, 'uptime-green', '1.0.0');
      await intoDev(flow, '1.1.0');
      await fromDevThroughTest(flow, '1.1.0');
      expect((await deploy(flow, 'prod', '1.1.0')).violation).toBe(false);
      testClock.advance(15 * MINUTE);
      await postDeployment(flow, 'monitor-logs', '1.1.0');
      await postDeployment(flow, 'uptime-green', '1.1.0');

      // Production goes back to 1.0.0.
      testClock.advance(MINUTE);
      const rollback = await bodyOf(
        pipeline().post(`${flowPath(flow)}/rollbacks`, {
          environment: 'prod',
          reason: 'Transfers failing',
        }),
      );
      expect(rollback).toMatchObject({
        fromVersion: '1.1.0',
        toVersion: '1.0.0',
        revokedStandingApprovals: [
          expect.objectContaining({ environmentId: 'prod' }),
        ],
      });
      const state: FlowState = await bodyOf(api().get(flowPath(flow)), 200);
      expect(state.rollbacks.map(r => r.id)).toEqual([rollback.id]);

      // The pipeline may redeploy the rollback target: no approval, no violation.
      testClock.advance(MINUTE);
      expect(await gate(flow, 'prod', '1.0.0')).toEqual({
        entityRef: 'component:default/payments-sftp',
        environmentId: 'prod',
        version: '1.0.0',
        open: true,
        unmetConditions: [],
        approvedBy: 'rollback-target',
      } satisfies GateResult);
      const redeployed = await deploy(flow, 'prod', '1.0.0');
      expect(redeployed).toMatchObject({
        violation: false,
        unmetConditions: [],
      });
      // …again, as a pipeline retry would.
      expect((await deploy(flow, 'prod', '1.0.0')).violation).toBe(false);

      // The reverted version does not go back without the flow-scoped Test
      // item confirmed again and a new approval.
      expect(codes(await gate(flow, 'prod', '1.1.0'))).toEqual([
        'checklist-incomplete',
        'approval-revoked',
      ]);

      // 1.2.0 re-enters from the top: Dev's flow-scoped item first.
      await intoDev(flow, '1.2.0');
      let result = await gate(flow, 'test', '1.2.0');
      expect(result.unmetConditions).toEqual([
        {
          code: 'checklist-incomplete',
          environmentId: 'dev',
          itemIds: ['release-notes'],
          message:
            'Dev checklist is incomplete for version 1.2.0: Release notes prepared.',
        },
      ]);
      // Completing it again undoes the completion from before the rollback.
      await completed(check(flow, 'dev', 'release-notes', {}));
      await fromDevThroughTest(flow, '1.2.0');

      // Production: the reset Test item and the revoked approval; the
      // item that survives rollbacks still counts.
      result = await gate(flow, 'prod', '1.2.0');
      expect(result.open).toBe(false);
      expect(result.unmetConditions).toEqual([
        {
          code: 'checklist-incomplete',
          environmentId: 'test',
          itemIds: ['config-mirrors-production'],
          message:
            'Test checklist is incomplete for version 1.2.0: Test configuration mirrors production.',
        },
        expect.objectContaining({
          code: 'approval-revoked',
          environmentId: 'prod',
        }),
      ]);
      await completed(check(flow, 'test', 'config-mirrors-production', {}));
      expect(codes(await gate(flow, 'prod', '1.2.0'))).toEqual([
        'approval-revoked',
      ]);

      // The trail and the state rows still verify.
      expect(
        await bodyOf(api(USERS.ann).get(`${BASE}/audit/verify`), 200),
      ).toMatchObject({ intact: true });
    });

    it("holds the next version out of Production while the standing version's post-deployment wait runs", async () => {
      const flow = 'ledger';
      const production = await firstIntoProduction(flow, '1.0.0');
      await postDeployment(flow, 'uptime-green', '1.0.0');
      await intoDev(flow, '1.1.0');
      await fromDevThroughTest(flow, '1.1.0');

      testClock.advance(5 * MINUTE);
      let result = await gate(flow, 'prod', '1.1.0');
      expect(result).toMatchObject({
        open: false,
        approvedBy: 'standing-approval',
      });
      expect(result.unmetConditions).toEqual([
        {
          code: 'predecessor-post-deployment-incomplete',
          environmentId: 'prod',
          itemIds: ['monitor-logs'],
          message: `Production post-deployment checklist of version 1.0.0, which stands there now, is incomplete: Monitor logs (possible from ${shownMinute(
            Date.parse(production.reportedAt) + 15 * MINUTE,
          )}).`,
        },
      ]);
      // Redeploying the standing version is not held.
      expect((await gate(flow, 'prod', '1.0.0')).open).toBe(true);

      // Once the wait is over and the log watch is done, 1.1.0 may go.
      testClock.advance(10 * MINUTE);
      result = await gate(flow, 'prod', '1.1.0');
      expect(result.unmetConditions[0].message).toBe(
        'Production post-deployment checklist of version 1.0.0, which stands there now, is incomplete: Monitor logs.',
      );
      await postDeployment(flow, 'monitor-logs', '1.0.0');
      result = await gate(flow, 'prod', '1.1.0');
      expect(result).toMatchObject({ open: true, unmetConditions: [] });
      expect((await deploy(flow, 'prod', '1.1.0')).violation).toBe(false);
    });
  },
);
