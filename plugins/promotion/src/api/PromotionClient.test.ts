import { ResponseError } from '@backstage/errors';
import {
  MockFetchApi,
  mockApis,
  registerMswTestHooks,
} from '@backstage/test-utils';
import { http, HttpResponse } from 'msw';
import { setupServer } from 'msw/node';
import { PromotionClient } from './PromotionClient';

const baseUrl = 'http://localhost:7007/api/promotion';
const server = setupServer();

describe('PromotionClient', () => {
  registerMswTestHooks(server);

  const client = new PromotionClient({
    discoveryApi: mockApis.discovery({ baseUrl: 'http://localhost:7007' }),
    fetchApi: new MockFetchApi({ injectIdentityAuth: { token: 'secret' } }),
  });

  it('reads a flow by its entity ref split into namespace, kind and name', async () => {
    let authorization: string | null = null;
    server.use(
      http.get(
        `${baseUrl}/flows/default/component/payments-sftp`,
        ({ request }) => {
          authorization = request.headers.get('authorization');
          return HttpResponse.json({
            entityRef: 'component:default/payments-sftp',
          });
        },
      ),
    );

    const flow = await client.getFlow('Component:default/payments-sftp');

    expect(flow.entityRef).toBe('component:default/payments-sftp');
    expect(authorization).toBe('Bearer secret');
  });

  it('encodes path segments', async () => {
    server.use(
      http.get(`${baseUrl}/requests/:id`, ({ params }) =>
        HttpResponse.json({ id: params.id }),
      ),
    );

    const request = await client.getRequest('a/b c');

    expect(request.id).toBe('a/b c');
  });

  it('posts a checklist completion as JSON to the validation checklist route', async () => {
    let body: unknown;
    server.use(
      http.post(
        `${baseUrl}/flows/default/component/svc/environments/test/checklist/smoke-tests`,
        async ({ request }) => {
          body = await request.json();
          return HttpResponse.json({ id: 'c1' }, { status: 201 });
        },
      ),
    );

    const completion = await client.completeChecklistItem(
      {
        entityRef: 'component:default/svc',
        environmentId: 'test',
        kind: 'validation',
        itemId: 'smoke-tests',
      },
      { version: '1.2.0', evidenceLink: 'https://ci/1', note: 'green' },
    );

    expect(completion.id).toBe('c1');
    expect(body).toEqual({
      version: '1.2.0',
      evidenceLink: 'https://ci/1',
      note: 'green',
    });
  });

  it('undoes a post-deployment item with the version in the query', async () => {
    let version: string | null = null;
    server.use(
      http.delete(
        `${baseUrl}/flows/default/component/svc/environments/production/post-deployment/monitor-logs`,
        ({ request }) => {
          version = new URL(request.url).searchParams.get('version');
          return new HttpResponse(null, { status: 204 });
        },
      ),
    );

    await client.undoChecklistItem(
      {
        entityRef: 'component:default/svc',
        environmentId: 'production',
        kind: 'post-deployment',
        itemId: 'monitor-logs',
      },
      { version: '1.2.0' },
    );

    expect(version).toBe('1.2.0');
  });

  it('sends a decision with the dossier hash the approver read', async () => {
    let body: unknown;
    server.use(
      http.post(`${baseUrl}/requests/r1/decisions`, async ({ request }) => {
        body = await request.json();
        return HttpResponse.json({ id: 'r1', status: 'approved' });
      }),
    );

    const request = await client.decide('r1', {
      decision: 'approve',
      comment: 'Looks good',
      dossierHash: 'abc',
    });

    expect(request.status).toBe('approved');
    expect(body).toEqual({
      decision: 'approve',
      comment: 'Looks good',
      dossierHash: 'abc',
    });
  });

  it('pages through the flow history with cursor and limit', async () => {
    let search = '';
    server.use(
      http.get(
        `${baseUrl}/flows/default/component/svc/events`,
        ({ request }) => {
          search = new URL(request.url).search;
          return HttpResponse.json({ items: [], nextCursor: undefined });
        },
      ),
    );

    await client.getFlowEvents('component:default/svc', {
      cursor: 'c2',
      limit: 20,
    });

    expect(search).toBe('?cursor=c2&limit=20');
  });

  it('reads the trail of a deployment of the flow', async () => {
    let authorization: string | null = null;
    server.use(
      http.get(
        `${baseUrl}/flows/default/component/svc/deployments/:deploymentId/trail`,
        ({ params, request }) => {
          authorization = request.headers.get('authorization');
          return HttpResponse.json({
            entityRef: 'component:default/svc',
            environmentTitle: 'Production',
            deployment: { id: params.deploymentId },
            approval: { basis: 'none', approvals: [], auditEvents: [] },
          });
        },
      ),
    );

    const trail = await client.getDeploymentTrail(
      'Component:default/svc',
      '0b5e3c1a-6f2d-4e8b-9a7c-3d1f2e4b5a69',
    );

    expect(trail.deployment.id).toBe('0b5e3c1a-6f2d-4e8b-9a7c-3d1f2e4b5a69');
    expect(trail.environmentTitle).toBe('Production');
    expect(authorization).toBe('Bearer secret');
  });

  it('throws a ResponseError when the deployment is not found', async () => {
    server.use(
      http.get(
        `${baseUrl}/flows/default/component/svc/deployments/:deploymentId/trail`,
        () =>
          HttpResponse.json(
            {
              error: {
                name: 'NotFoundError',
                message: 'No deployment d1 of component:default/svc',
              },
              response: { statusCode: 404 },
            },
            { status: 404 },
          ),
      ),
    );

    await expect(
      client.getDeploymentTrail('component:default/svc', 'd1'),
    ).rejects.toMatchObject({
      name: 'ResponseError',
      statusCode: 404,
      body: { error: { message: 'No deployment d1 of component:default/svc' } },
    });
  });

  it('downloads the verification report as CSV through fetchApi', async () => {
    let query: URLSearchParams | undefined;
    let authorization: string | null = null;
    server.use(
      http.get(`${baseUrl}/reports/verification`, ({ request }) => {
        query = new URL(request.url).searchParams;
        authorization = request.headers.get('authorization');
        return new HttpResponse('kind,message\n', {
          headers: { 'Content-Type': 'text/csv' },
        });
      }),
    );

    const blob = await client.downloadVerificationReport({
      from: '2024-01-01T00:00:00.000Z',
      to: '2024-02-01T00:00:00.000Z',
    });

    expect(await blob.text()).toBe('kind,message\n');
    expect(query?.get('format')).toBe('csv');
    expect(query?.get('from')).toBe('2024-01-01T00:00:00.000Z');
    expect(query?.get('to')).toBe('2024-02-01T00:00:00.000Z');
    expect(authorization).toBe('Bearer secret');
  });

  it('reads the insights of a flow as JSON and downloads them as CSV', async () => {
    const queries: URLSearchParams[] = [];
    server.use(
      http.get(`${baseUrl}/insights`, ({ request }) => {
        const query = new URL(request.url).searchParams;
        queries.push(query);
        return query.get('format') === 'csv'
          ? new HttpResponse('weekStart,productionDeployments\n', {
              headers: { 'Content-Type': 'text/csv' },
            })
          : HttpResponse.json({ totals: { productionDeployments: 4 } });
      }),
    );
    const range = {
      from: '2024-01-01T00:00:00.000Z',
      flow: 'component:default/payments',
    };

    const insights = await client.getInsights(range);
    const blob = await client.downloadInsights(range);

    expect(insights.totals.productionDeployments).toBe(4);
    expect(await blob.text()).toBe('weekStart,productionDeployments\n');
    expect(queries.map(q => Object.fromEntries(q))).toEqual([
      { ...range, format: 'json' },
      { ...range, format: 'csv' },
    ]);
  });

  it('exports the audit trail as NDJSON', async () => {
    server.use(
      http.get(`${baseUrl}/audit/export`, ({ request }) => {
        const format = new URL(request.url).searchParams.get('format');
        return new HttpResponse(`{"format":"${format}"}\n`);
      }),
    );

    const blob = await client.exportAuditEvents({ format: 'ndjson' });

    expect(await blob.text()).toBe('{"format":"ndjson"}\n');
  });

  it('throws a ResponseError carrying the backend message', async () => {
    server.use(
      http.post(`${baseUrl}/requests/r1/decisions`, () =>
        HttpResponse.json(
          {
            error: {
              name: 'NotAllowedError',
              message: 'You requested this promotion, so you cannot approve it',
            },
            request: { method: 'POST', url: '/requests/r1/decisions' },
            response: { statusCode: 403 },
          },
          { status: 403 },
        ),
      ),
    );

    const result = client.decide('r1', { decision: 'approve', comment: 'x' });

    await expect(result).rejects.toBeInstanceOf(ResponseError);
    await expect(result).rejects.toMatchObject({
      statusCode: 403,
      body: {
        error: {
          message: 'You requested this promotion, so you cannot approve it',
        },
      },
    });
  });
});
