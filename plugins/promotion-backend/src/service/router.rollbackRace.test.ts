import { TestDatabaseId } from '@backstage/backend-test-utils';
import { FlowState } from '@promotion/plugin-promotion-common';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from '../database/__testUtils__/testDatabases';
import { USERS } from './__testUtils__/promotionTestBackend';
import { flowPath, promotionBackendOn } from './__testUtils__/apiHelpers';

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

const FLOW = flowPath('payments-sftp');
const RACERS = 10;

const databases = createTestDatabases();

describe.each(databases.eachSupportedId())(
  'Parallel rollbacks through the API on %s',
  (databaseId: TestDatabaseId) => {
    const { api, pipeline } = promotionBackendOn(databases, databaseId);

    const post = (path: string, body: object) =>
      pipeline().post(`${FLOW}${path}`, body);

    it(`answers one of ${RACERS} rollbacks of the same version with 201 and the others with 409`, async () => {
      for (const version of ['1.0.0', '1.1.0']) {
        const res = await post('/deployments', {
          environment: 'dev',
          version,
          status: 'succeeded',
        });
        expect(res.status).toBe(201);
      }

      const responses = await Promise.all(
        Array.from({ length: RACERS }, (_, i) =>
          post('/rollbacks', {
            environment: 'dev',
            fromVersion: '1.1.0',
            reason: `Broken build (report ${i})`,
          }),
        ),
      );

      const statuses = responses.map(r => r.status).sort();
      expect(statuses).toEqual([201, ...Array(RACERS - 1).fill(409)]);
      const winner = responses.find(r => r.status === 201)!;
      expect(winner.body).toMatchObject({
        fromVersion: '1.1.0',
        toVersion: '1.0.0',
      });
      for (const loser of responses.filter(r => r.status === 409)) {
        expect(loser.body.error).toMatchObject({
          name: 'ConflictError',
          // From the service's check (the environment's title) or, when
          // the race reached the store, from the store's (its id).
          message: expect.stringMatching(
            /no longer stands on (Dev|dev): it has already been rolled back$/,
          ),
        });
      }

      const flow = await api(USERS.alice).get(FLOW);
      expect(flow.status).toBe(200);
      const state: FlowState = flow.body;
      expect(state.rollbacks.map(r => r.id)).toEqual([winner.body.id]);
      expect(state.environments[0].currentVersion).toBe('1.0.0');

      // Once it is settled, the same rollback is still a conflict; a version
      // never deployed there is bad input.
      const again = await post('/rollbacks', {
        environment: 'dev',
        fromVersion: '1.1.0',
        reason: 'Again',
      });
      expect(again.status).toBe(409);
      const never = await post('/rollbacks', {
        environment: 'dev',
        fromVersion: '7.0.0',
        reason: 'Never there',
      });
      expect(never.status).toBe(400);
      expect(never.body.error.message).toContain(
        'body.fromVersion: version 7.0.0 is not deployed to Dev',
      );
    });
  },
);
