import { mockCredentials } from '@backstage/backend-test-utils';
import { FlowState } from '@promotion/plugin-promotion-common';
import type { Knex } from 'knex';
import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
  DATABASE_TEST_TIMEOUT_MS,
} from '../database/__testUtils__/testDatabases';
import { TABLES } from '../database/tables';
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

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

/*
 * Checklist items a pipeline attests (issue 14): an item declared
 * `attestedBy: pipeline` is completed only by a pipeline's token, with an
 * evidence link and a short result; `both` by either; `person` (the default)
 * only by people. The attestation is stored with its result, bound to the
 * audit chain like every other field, and shown in the flow and the trail.
 */

const databases = createTestDatabases();

/** The pipeline, as the test backend's service token names it. */
const PIPELINE = `service:${mockCredentials.service().principal.subject}`;

const config = JSON.parse(JSON.stringify(PROMOTION_CONFIG));
config.policies.standard.environments[0].checklist.push(
  {
    id: 'unit-tests',
    title: 'Unit tests passing',
    attestedBy: 'pipeline',
  },
  { id: 'lint', title: 'Lint clean', attestedBy: 'both' },
);
config.policies.standard.environments[2].postDeployment.checklist.push({
  id: 'synthetic-checks',
  title: 'Synthetic checks green',
  attestedBy: 'pipeline',
});

const EVIDENCE = 'https://ci.example.com/runs/1284/report';
const RESULT = 'All tests passing — 1,284 passed 🚀';

describe.each(databases.eachSupportedId())(
  'Attested checklist items on %p',
  databaseId => {
    let server: TestServer;
    let knex: Knex;
    beforeAll(async () => {
      knex = await databases.init(databaseId);
      ({ server } = await startPromotionBackend({ knex, config }));
    }, DATABASE_HOOK_TIMEOUT_MS);
    const { api, pipeline, deploy, check } = promotionApi(() => server);

    const item = (flow: string, environment: string, itemId: string) =>
      `${flowPath(flow)}/environments/${environment}/checklist/${itemId}`;
    const devState = async (flow: string, as: string = USERS.alice) =>
      ((await bodyOf(api(as).get(flowPath(flow)), 200)) as FlowState)
        .environments[0];

    it('a pipeline attests a pipeline-only item with its evidence and result, and the flow shows it', async () => {
      await deploy('payments-sftp', 'dev', '1.0.0');
      const attested = await bodyOf(
        pipeline().post(item('payments-sftp', 'dev', 'unit-tests'), {
          version: '1.0.0',
          evidenceLink: EVIDENCE,
          result: RESULT,
        }),
      );
      expect(attested).toMatchObject({
        itemId: 'unit-tests',
        version: '1.0.0',
        completedBy: PIPELINE,
        evidenceLink: EVIDENCE,
        result: RESULT,
      });

      const dev = await devState('payments-sftp');
      expect(
        dev.environment.checklist.find(i => i.id === 'unit-tests'),
      ).toMatchObject({ attestedBy: 'pipeline' });
      expect(
        dev.environment.checklist.find(i => i.id === 'code-reviewed'),
      ).not.toHaveProperty('attestedBy');
      expect(dev.checklist).toEqual([attested]);

      // The audit event carries the evidence and the result.
      const events = await bodyOf(
        api().get(`${flowPath('payments-sftp')}/events`),
        200,
      );
      expect(
        events.items.find(
          (e: { type: string }) => e.type === 'checklist.completed',
        ),
      ).toMatchObject({
        actor: PIPELINE,
        payload: {
          itemId: 'unit-tests',
          evidenceLink: EVIDENCE,
          result: RESULT,
        },
      });
    });

    it('people cannot complete a pipeline-only item, and pipelines cannot attest a person-only one: 403 with the reason', async () => {
      await deploy('ledger', 'dev', '2.0.0');
      const byPerson = await check('ledger', 'dev', 'unit-tests', {
        version: '2.0.0',
        evidenceLink: EVIDENCE,
      });
      expect(byPerson.status).toBe(403);
      expect(byPerson.body.error.message).toBe(
        '"Unit tests passing" is completed by the pipeline (attestedBy: pipeline): a person cannot complete it',
      );

      const byPipeline = await pipeline().post(
        item('ledger', 'dev', 'code-reviewed'),
        { version: '2.0.0', evidenceLink: EVIDENCE },
      );
      expect(byPipeline.status).toBe(403);
      expect(byPipeline.body.error.message).toBe(
        '"Code reviewed and merged" is completed by people (attestedBy: person): a pipeline cannot attest it',
      );
      expect((await devState('ledger')).checklist).toEqual([]);
    });

    it('an item open to both is completed by a person or attested by a pipeline', async () => {
      await deploy('ledger', 'dev', '2.1.0');
      await deploy('ledger', 'dev', '2.2.0');
      const byPerson = await bodyOf(
        check('ledger', 'dev', 'lint', { version: '2.1.0', note: 'Ran it' }),
      );
      expect(byPerson).toMatchObject({ completedBy: USERS.alice });
      expect(byPerson).not.toHaveProperty('result');
      const byPipeline = await bodyOf(
        pipeline().post(item('ledger', 'dev', 'lint'), {
          version: '2.2.0',
          evidenceLink: EVIDENCE,
        }),
      );
      expect(byPipeline).toMatchObject({
        completedBy: PIPELINE,
        evidenceLink: EVIDENCE,
      });
      expect(byPipeline).not.toHaveProperty('result');
    });

    it('refuses an attestation without evidence, a person’s result, and a result too long or not storable: 400 naming the field', async () => {
      await deploy('ledger', 'dev', '3.0.0');
      const cases: Array<[string, ReturnType<typeof api>, object, RegExp]> = [
        [
          'no evidence',
          pipeline(),
          { version: '3.0.0', result: 'ok' },
          /^body\.evidenceLink: Required: a pipeline attests "Lint clean" with a link to its evidence$/,
        ],
        [
          'a person’s result',
          api(),
          { version: '3.0.0', result: 'ok' },
          /^body\.result: only a pipeline attests an item with a result/,
        ],
        [
          'too long',
          pipeline(),
          { version: '3.0.0', evidenceLink: EVIDENCE, result: 'x'.repeat(501) },
          /body\.result/,
        ],
        [
          'empty',
          pipeline(),
          { version: '3.0.0', evidenceLink: EVIDENCE, result: '  ' },
          /body\.result/,
        ],
        [
          'a lone surrogate',
          pipeline(),
          { version: '3.0.0', evidenceLink: EVIDENCE, result: 'pass \ud800' },
          /body\.result: Contains a character that cannot be stored/,
        ],
        [
          'NUL',
          pipeline(),
          { version: '3.0.0', evidenceLink: EVIDENCE, result: 'pass\u0000' },
          /body\.result: Contains a character that cannot be stored/,
        ],
        [
          'evidence that is no http(s) URL',
          pipeline(),
          { version: '3.0.0', evidenceLink: 'file:///etc/passwd' },
          /body\.evidenceLink/,
        ],
      ];
      for (const [what, caller, body, message] of cases) {
        const res = await caller.post(item('ledger', 'dev', 'lint'), body);
        expect({ what, status: res.status }).toEqual({ what, status: 400 });
        expect(res.body.error.message).toMatch(message);
      }
      expect(
        (await devState('ledger')).checklist.filter(c => c.itemId === 'lint'),
      ).toEqual([]);
    });

    it('a pipeline attests a post-deployment item once the version is deployed, and people cannot', async () => {
      const path = `${flowPath(
        'payments-sftp',
      )}/environments/prod/post-deployment/synthetic-checks`;
      // Not deployed to Production: not due yet.
      const early = await pipeline().post(path, {
        version: '1.0.0',
        evidenceLink: EVIDENCE,
      });
      expect(early.status).toBe(409);
      await deploy('payments-sftp', 'prod', '1.0.0');
      const byPerson = await api().post(path, {
        version: '1.0.0',
        evidenceLink: EVIDENCE,
      });
      expect(byPerson.status).toBe(403);
      const attested = await bodyOf(
        pipeline().post(path, {
          version: '1.0.0',
          evidenceLink: 'https://synthetics.example.com/file-router',
          result: '12 of 12 checks green',
        }),
      );
      expect(attested).toMatchObject({
        kind: 'post-deployment',
        completedBy: PIPELINE,
        result: '12 of 12 checks green',
      });
      // People may undo it (a person voids a wrong attestation; the
      // pipeline attests again).
      const undone = await api().delete(`${path}?version=1.0.0`);
      expect(undone.status).toBe(204);
    });

    it('the deployment trail shows the attestation that validated the version', async () => {
      await deploy('payments-sftp', 'dev', '5.0.0');
      await bodyOf(
        pipeline().post(item('payments-sftp', 'dev', 'lint'), {
          version: '5.0.0',
          evidenceLink: EVIDENCE,
          result: RESULT,
        }),
      );
      const deployment = await deploy('payments-sftp', 'test', '5.0.0');
      const trail = await bodyOf(
        api().get(
          `${flowPath('payments-sftp')}/deployments/${deployment.id}/trail`,
        ),
        200,
      );
      expect(trail.validation.completions).toEqual([
        expect.objectContaining({
          itemTitle: 'Lint clean',
          completion: expect.objectContaining({
            completedBy: PIPELINE,
            evidenceLink: EVIDENCE,
            result: RESULT,
          }),
        }),
      ]);
    });

    it('verification names an attestation whose result was edited in the database', async () => {
      const verify = () =>
        bodyOf(api(USERS.ann).get(`${BASE}/audit/verify`), 200);
      expect(await verify()).toMatchObject({ intact: true, breaks: [] });
      const row = await knex(TABLES.checklistCompletions)
        .where({ result: RESULT, item_id: 'unit-tests' })
        .first();
      expect(row.result).toBe(RESULT);
      await knex(TABLES.checklistCompletions)
        .where({ id: row.id })
        .update({ result: 'All tests passing — 1,285 passed' });
      try {
        const verified = await verify();
        expect(verified.intact).toBe(false);
        expect(verified.breaks).toEqual([
          expect.objectContaining({
            kind: 'state-altered',
            table: TABLES.checklistCompletions,
            rowId: row.id,
            message: expect.stringContaining('says result is'),
          }),
        ]);
      } finally {
        await knex(TABLES.checklistCompletions)
          .where({ id: row.id })
          .update({ result: RESULT });
      }
      expect(await verify()).toMatchObject({ intact: true });
    });
  },
);
