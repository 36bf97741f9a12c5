import { HttpAuthService } from '@backstage/backend-plugin-api';
import { CompoundEntityRef } from '@backstage/catalog-model';
import {
  ChecklistKind,
  FlowPermissions,
  InboxResponse,
} from '@promotion/plugin-promotion-common';
import express, { Request } from 'express';
import Router from 'express-promise-router';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buildOpenApiDocument } from '../openapi/openApiDocument';
import { AUDIT_EXPORT_CONTENT_TYPES } from './auditExport';
import { CallContext, PromotionService } from './PromotionService';
import {
  auditEventsQuery,
  auditExportQuery,
  checklistItemParams,
  completeChecklistItemBody,
  createRequestBody,
  decisionBody,
  deploymentParams,
  editRequestBody,
  environmentParams,
  flowParams,
  gateQuery,
  pageQuery,
  parseInput,
  recordDeploymentBody,
  requestParams,
  revokeBody,
  rollbackBody,
  signOffBody,
  verificationReportQuery,
  versionQuery,
  withdrawBody,
} from './schemas';
import { verificationReportToCsv } from './verificationReport';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  service: PromotionService;
}

/**
 * The REST API of `promotion-common/src/api.ts`. HTTP only: it validates
 * every input with the zod schemas of `./schemas`, finds out who is calling
 * and hands over to the PromotionService, which holds the rules. Errors are
 * `@backstage/errors` types, turned into responses by the framework.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, service } = options;
  const router = Router();
  router.use(express.json({ limit: '1mb' }));

  const openApiDocument = buildOpenApiDocument();

  /** Users only. */
  const asUser = async (req: Request): Promise<CallContext> => ({
    credentials: await httpAuth.credentials(req, { allow: ['user'] }),
    request: req,
  });
  /** Pipeline routes: users and services. */
  const asUserOrPipeline = async (req: Request): Promise<CallContext> => ({
    credentials: await httpAuth.credentials(req, {
      allow: ['user', 'service'],
    }),
    request: req,
  });
  const flowOf = (req: Request): CompoundEntityRef =>
    parseInput(flowParams, req.params, 'path');

  router.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });

  router.get('/openapi.json', (_req, res) => {
    res.json(openApiDocument);
  });

  // --- Flows ---------------------------------------------------------------

  router.get('/flows/:namespace/:kind/:name', async (req, res) => {
    const ctx = await asUserOrPipeline(req);
    res.json(await service.getFlowState(flowOf(req), ctx));
  });

  router.get('/flows/:namespace/:kind/:name/gate', async (req, res) => {
    const ctx = await asUserOrPipeline(req);
    const flow = flowOf(req);
    const query = parseInput(gateQuery, req.query, 'query');
    res.json(await service.getGate(flow, query, ctx));
  });

  router.get('/flows/:namespace/:kind/:name/permissions', async (req, res) => {
    const ctx = await asUser(req);
    const answer: FlowPermissions = await service.getFlowPermissions(
      flowOf(req),
      ctx,
    );
    res.json(answer);
  });

  router.get('/flows/:namespace/:kind/:name/events', async (req, res) => {
    const ctx = await asUser(req);
    const flow = flowOf(req);
    const query = parseInput(pageQuery, req.query, 'query');
    res.json(await service.listFlowEvents(flow, query, ctx));
  });

  router.post('/flows/:namespace/:kind/:name/deployments', async (req, res) => {
    const ctx = await asUserOrPipeline(req);
    const flow = flowOf(req);
    const body = parseInput(recordDeploymentBody, req.body, 'body');
    const result = await service.recordDeployment(flow, body, ctx);
    res.status(result.replayed ? 200 : 201).json(result);
  });

  router.get(
    '/flows/:namespace/:kind/:name/deployments/:deploymentId/trail',
    async (req, res) => {
      const ctx = await asUserOrPipeline(req);
      const params = parseInput(deploymentParams, req.params, 'path');
      res.json(
        await service.getDeploymentTrail(params, params.deploymentId, ctx),
      );
    },
  );

  router.post('/flows/:namespace/:kind/:name/rollbacks', async (req, res) => {
    const ctx = await asUserOrPipeline(req);
    const flow = flowOf(req);
    const body = parseInput(rollbackBody, req.body, 'body');
    res.status(201).json(await service.recordRollback(flow, body, ctx));
  });

  router.post('/flows/:namespace/:kind/:name/requests', async (req, res) => {
    const ctx = await asUser(req);
    const flow = flowOf(req);
    const body = parseInput(createRequestBody, req.body, 'body');
    res.status(201).json(await service.createRequest(flow, body, ctx));
  });

  // --- Environments --------------------------------------------------------

  for (const [segment, kind] of [
    ['checklist', 'validation'],
    ['post-deployment', 'post-deployment'],
  ] as Array<[string, ChecklistKind]>) {
    const path = `/flows/:namespace/:kind/:name/environments/:environment/${segment}/:itemId`;

    router.post(path, async (req, res) => {
      const ctx = await asUser(req);
      const params = parseInput(checklistItemParams, req.params, 'path');
      const body = parseInput(completeChecklistItemBody, req.body, 'body');
      const completion = await service.completeChecklistItem(
        params,
        { environment: params.environment, kind, itemId: params.itemId },
        body,
        ctx,
      );
      res.status(201).json(completion);
    });

    router.delete(path, async (req, res) => {
      const ctx = await asUser(req);
      const params = parseInput(checklistItemParams, req.params, 'path');
      const query = parseInput(versionQuery, req.query, 'query');
      await service.undoChecklistItem(
        params,
        { environment: params.environment, kind, itemId: params.itemId },
        query,
        ctx,
      );
      res.status(204).end();
    });
  }

  router.post(
    '/flows/:namespace/:kind/:name/environments/:environment/sign-offs',
    async (req, res) => {
      const ctx = await asUser(req);
      const params = parseInput(environmentParams, req.params, 'path');
      const body = parseInput(signOffBody, req.body, 'body');
      res
        .status(201)
        .json(await service.signOff(params, params.environment, body, ctx));
    },
  );

  router.post(
    '/flows/:namespace/:kind/:name/environments/:environment/standing-approval/revoke',
    async (req, res) => {
      const ctx = await asUser(req);
      const params = parseInput(environmentParams, req.params, 'path');
      const body = parseInput(revokeBody, req.body, 'body');
      res.json(
        await service.revokeStandingApproval(
          params,
          params.environment,
          body,
          ctx,
        ),
      );
    },
  );

  // --- Promotion requests --------------------------------------------------

  // Pipelines read a request's status while they wait for a decision.
  router.get('/requests/:id', async (req, res) => {
    const ctx = await asUserOrPipeline(req);
    const { id } = parseInput(requestParams, req.params, 'path');
    res.json(await service.getRequest(id, ctx));
  });

  router.patch('/requests/:id', async (req, res) => {
    const ctx = await asUser(req);
    const { id } = parseInput(requestParams, req.params, 'path');
    const body = parseInput(editRequestBody, req.body, 'body');
    res.json(await service.editRequest(id, body, ctx));
  });

  router.post('/requests/:id/withdraw', async (req, res) => {
    const ctx = await asUser(req);
    const { id } = parseInput(requestParams, req.params, 'path');
    const body = parseInput(withdrawBody, req.body, 'body');
    res.json(await service.withdrawRequest(id, body, ctx));
  });

  router.post('/requests/:id/decisions', async (req, res) => {
    const ctx = await asUser(req);
    const { id } = parseInput(requestParams, req.params, 'path');
    const body = parseInput(decisionBody, req.body, 'body');
    res.json(await service.decide(id, body, ctx));
  });

  router.get('/inbox', async (req, res) => {
    const ctx = await asUser(req);
    const inbox: InboxResponse = await service.getInbox(ctx);
    res.json(inbox);
  });

  // --- Audit and verification ----------------------------------------------

  router.get('/audit/events', async (req, res) => {
    const ctx = await asUser(req);
    const query = parseInput(auditEventsQuery, req.query, 'query');
    res.json(
      await service.listAuditEvents(
        {
          from: toDate(query.from),
          to: toDate(query.to),
          cursor: query.cursor,
          limit: query.limit,
        },
        ctx,
      ),
    );
  });

  router.get('/audit/export', async (req, res) => {
    const ctx = await asUser(req);
    const query = parseInput(auditExportQuery, req.query, 'query');
    const chunks = await service.exportAudit(
      { format: query.format, from: toDate(query.from), to: toDate(query.to) },
      ctx,
    );
    // Read the first page before answering, so a failure is still a proper error response.
    const iterator = chunks[Symbol.asyncIterator]();
    const first = await iterator.next();
    res
      .status(200)
      // attachment() guesses a type from the file name: set ours after it.
      .attachment(`promotion-audit.${query.format}`)
      .type(AUDIT_EXPORT_CONTENT_TYPES[query.format]);
    await pipeline(
      Readable.from(
        (async function* rest() {
          if (first.done) {
            return;
          }
          yield first.value;
          for (;;) {
            const next = await iterator.next();
            if (next.done) {
              return;
            }
            yield next.value;
          }
        })(),
      ),
      res,
    );
  });

  router.get('/audit/verify', async (req, res) => {
    const ctx = await asUser(req);
    res.json(await service.verifyChain(ctx));
  });

  router.get('/reports/verification', async (req, res) => {
    const ctx = await asUser(req);
    const query = parseInput(verificationReportQuery, req.query, 'query');
    const report = await service.getVerificationReport(
      { from: toDate(query.from), to: toDate(query.to) },
      ctx,
    );
    if (query.format === 'csv') {
      res
        .attachment('promotion-verification-report.csv')
        .type('text/csv; charset=utf-8')
        .send(verificationReportToCsv(report));
      return;
    }
    res.json(report);
  });

  return router;
}

function toDate(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : new Date(value);
}
