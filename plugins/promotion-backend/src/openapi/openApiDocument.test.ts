import { mockServices } from '@backstage/backend-test-utils';
import { createRouter } from '../service/router';
import { PromotionService } from '../service/PromotionService';
import { buildOpenApiDocument } from './openApiDocument';

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, any>>;
  components: { schemas: Record<string, any> };
};

describe('buildOpenApiDocument', () => {
  const doc = buildOpenApiDocument() as Doc;

  it('documents exactly the routes the router serves', async () => {
    const router = await createRouter({
      httpAuth: mockServices.httpAuth(),
      // Only the route table is read; no handler runs.
      service: {} as PromotionService,
    });
    const served = (router.stack as any[])
      .filter(layer => layer.route)
      .flatMap(layer =>
        Object.keys(layer.route.methods).map(
          method =>
            `${method.toUpperCase()} ${layer.route.path.replace(
              /:([A-Za-z]+)/g,
              '{$1}',
            )}`,
        ),
      )
      .sort();
    const documented = Object.entries(doc.paths)
      .flatMap(([path, operations]) =>
        Object.keys(operations).map(
          method => `${method.toUpperCase()} ${path}`,
        ),
      )
      .sort();
    expect(documented).toEqual(served);
    expect(served).toHaveLength(24);
  });

  it('is an OpenAPI 3.1 document with bearer security and public health', () => {
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.paths['/health'].get.security).toEqual([]);
    expect(doc.paths['/openapi.json'].get.security).toEqual([]);
    expect(doc.paths['/inbox'].get.security).toBeUndefined();
  });

  it('resolves every $ref to a component schema', () => {
    const refs = new Set<string>();
    const walk = (value: unknown) => {
      if (Array.isArray(value)) {
        value.forEach(walk);
      } else if (value && typeof value === 'object') {
        for (const [key, child] of Object.entries(value)) {
          if (key === '$ref' && typeof child === 'string') {
            refs.add(child);
          } else {
            walk(child);
          }
        }
      }
    };
    walk(doc);
    expect(refs.size).toBeGreaterThan(10);
    for (const ref of refs) {
      const name = ref.replace('#/components/schemas/', '');
      expect(doc.components.schemas[name]).toBeDefined();
    }
  });

  it('describes request bodies with the validation rules of the router', () => {
    const body =
      doc.paths['/flows/{namespace}/{kind}/{name}/rollbacks'].post.requestBody;
    expect(body.content['application/json'].schema).toEqual({
      $ref: '#/components/schemas/RollbackRequest',
    });
    expect(doc.components.schemas.RollbackRequest).toMatchObject({
      required: ['environment', 'reason'],
      properties: {
        reason: { minLength: 1, maxLength: 10000 },
        incidentLink: { type: 'string', format: 'uri' },
      },
    });
    expect(doc.components.schemas.Dossier.required).toEqual([
      'whatChanged',
      'why',
    ]);
    const events = doc.paths['/audit/events'].get.parameters;
    expect(events).toEqual(
      expect.arrayContaining([
        expect.objectContaining({
          name: 'limit',
          in: 'query',
          required: false,
          schema: expect.objectContaining({ minimum: 1, maximum: 500 }),
        }),
      ]),
    );
  });
});
