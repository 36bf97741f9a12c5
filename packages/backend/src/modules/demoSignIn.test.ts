import { mockServices, startTestBackend } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import request from 'supertest';
import authPlugin from '@backstage/plugin-auth-backend';
import demoSignInModule, { DEMO_USER_HEADER } from './demoSignIn';

const alice = {
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name: 'alice', namespace: 'default' },
  spec: { memberOf: ['file-transfer-team'] },
};

async function startAuth(environment: string) {
  return startTestBackend({
    features: [
      authPlugin,
      demoSignInModule,
      catalogServiceMock.factory({ entities: [alice] }),
      mockServices.rootConfig.factory({
        data: {
          app: { baseUrl: 'http://localhost:3000' },
          auth: { environment, providers: { demo: {} } },
        },
      }),
    ],
  });
}

describe('demo sign-in', () => {
  it('signs in as an example user in development', async () => {
    const { server } = await startAuth('development');
    const res = await request(server)
      .get('/api/auth/demo/refresh')
      .set(DEMO_USER_HEADER, 'alice');
    expect(res.status).toBe(200);
    expect(res.body.backstageIdentity.identity.userEntityRef).toBe(
      'user:default/alice',
    );
  });

  it('refuses users that are not in the catalog', async () => {
    const { server } = await startAuth('development');
    const res = await request(server)
      .get('/api/auth/demo/refresh')
      .set(DEMO_USER_HEADER, 'mallory');
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.body.backstageIdentity).toBeUndefined();
  });

  it('refuses every sign-in outside development', async () => {
    const { server } = await startAuth('production');
    const res = await request(server)
      .get('/api/auth/demo/refresh')
      .set(DEMO_USER_HEADER, 'alice');
    expect(res.status).toBe(403);
    expect(res.body.backstageIdentity).toBeUndefined();
  });
});
