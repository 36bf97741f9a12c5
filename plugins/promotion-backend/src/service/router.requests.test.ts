import { createTestDatabases } from '../database/__testUtils__/testDatabases';
import { PromotionRequest } from '@promotion/plugin-promotion-common';
import { USERS } from './__testUtils__/promotionTestBackend';
import {
  BASE,
  codes,
  dossier,
  flowPath,
  promotionBackendOn,
} from './__testUtils__/apiHelpers';

jest.setTimeout(60_000);

/*
 * Promotion requests through the real plugin and database: distinct
 * approvers, reject, edits that void approvals, self-approval, and the race
 * between approve and withdraw. The ladder, deployments and the audit trail
 * are in router.test.ts.
 */

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3']);

describe.each(databases.eachSupportedId())(
  'Promotion requests through the API on %p',
  databaseId => {
    const { api, deploy, gate, check } = promotionBackendOn(
      databases,
      databaseId,
    );

    it('needs two distinct approvers on an `every` environment', async () => {
      const flow = 'billing';
      await deploy(flow, 'dev', '1.0.0');
      let res = await api(USERS.alice).post(`${flowPath(flow)}/requests`, {
        environment: 'prod',
        version: '1.0.0',
        dossier: dossier(),
      });
      expect(res.status).toBe(201);
      const id = res.body.id;

      res = await api(USERS.dave).post(`${BASE}/requests/${id}/decisions`, {
        decision: 'approve',
        comment: 'Fine by me',
      });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('pending');

      // A person counts once.
      res = await api(USERS.dave).post(`${BASE}/requests/${id}/decisions`, {
        decision: 'approve',
        comment: 'Again',
      });
      expect(res.status).toBe(409);

      let result = await gate(flow, 'prod', '1.0.0');
      expect(result.unmetConditions[0].message).toContain('1 of 2');

      res = await api(USERS.erin).post(`${BASE}/requests/${id}/decisions`, {
        decision: 'approve',
        comment: 'Fine by me too',
      });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('approved');

      result = await gate(flow, 'prod', '1.0.0');
      expect(result).toMatchObject({ open: true, approvedBy: 'request' });
      // `every`: the next version needs its own approval.
      result = await gate(flow, 'prod', '1.1.0');
      expect(codes(result)).toContain('approval-required');
    });

    it('ends a request with a single reject', async () => {
      const flow = 'billing';
      await deploy(flow, 'dev', '1.1.0');
      let res = await api(USERS.alice).post(`${flowPath(flow)}/requests`, {
        environment: 'prod',
        version: '1.1.0',
        dossier: dossier(),
      });
      const id = res.body.id;
      res = await api(USERS.dave).post(`${BASE}/requests/${id}/decisions`, {
        decision: 'reject',
        comment: 'No rollback plan',
      });
      expect(res.status).toBe(200);
      expect(res.body.status).toBe('rejected');
      res = await api(USERS.erin).post(`${BASE}/requests/${id}/decisions`, {
        decision: 'approve',
        comment: 'Too late',
      });
      expect(res.status).toBe(409);
    });

    it('voids approvals when the requester edits the dossier; only the requester edits', async () => {
      const flow = 'billing';
      await deploy(flow, 'dev', '1.2.0');
      let res = await api(USERS.alice).post(`${flowPath(flow)}/requests`, {
        environment: 'prod',
        version: '1.2.0',
        dossier: dossier(),
      });
      const created: PromotionRequest = res.body;
      res = await api(USERS.dave).post(
        `${BASE}/requests/${created.id}/decisions`,
        { decision: 'approve', comment: 'OK' },
      );
      expect(res.status).toBe(200);

      res = await api(USERS.dave).patch(`${BASE}/requests/${created.id}`, {
        dossier: dossier('Hijacked'),
      });
      expect(res.status).toBe(403);
      expect(res.body.error.message).toContain('Only the requester');

      res = await api(USERS.alice).patch(`${BASE}/requests/${created.id}`, {
        dossier: dossier('Also fixes the report header'),
        revision: created.revision,
      });
      expect(res.status).toBe(200);
      const edited: PromotionRequest = res.body;
      expect(edited.revision).toBe(created.revision + 1);
      expect(edited.dossierHash).not.toBe(created.dossierHash);
      expect(edited.decisions[0].voidedAt).toBeDefined();

      res = await api(USERS.dave).get(`${BASE}/inbox`);
      const item = res.body.items.find(
        (i: { request: PromotionRequest }) => i.request.id === created.id,
      );
      expect(item).toMatchObject({ approvals: 0, requiredApprovals: 2 });

      // A decision on the old dossier is refused; on the new one it counts again.
      res = await api(USERS.dave).post(
        `${BASE}/requests/${created.id}/decisions`,
        {
          decision: 'approve',
          comment: 'OK',
          dossierHash: created.dossierHash,
        },
      );
      expect(res.status).toBe(409);
      res = await api(USERS.dave).post(
        `${BASE}/requests/${created.id}/decisions`,
        { decision: 'approve', comment: 'OK', dossierHash: edited.dossierHash },
      );
      expect(res.status).toBe(200);
    });

    it('refuses a requester approving their own request', async () => {
      await deploy('reports', 'dev', '3.0.0');
      let res = await api(USERS.erin).post(`${flowPath('reports')}/requests`, {
        environment: 'prod',
        version: '3.0.0',
        dossier: dossier(),
      });
      expect(res.status).toBe(201);
      res = await api(USERS.erin).post(
        `${BASE}/requests/${res.body.id}/decisions`,
        { decision: 'approve', comment: 'Mine' },
      );
      expect(res.status).toBe(403);
      expect(res.body.error.message).toBe(
        'You requested this promotion, so you cannot approve it',
      );
    });

    it('settles a race between approve and withdraw: one wins, the other gets 409', async () => {
      // 6.0.0 has passed Dev and Test: only the approval is left.
      await deploy('ledger', 'dev', '6.0.0');
      await deploy('ledger', 'test', '6.0.0');
      expect(
        (
          await check('ledger', 'test', 'e2e', {
            version: '6.0.0',
            evidenceLink: 'https://ci.example.com/e2e/6.0.0',
          })
        ).status,
      ).toBe(201);
      expect(
        (
          await api(USERS.carol).post(
            `${flowPath('ledger')}/environments/test/sign-offs`,
            { version: '6.0.0', comment: 'Confirmed' },
          )
        ).status,
      ).toBe(201);
      const created = await api(USERS.alice).post(
        `${flowPath('ledger')}/requests`,
        { environment: 'prod', version: '6.0.0', dossier: dossier() },
      );
      expect(created.status).toBe(201);
      const id = created.body.id;
      const [approve, withdraw] = await Promise.all([
        api(USERS.dave).post(`${BASE}/requests/${id}/decisions`, {
          decision: 'approve',
          comment: 'Go',
        }),
        api(USERS.alice).post(`${BASE}/requests/${id}/withdraw`, {
          reason: 'Changed my mind',
        }),
      ]);
      expect([approve.status, withdraw.status].sort()).toEqual([200, 409]);
      const final = await api(USERS.alice).get(`${BASE}/requests/${id}`);
      expect(final.body.status).toBe(
        approve.status === 200 ? 'approved' : 'withdrawn',
      );
    });
  },
);
