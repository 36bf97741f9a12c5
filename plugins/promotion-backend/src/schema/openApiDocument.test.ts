import {
  mockCredentials,
  mockErrorHandler,
  mockServices,
} from '@backstage/backend-test-utils';
import { Validator } from '@seriousme/openapi-schema-validator';
import express from 'express';
import request from 'supertest';
import { createRouter } from '../service/router';
import { PromotionService } from '../service/PromotionService';
import {
  OpenApiDocument,
  OpenApiSchemas,
  pointerSegment,
} from './__testUtils__/openApiSchemas';
import { readOpenApiFile } from './__testUtils__/openApiFile';
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
      logger: mockServices.logger.mock(),
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
    // 25, and since the keyed audit chain POST /audit/verify and POST /audit/checkpoints;
    // since break-glass its declaration, decision, review and inbox, and the governance insights GET /insights.
    expect(served).toHaveLength(32);
  });

  it('opens to pipelines exactly the operations the router lets services call', async () => {
    const router = await createRouter({
      httpAuth: mockServices.httpAuth(),
      logger: mockServices.logger.mock(),
      // Past authentication every handler fails (500): only 403 matters.
      service: {} as PromotionService,
    });
    const app = express().use(router).use(mockErrorHandler());
    const values: Record<string, string> = {
      namespace: 'default',
      kind: 'component',
      name: 'file-router',
      environment: 'dev',
      itemId: 'code-reviewed',
      id: '5f1c7a52-8d0e-4a39-9b7e-2f7d0c1e4a11',
      deploymentId: '0b5e3c1a-6f2d-4e8b-9a7c-3d1f2e4b5a69',
    };
    const documented: string[] = [];
    const served: string[] = [];
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const name = `${method.toUpperCase()} ${path}`;
        if (operation.security?.length === 0) {
          continue;
        }
        if (/services \(pipelines\)/.test(operation.description)) {
          documented.push(name);
        }
        const url = path.replace(/\{([A-Za-z]+)\}/g, (_m, p) => values[p]);
        const res = await (request(app) as any)
          [method](url)
          .set('Authorization', mockCredentials.service.header());
        if (res.status !== 403) {
          served.push(name);
        }
      }
    }
    expect(documented).toEqual(served);
    expect(documented).toEqual([
      'GET /flows/{namespace}/{kind}/{name}',
      'GET /flows/{namespace}/{kind}/{name}/gate',
      'POST /flows/{namespace}/{kind}/{name}/deployments',
      'GET /flows/{namespace}/{kind}/{name}/deployments/{deploymentId}/trail',
      'POST /flows/{namespace}/{kind}/{name}/rollbacks',
      // Pipelines attest items declared `attestedBy: pipeline` or `both`.
      'POST /flows/{namespace}/{kind}/{name}/environments/{environment}/checklist/{itemId}',
      'POST /flows/{namespace}/{kind}/{name}/environments/{environment}/post-deployment/{itemId}',
      'GET /requests/{id}',
    ]);
  });

  it('is committed as src/schema/openapi.yaml exactly as the contract generates it (else run yarn generate:openapi)', () => {
    expect(readOpenApiFile()).toEqual(doc);
  });

  it('is served at /openapi.json without credentials', async () => {
    const router = await createRouter({
      httpAuth: mockServices.httpAuth(),
      logger: mockServices.logger.mock(),
      service: {} as PromotionService,
    });
    const app = express().use(router).use(mockErrorHandler());
    const res = await request(app)
      .get('/openapi.json')
      .set('Authorization', mockCredentials.none.header());
    expect(res.status).toBe(200);
    expect(res.body).toEqual(readOpenApiFile());
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

  it('passes an OpenAPI 3.1 validator', async () => {
    const validator = new Validator();
    const result = await validator.validate(structuredClone(doc));
    expect(result.errors).toBeUndefined();
    expect(result.valid).toBe(true);
    expect(validator.version).toBe('3.1');
  });

  it('is checked by a validator that refuses a broken document', async () => {
    const broken = structuredClone(doc);
    broken.paths['/flows/{namespace}/{kind}/{name}/gate'].get.parameters[0].in =
      'body';
    const result = await new Validator().validate(broken);
    expect(result.valid).toBe(false);

    const dangling = structuredClone(doc);
    delete dangling.components.schemas.GateCondition;
    await expect(new Validator().validate(dangling)).resolves.toMatchObject({
      valid: false,
    });
  });

  it('has schema objects that are valid JSON Schema 2020-12 and compile in strict mode', () => {
    const schemas = new OpenApiSchemas(doc as unknown as OpenApiDocument);
    const pointers: string[] = Object.keys(doc.components.schemas).map(
      name => `/components/schemas/${pointerSegment(name)}`,
    );
    for (const [path, operations] of Object.entries(doc.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        const at = `/paths/${pointerSegment(path)}/${method}`;
        (operation.parameters as unknown[]).forEach((_p, i) =>
          pointers.push(`${at}/parameters/${i}/schema`),
        );
        for (const type of Object.keys(operation.requestBody?.content ?? {})) {
          pointers.push(
            `${at}/requestBody/content/${pointerSegment(type)}/schema`,
          );
        }
        for (const [status, response] of Object.entries<any>(
          operation.responses,
        )) {
          for (const type of Object.keys(response.content ?? {})) {
            pointers.push(
              `${at}/responses/${status}/content/${pointerSegment(
                type,
              )}/schema`,
            );
          }
        }
      }
    }
    expect(pointers.length).toBeGreaterThan(100);
    for (const pointer of pointers) {
      const schema = pointer
        .split('/')
        .slice(1)
        .map(segment =>
          decodeURIComponent(segment).replace(/~1/g, '/').replace(/~0/g, '~'),
        )
        .reduce<any>((node, key) => node[key], doc);
      expect({ pointer, ...schemas.checkSchemaObject(schema) }).toEqual({
        pointer,
        valid: true,
        errors: [],
      });
      expect(() => schemas.validatorAt(pointer)).not.toThrow();
    }
  });
});
