import { Entity } from '@backstage/catalog-model';
import {
  Deployment,
  FlowState,
  GateCondition,
  GateResult,
  PromotionRequest,
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
  startPromotionBackend,
  USERS,
} from './__testUtils__/promotionTestBackend';

jest.setTimeout(60_000);

/*
 * The gate's sentences name people as the catalog does, wherever people read
 * them: the pipeline's gate answer, the flow's next gate and the unmet
 * conditions a deployment through a closed gate records. The pending
 * request keeps its id for machines (`requestId`).
 */

const user = (name: string, displayName: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: { profile: { displayName } },
});

const CATALOG: Entity[] = [
  ...ENTITIES,
  user('dev-alice', 'Alice Ng'),
  user('director-dave', 'Dave Director'),
];

/** `2026-11-27 10:15 UTC`, as the gate writes a time. */
const shown = (timestamp: string) =>
  `${timestamp.slice(0, 16).replace('T', ' ')} UTC`;

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3']);

describe.each(databases.eachSupportedId())(
  "The gate's words through the API on %p",
  databaseId => {
    let server: TestServer;
    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      ({ server } = await startPromotionBackend({ knex, entities: CATALOG }));
    }, DATABASE_HOOK_TIMEOUT_MS);
    const { api, deploy, gate, check } = promotionApi(() => server);

    const completed = async (call: ReturnType<typeof check>) => {
      await bodyOf(call, 201);
    };

    /** Takes `version` of the flow through Dev and Test, every check done. */
    async function throughTest(flow: string, version: string) {
      await deploy(flow, 'dev', version);
      await completed(check(flow, 'dev', 'code-reviewed', { version }));
      await completed(check(flow, 'dev', 'release-notes', {}));
      await deploy(flow, 'test', version);
      await completed(
        check(flow, 'test', 'e2e', {
          version,
          evidenceLink: `https://ci.example.com/${version}`,
        }),
      );
      await bodyOf(
        api(USERS.carol).post(`${flowPath(flow)}/environments/test/sign-offs`, {
          version,
          comment: 'Confirmed',
        }),
      );
    }

    it('names the requester of a pending request and who revoked a standing approval by their display names', async () => {
      const flow = 'ledger';
      await throughTest(flow, '1.0.0');
      const request: PromotionRequest = await bodyOf(
        api(USERS.alice).post(`${flowPath(flow)}/requests`, {
          environment: 'prod',
          version: '1.0.0',
          dossier: dossier(),
        }),
      );

      const pending: GateCondition = {
        code: 'approval-pending',
        environmentId: 'prod',
        requestId: request.id,
        message: `Waiting for approval: 0 of 1 approval on the request by Alice Ng of ${shown(
          request.createdAt,
        )} for version 1.0.0 into Production.`,
      };
      expect(await gate(flow, 'prod', '1.0.0')).toMatchObject({
        open: false,
        unmetConditions: [pending],
      } satisfies Partial<GateResult>);
      const state: FlowState = await bodyOf(api().get(flowPath(flow)), 200);
      expect(state.nextGate).toMatchObject({
        environmentId: 'prod',
        version: '1.0.0',
        unmetConditions: [pending],
      });

      // Approved: the standing approval lets 1.0.0 in; the Director revokes it.
      await bodyOf(
        api(USERS.dave).post(`${BASE}/requests/${request.id}/decisions`, {
          decision: 'approve',
          comment: 'Approved for Production',
          dossierHash: request.dossierHash,
        }),
        200,
      );
      expect((await deploy(flow, 'prod', '1.0.0')).violation).toBe(false);
      const [revoked] = await bodyOf(
        api(USERS.dave).post(
          `${flowPath(flow)}/environments/prod/standing-approval/revoke`,
          { reason: 'Audit finding' },
        ),
        200,
      );
      const revokedMessage = `The standing approval for Production was revoked on ${shown(
        revoked.revokedAt,
      )} by Dave Director (Audit finding): request promotion again and wait for an approver.`;
      expect((await gate(flow, 'prod', '1.0.0')).unmetConditions).toEqual([
        {
          code: 'approval-revoked',
          environmentId: 'prod',
          message: revokedMessage,
        },
      ]);

      // A deployment through the closed gate records the same words.
      const violation: Deployment = await deploy(flow, 'prod', '1.0.0');
      expect(violation).toMatchObject({
        violation: true,
        unmetConditions: [
          {
            code: 'approval-revoked',
            environmentId: 'prod',
            message: revokedMessage,
          },
        ],
      });
    });
  },
);
