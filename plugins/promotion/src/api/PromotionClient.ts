import { parseEntityRef } from '@backstage/catalog-model';
import type { DiscoveryApi, FetchApi } from '@backstage/core-plugin-api';
import { ResponseError } from '@backstage/errors';
import type {
  AuditEvent,
  BreakGlass,
  BreakGlassDecisionRequest,
  BreakGlassInbox,
  CloseBreakGlassReviewRequest,
  DeclareBreakGlassRequest,
  ChainVerification,
  ChecklistCompletion,
  CompleteChecklistItemRequest,
  CreatePromotionRequestRequest,
  DecisionRequest,
  DeploymentTrail,
  EditPromotionRequestRequest,
  FlowPermissions,
  FlowState,
  GateResult,
  InboxResponse,
  Insights,
  Page,
  PromotionRequest,
  RecordDeploymentRequest,
  RecordDeploymentResponse,
  RevokeRequest,
  RollbackRequest,
  RollbackResult,
  SignOff,
  SignOffRequest,
  StandingApproval,
  VerificationReport,
  WithdrawRequest,
} from '@promotion/plugin-promotion-common';
import type {
  AuditExportFormat,
  ChecklistItemLocation,
  InsightsQuery,
  PageOptions,
  PromotionApi,
  TimeRange,
} from './PromotionApi';

type Query = Record<string, string | number | undefined>;

interface RequestOptions {
  method?: 'GET' | 'POST' | 'PATCH' | 'DELETE';
  query?: Query;
  body?: unknown;
}

/**
 * The Promotion backend over HTTP: the plugin's base URL from discovery, the
 * app's fetch (so identity headers apply), and `ResponseError` on failure.
 *
 * @public
 */
export class PromotionClient implements PromotionApi {
  private readonly discoveryApi: DiscoveryApi;
  private readonly fetchApi: FetchApi;

  constructor(options: { discoveryApi: DiscoveryApi; fetchApi: FetchApi }) {
    this.discoveryApi = options.discoveryApi;
    this.fetchApi = options.fetchApi;
  }

  async getFlow(entityRef: string): Promise<FlowState> {
    return (await this.request(flowPath(entityRef))).json();
  }

  async getFlowPermissions(entityRef: string): Promise<FlowPermissions> {
    return (await this.request(`${flowPath(entityRef)}/permissions`)).json();
  }

  async getGate(
    entityRef: string,
    options: { environment: string; version: string },
  ): Promise<GateResult> {
    return (
      await this.request(`${flowPath(entityRef)}/gate`, { query: options })
    ).json();
  }

  async getFlowEvents(
    entityRef: string,
    options: PageOptions = {},
  ): Promise<Page<AuditEvent>> {
    return (
      await this.request(`${flowPath(entityRef)}/events`, {
        query: { cursor: options.cursor, limit: options.limit },
      })
    ).json();
  }

  async recordDeployment(
    entityRef: string,
    deployment: RecordDeploymentRequest,
  ): Promise<RecordDeploymentResponse> {
    return (
      await this.request(`${flowPath(entityRef)}/deployments`, {
        method: 'POST',
        body: deployment,
      })
    ).json();
  }

  async getDeploymentTrail(
    entityRef: string,
    deploymentId: string,
  ): Promise<DeploymentTrail> {
    return (
      await this.request(
        `${flowPath(entityRef)}/deployments/${encodeURIComponent(
          deploymentId,
        )}/trail`,
      )
    ).json();
  }

  async completeChecklistItem(
    item: ChecklistItemLocation,
    completion: CompleteChecklistItemRequest,
  ): Promise<ChecklistCompletion> {
    return (
      await this.request(checklistItemPath(item), {
        method: 'POST',
        body: completion,
      })
    ).json();
  }

  async undoChecklistItem(
    item: ChecklistItemLocation,
    options: { version?: string },
  ): Promise<void> {
    await this.request(checklistItemPath(item), {
      method: 'DELETE',
      query: { version: options.version },
    });
  }

  async signOff(
    entityRef: string,
    environmentId: string,
    signOff: SignOffRequest,
  ): Promise<SignOff> {
    return (
      await this.request(
        `${environmentPath(entityRef, environmentId)}/sign-offs`,
        { method: 'POST', body: signOff },
      )
    ).json();
  }

  async revokeStandingApproval(
    entityRef: string,
    environmentId: string,
    revoke: RevokeRequest,
  ): Promise<StandingApproval[]> {
    return (
      await this.request(
        `${environmentPath(entityRef, environmentId)}/standing-approval/revoke`,
        { method: 'POST', body: revoke },
      )
    ).json();
  }

  async recordRollback(
    entityRef: string,
    rollback: RollbackRequest,
  ): Promise<RollbackResult> {
    return (
      await this.request(`${flowPath(entityRef)}/rollbacks`, {
        method: 'POST',
        body: rollback,
      })
    ).json();
  }

  async createRequest(
    entityRef: string,
    request: CreatePromotionRequestRequest,
  ): Promise<PromotionRequest> {
    return (
      await this.request(`${flowPath(entityRef)}/requests`, {
        method: 'POST',
        body: request,
      })
    ).json();
  }

  async getRequest(requestId: string): Promise<PromotionRequest> {
    return (await this.request(requestPath(requestId))).json();
  }

  async editRequest(
    requestId: string,
    edit: EditPromotionRequestRequest,
  ): Promise<PromotionRequest> {
    return (
      await this.request(requestPath(requestId), {
        method: 'PATCH',
        body: edit,
      })
    ).json();
  }

  async withdrawRequest(
    requestId: string,
    options: WithdrawRequest = {},
  ): Promise<PromotionRequest> {
    return (
      await this.request(`${requestPath(requestId)}/withdraw`, {
        method: 'POST',
        body: options,
      })
    ).json();
  }

  async decide(
    requestId: string,
    decision: DecisionRequest,
  ): Promise<PromotionRequest> {
    return (
      await this.request(`${requestPath(requestId)}/decisions`, {
        method: 'POST',
        body: decision,
      })
    ).json();
  }

  async getInbox(): Promise<InboxResponse> {
    return (await this.request('/inbox')).json();
  }

  async declareBreakGlass(
    entityRef: string,
    declaration: DeclareBreakGlassRequest,
  ): Promise<BreakGlass> {
    return (
      await this.request(`${flowPath(entityRef)}/break-glass`, {
        method: 'POST',
        body: declaration,
      })
    ).json();
  }

  async decideBreakGlass(
    entityRef: string,
    breakGlassId: string,
    decision: BreakGlassDecisionRequest,
  ): Promise<BreakGlass> {
    return (
      await this.request(
        `${flowPath(entityRef)}/break-glass/${encodeURIComponent(
          breakGlassId,
        )}/decisions`,
        { method: 'POST', body: decision },
      )
    ).json();
  }

  async closeBreakGlassReview(
    entityRef: string,
    breakGlassId: string,
    review: CloseBreakGlassReviewRequest,
  ): Promise<BreakGlass> {
    return (
      await this.request(
        `${flowPath(entityRef)}/break-glass/${encodeURIComponent(
          breakGlassId,
        )}/review`,
        { method: 'POST', body: review },
      )
    ).json();
  }

  async getBreakGlassInbox(): Promise<BreakGlassInbox> {
    return (await this.request('/break-glass')).json();
  }

  async getAuditEvents(
    options: TimeRange & PageOptions = {},
  ): Promise<Page<AuditEvent>> {
    return (
      await this.request('/audit/events', {
        query: {
          from: options.from,
          to: options.to,
          cursor: options.cursor,
          limit: options.limit,
        },
      })
    ).json();
  }

  async exportAuditEvents(
    options: TimeRange & { format: AuditExportFormat },
  ): Promise<Blob> {
    return (
      await this.request('/audit/export', {
        query: { format: options.format, from: options.from, to: options.to },
      })
    ).blob();
  }

  async verifyAuditChain(): Promise<ChainVerification> {
    return (await this.request('/audit/verify')).json();
  }

  async getVerificationReport(range: TimeRange): Promise<VerificationReport> {
    return (
      await this.request('/reports/verification', {
        query: { from: range.from, to: range.to, format: 'json' },
      })
    ).json();
  }

  async downloadVerificationReport(range: TimeRange): Promise<Blob> {
    return (
      await this.request('/reports/verification', {
        query: { from: range.from, to: range.to, format: 'csv' },
      })
    ).blob();
  }

  async getInsights(query: InsightsQuery): Promise<Insights> {
    return (
      await this.request('/insights', {
        query: { ...insightsQuery(query), format: 'json' },
      })
    ).json();
  }

  async downloadInsights(query: InsightsQuery): Promise<Blob> {
    return (
      await this.request('/insights', {
        query: { ...insightsQuery(query), format: 'csv' },
      })
    ).blob();
  }

  private async request(
    path: string,
    options: RequestOptions = {},
  ): Promise<Response> {
    const baseUrl = await this.discoveryApi.getBaseUrl('promotion');
    const params = new URLSearchParams();
    for (const [key, value] of Object.entries(options.query ?? {})) {
      if (value !== undefined && value !== '') {
        params.append(key, String(value));
      }
    }
    const search = params.toString();
    const url = `${baseUrl}${path}${search ? `?${search}` : ''}`;

    const res = await this.fetchApi.fetch(url, {
      method: options.method ?? 'GET',
      ...(options.body !== undefined && {
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify(options.body),
      }),
    });
    if (!res.ok) {
      throw await ResponseError.fromResponse(res);
    }
    return res;
  }
}

function flowPath(entityRef: string): string {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  return `/flows/${encodeURIComponent(namespace)}/${encodeURIComponent(
    kind.toLocaleLowerCase('en-US'),
  )}/${encodeURIComponent(name)}`;
}

function environmentPath(entityRef: string, environmentId: string): string {
  return `${flowPath(entityRef)}/environments/${encodeURIComponent(
    environmentId,
  )}`;
}

function checklistItemPath(item: ChecklistItemLocation): string {
  const segment = item.kind === 'validation' ? 'checklist' : 'post-deployment';
  return `${environmentPath(
    item.entityRef,
    item.environmentId,
  )}/${segment}/${encodeURIComponent(item.itemId)}`;
}

function requestPath(requestId: string): string {
  return `/requests/${encodeURIComponent(requestId)}`;
}

function insightsQuery(query: InsightsQuery) {
  return { from: query.from, to: query.to, flow: query.flow };
}
