import { CompoundEntityRef } from '@backstage/catalog-model';
import { InputError, NotFoundError } from '@backstage/errors';
import {
  AuditCheckpoint,
  AuditEvent,
  ChainVerification,
  DeploymentTrail,
  Page,
} from '@promotion/plugin-promotion-common';
import { CallContext } from '../callContext';
import { normaliseEntityRef } from '../requests/approvers';
import { ServiceParts } from '../serviceParts';
import {
  AuditExportFormat,
  EXPORT_PAGE_SIZE,
  formatAuditExport,
} from './auditExport';
import { readDeploymentTrail } from './deploymentTrailReads';
import { ReportLinks, VerificationFlow } from './verificationReport';
import {
  REPORT_CHUNK_SIZE,
  streamVerificationReport,
  VerificationReportFormat,
} from './verificationReportStream';

const DEFAULT_REPORT_DAYS = 30;

type AuditTrailParts = Pick<
  ServiceParts,
  'store' | 'flows' | 'authorizer' | 'now'
>;

/**
 * What the audit trail proves, read only: a flow's history, the trail of one
 * deployment, and, for auditors, the whole trail, its export, its hash-chain
 * verification and the verification report.
 */
export class AuditTrail {
  readonly #parts: AuditTrailParts;
  readonly #links: ReportLinks;
  readonly #reportChunkSize: number;
  readonly #exportPageSize: number;

  /**
   * `links`: where the verification report's evidence opens in the portal;
   * `sizes`: how many deployments the report and how many events the export
   * read at a time (tests make them small).
   */
  constructor(
    parts: AuditTrailParts,
    links: ReportLinks = {},
    sizes: { reportChunk?: number; exportPage?: number } = {},
  ) {
    this.#parts = parts;
    this.#links = links;
    this.#reportChunkSize = sizes.reportChunk ?? REPORT_CHUNK_SIZE;
    this.#exportPageSize = sizes.exportPage ?? EXPORT_PAGE_SIZE;
  }

  /** The flow's audit events, newest first. */
  async listFlowEvents(
    ref: CompoundEntityRef,
    query: { cursor?: string; limit: number },
    ctx: CallContext,
  ): Promise<Page<AuditEvent>> {
    const flow = await this.#parts.flows.readable(ref, ctx);
    return this.#parts.store.listEvents({
      entityRef: flow.entityRef,
      cursor: query.cursor,
      limit: query.limit,
      order: 'desc',
    });
  }

  /**
   * The trail of one deployment of the flow: who requested, approved,
   * validated and signed off what let it in, with the audit events that
   * record each; read bounded by what the trail shows, not by the flow's
   * history (`readDeploymentTrail`).
   */
  async getDeploymentTrail(
    ref: CompoundEntityRef,
    deploymentId: string,
    ctx: CallContext,
  ): Promise<DeploymentTrail> {
    const { store } = this.#parts;
    const flow = await this.#parts.flows.readable(ref, ctx);
    const deployment = await store.getDeployment(deploymentId);
    if (
      !deployment ||
      normaliseEntityRef(deployment.entityRef) !==
        normaliseEntityRef(flow.entityRef)
    ) {
      throw new NotFoundError(
        `No deployment ${deploymentId} of ${flow.entityRef}`,
      );
    }
    return readDeploymentTrail(store, flow, deployment);
  }

  async listAuditEvents(
    query: { from?: Date; to?: Date; cursor?: string; limit: number },
    ctx: CallContext,
  ): Promise<Page<AuditEvent>> {
    await this.#parts.authorizer.authorizeAuditRead(ctx.credentials);
    return this.#parts.store.listEvents({ ...query, order: 'desc' });
  }

  /**
   * The audit trail as CSV or NDJSON, oldest first, read from the store page
   * by page while it is written out. Authorizes before anything is returned.
   */
  async exportAudit(
    query: { format: AuditExportFormat; from?: Date; to?: Date },
    ctx: CallContext,
  ): Promise<AsyncIterable<string>> {
    await this.#parts.authorizer.authorizeAuditRead(ctx.credentials);
    return formatAuditExport({
      format: query.format,
      fetchPage: cursor =>
        this.#parts.store.listEvents({
          from: query.from,
          to: query.to,
          cursor,
          limit: this.#exportPageSize,
          order: 'asc',
        }),
    });
  }

  /**
   * Verifies the whole trail in one snapshot and lists every break; with a
   * checkpoint an auditor kept, also whether any chain was truncated,
   * rewound or rewritten since.
   */
  async verifyChain(
    ctx: CallContext,
    options: { checkpoint?: AuditCheckpoint } = {},
  ): Promise<ChainVerification> {
    await this.#parts.authorizer.authorizeAuditRead(ctx.credentials);
    return this.#parts.store.verifyChain({ checkpoint: options.checkpoint });
  }

  /**
   * The governance documents' verification list over the deployments of a
   * time range, as JSON or CSV, read and written a chunk of deployments at a
   * time (each with only the facts it is checked against), so that a report
   * over any range holds one chunk in memory. Authorizes and checks the
   * range before anything is returned.
   */
  async getVerificationReport(
    query: { from?: Date; to?: Date; format: VerificationReportFormat },
    ctx: CallContext,
  ): Promise<AsyncIterable<string>> {
    const { store, flows } = this.#parts;
    await this.#parts.authorizer.authorizeAuditRead(ctx.credentials);
    const now = this.#parts.now();
    const to = query.to ?? now;
    const from =
      query.from ??
      new Date(to.getTime() - DEFAULT_REPORT_DAYS * 24 * 60 * 60 * 1000);
    if (from.getTime() > to.getTime()) {
      throw new InputError('query.from: must not be after query.to');
    }
    const chunkSize = this.#reportChunkSize;
    return streamVerificationReport({
      format: query.format,
      from,
      to,
      now,
      links: this.#links,
      async readChunk(cursor) {
        const chunk = await store.readReportChunk({
          from,
          to,
          cursor,
          limit: chunkSize,
        });
        // The auditor may not see every entity; the policies are read as the plugin.
        const policies = await flows.policiesOf([...chunk.facts.keys()]);
        // The break-glass declarations the chunk's deployments went in on,
        // for their retrospective reviews.
        const breakGlassFlows = new Set(
          chunk.deployments
            .filter(d => d.breakGlassId !== undefined)
            .map(d => d.entityRef),
        );
        const byFlow = new Map<string, VerificationFlow>();
        for (const [entityRef, facts] of chunk.facts) {
          byFlow.set(entityRef, {
            policy: policies.get(entityRef),
            facts: breakGlassFlows.has(entityRef)
              ? {
                  ...facts,
                  breakGlasses: await store.listBreakGlasses({ entityRef }),
                }
              : facts,
          });
        }
        return {
          deployments: chunk.deployments,
          flows: byFlow,
          nextCursor: chunk.nextCursor,
        };
      },
    });
  }
}
