import { HttpAuthService, LoggerService } from '@backstage/backend-plugin-api';
import { ChecklistKind } from '@promotion/plugin-promotion-common';
import express from 'express';
import Router from 'express-promise-router';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { buildOpenApiDocument } from '../schema/openApiDocument';
import { addOperationRoutes } from '../schema/operationRoutes';
import { AUDIT_EXPORT_CONTENT_TYPES } from './audit/auditExport';
import {
  INSIGHTS_CONTENT_TYPES,
  insightsToCsv,
} from './audit/GovernanceInsights';
import { VERIFICATION_REPORT_CONTENT_TYPES } from './audit/verificationReportStream';
import { PromotionService } from './PromotionService';
import { translateUnavailable } from './unavailable';

export interface RouterOptions {
  httpAuth: HttpAuthService;
  logger: LoggerService;
  service: PromotionService;
}

/**
 * The REST API of the contract table `promotionApiOperations` in
 * promotion-common. HTTP only: `addOperationRoutes` authenticates the caller
 * and validates every input with the table's zod schemas; the handlers here
 * hand over to the PromotionService, which holds the rules. Errors are
 * `@backstage/errors` types, turned into responses by the framework.
 */
export async function createRouter(
  options: RouterOptions,
): Promise<express.Router> {
  const { httpAuth, logger, service } = options;
  const router = Router();
  router.use(express.json({ limit: '1mb' }));

  const openApiDocument = buildOpenApiDocument();

  addOperationRoutes(
    router,
    {
      getHealth: (_input, res) => {
        res.json({ status: 'ok' });
      },
      getOpenApiDocument: (_input, res) => {
        res.json(openApiDocument);
      },

      // --- Flows -----------------------------------------------------------

      getFlowState: async ({ params, ctx }, res) => {
        res.json(await service.getFlowState(params, ctx));
      },
      getGate: async ({ params, query, ctx }, res) => {
        res.json(await service.getGate(params, query, ctx));
      },
      getFlowPermissions: async ({ params, ctx }, res) => {
        res.json(await service.getFlowPermissions(params, ctx));
      },
      listFlowEvents: async ({ params, query, ctx }, res) => {
        res.json(await service.listFlowEvents(params, query, ctx));
      },
      recordDeployment: async ({ params, body, ctx }, res) => {
        const result = await service.recordDeployment(params, body, ctx);
        res.status(result.replayed ? 200 : 201).json(result);
      },
      getDeploymentTrail: async ({ params, ctx }, res) => {
        res.json(
          await service.getDeploymentTrail(params, params.deploymentId, ctx),
        );
      },
      recordRollback: async ({ params, body, ctx }, res) => {
        res.status(201).json(await service.recordRollback(params, body, ctx));
      },
      declareBreakGlass: async ({ params, body, ctx }, res) => {
        res
          .status(201)
          .json(await service.declareBreakGlass(params, body, ctx));
      },
      decideBreakGlass: async ({ params, body, ctx }, res) => {
        res.json(
          await service.decideBreakGlass(
            params,
            params.breakGlassId,
            body,
            ctx,
          ),
        );
      },
      closeBreakGlassReview: async ({ params, body, ctx }, res) => {
        res.json(
          await service.closeBreakGlassReview(
            params,
            params.breakGlassId,
            body,
            ctx,
          ),
        );
      },
      getBreakGlassInbox: async ({ ctx }, res) => {
        res.json(await service.getBreakGlassInbox(ctx));
      },
      createPromotionRequest: async ({ params, body, ctx }, res) => {
        res.status(201).json(await service.createRequest(params, body, ctx));
      },

      // --- Environments ----------------------------------------------------

      completeChecklistItem: async ({ params, body, ctx }, res) => {
        res
          .status(201)
          .json(
            await service.completeChecklistItem(
              params,
              item(params, 'validation'),
              body,
              ctx,
            ),
          );
      },
      undoChecklistItem: async ({ params, query, ctx }, res) => {
        await service.undoChecklistItem(
          params,
          item(params, 'validation'),
          query,
          ctx,
        );
        res.status(204).end();
      },
      completePostDeploymentItem: async ({ params, body, ctx }, res) => {
        res
          .status(201)
          .json(
            await service.completeChecklistItem(
              params,
              item(params, 'post-deployment'),
              body,
              ctx,
            ),
          );
      },
      undoPostDeploymentItem: async ({ params, query, ctx }, res) => {
        await service.undoChecklistItem(
          params,
          item(params, 'post-deployment'),
          query,
          ctx,
        );
        res.status(204).end();
      },
      signOff: async ({ params, body, ctx }, res) => {
        res
          .status(201)
          .json(await service.signOff(params, params.environment, body, ctx));
      },
      revokeStandingApproval: async ({ params, body, ctx }, res) => {
        res.json(
          await service.revokeStandingApproval(
            params,
            params.environment,
            body,
            ctx,
          ),
        );
      },

      // --- Promotion requests ----------------------------------------------

      getPromotionRequest: async ({ params, ctx }, res) => {
        res.json(await service.getRequest(params.id, ctx));
      },
      editPromotionRequest: async ({ params, body, ctx }, res) => {
        res.json(await service.editRequest(params.id, body, ctx));
      },
      withdrawPromotionRequest: async ({ params, body, ctx }, res) => {
        res.json(await service.withdrawRequest(params.id, body, ctx));
      },
      decidePromotionRequest: async ({ params, body, ctx }, res) => {
        res.json(await service.decide(params.id, body, ctx));
      },
      getInbox: async ({ ctx }, res) => {
        res.json(await service.getInbox(ctx));
      },

      // --- Audit and verification ------------------------------------------

      listAuditEvents: async ({ query, ctx }, res) => {
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
      },
      exportAuditEvents: async ({ query, ctx }, res) => {
        const chunks = await service.exportAudit(
          {
            format: query.format,
            from: toDate(query.from),
            to: toDate(query.to),
          },
          ctx,
        );
        await sendChunks(chunks, res, () =>
          res
            // attachment() guesses a type from the file name: set ours after it.
            .attachment(`promotion-audit.${query.format}`)
            .type(AUDIT_EXPORT_CONTENT_TYPES[query.format]),
        );
      },
      verifyAuditChain: async ({ ctx }, res) => {
        res.json(await service.verifyChain(ctx));
      },
      verifyAuditChainAgainstCheckpoint: async ({ body, ctx }, res) => {
        res.json(await service.verifyChain(ctx, { checkpoint: body }));
      },
      createAuditCheckpoint: async ({ ctx }, res) => {
        res.status(201).json(await service.createAuditCheckpoint(ctx));
      },
      getVerificationReport: async ({ query, ctx }, res) => {
        const chunks = await service.getVerificationReport(
          {
            from: toDate(query.from),
            to: toDate(query.to),
            format: query.format,
          },
          ctx,
        );
        await sendChunks(chunks, res, () => {
          if (query.format === 'csv') {
            res.attachment('promotion-verification-report.csv');
          }
          res.type(VERIFICATION_REPORT_CONTENT_TYPES[query.format]);
        });
      },
      getInsights: async ({ query, ctx }, res) => {
        const insights = await service.getInsights(
          { from: toDate(query.from), to: toDate(query.to), flow: query.flow },
          ctx,
        );
        if (query.format === 'csv') {
          res
            .status(200)
            .attachment('promotion-insights.csv')
            .type(INSIGHTS_CONTENT_TYPES.csv)
            .send(insightsToCsv(insights));
          return;
        }
        res.json(insights);
      },
    },
    { httpAuth },
  );
  router.use(translateUnavailable({ logger }));

  return router;
}

/**
 * Streams a response written a chunk at a time (the audit export, the
 * verification report), at the pace the client reads it. The first chunk is
 * read before the status and the headers (`start`) are set, so a failure
 * before it is still a proper error response.
 */
async function sendChunks(
  chunks: AsyncIterable<string>,
  res: express.Response,
  start: () => void,
): Promise<void> {
  const iterator = chunks[Symbol.asyncIterator]();
  const first = await iterator.next();
  res.status(200);
  start();
  await pipeline(
    Readable.from(
      (async function* rest() {
        if (first.done) {
          return;
        }
        try {
          yield first.value;
          for (;;) {
            const next = await iterator.next();
            if (next.done) {
              return;
            }
            yield next.value;
          }
        } finally {
          // The client went away: stop reading.
          await iterator.return?.();
        }
      })(),
    ),
    res,
  );
}

/** The checklist item a checklist route addresses. */
function item(
  params: { environment: string; itemId: string },
  kind: ChecklistKind,
): { environment: string; kind: ChecklistKind; itemId: string } {
  return { environment: params.environment, kind, itemId: params.itemId };
}

function toDate(value: string | undefined): Date | undefined {
  return value === undefined ? undefined : new Date(value);
}
