import {
  AuditorService,
  AuthService,
  BackstageCredentials,
  LoggerService,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  CompoundEntityRef,
  Entity,
  parseEntityRef,
  RELATION_OWNED_BY,
  stringifyEntityRef,
} from '@backstage/catalog-model';
import {
  ConflictError,
  InputError,
  NotAllowedError,
  NotFoundError,
} from '@backstage/errors';
import { CatalogService } from '@backstage/plugin-catalog-node';
import {
  AuditEvent,
  ChainVerification,
  ChecklistCompletion,
  ChecklistKind,
  CompleteChecklistItemRequest,
  CreatePromotionRequestRequest,
  DecisionRequest,
  Deployment,
  DeploymentTrail,
  EditPromotionRequestRequest,
  EnvironmentDefinition,
  EnvironmentState,
  FlowPermissions,
  FlowState,
  GateResult,
  getPolicyForEntity,
  InboxItem,
  InboxResponse,
  Page,
  PermissionAnswer,
  PROMOTION_POLICY_ANNOTATION,
  PromotionConfig,
  PromotionPolicy,
  PromotionRequest,
  RecordDeploymentRequest,
  Rollback,
  RollbackRequest,
  SignOff,
  SignOffRequest,
  StandingApproval,
  VerificationReport,
  countingApprovers,
  currentVersionIn,
  evaluateGate,
  nextStepFor,
  postDeploymentItemAvailableAt,
  promotionApprovePermission,
  promotionChecklistCompletePermission,
  promotionDeploymentRecordPermission,
  promotionReadPermission,
  promotionRequestPermission,
  promotionRevokePermission,
  promotionRollbackPermission,
  promotionSignOffPermission,
} from '@promotion/plugin-promotion-common';
import type { Request } from 'express';
import { Duration } from 'luxon';
import { AuditContext, PromotionStore } from '../database/PromotionStore';
import { PromotionNotifier } from '../notifications/PromotionNotifier';
import {
  deniedReason,
  PromotionAuthorizer,
} from '../permissions/PromotionAuthorizer';
import {
  ApproverIdentity,
  approverEligibility,
  decisionEligibility,
  normaliseEntityRef,
  SELF_APPROVAL_REASON,
} from './requests/approvers';
import {
  AuditExportFormat,
  EXPORT_PAGE_SIZE,
  formatAuditExport,
} from './audit/auditExport';
import {
  buildDeploymentTrail,
  readTrailEvents,
  trailEventFilter,
  trailEventsUntil,
  TRAIL_EVENTS_PAGE_SIZE,
} from './audit/deploymentTrail';
import {
  buildVerificationReport,
  VerificationFlow,
} from './audit/verificationReport';

/** Who is calling, and the HTTP request the auditor service describes. */
export interface CallContext {
  credentials: BackstageCredentials;
  request?: Request;
}

/** A flow: an opted-in catalog entity and the policy it follows. */
export interface Flow {
  entityRef: string;
  entity: Entity;
  policy: PromotionPolicy;
}

/** What POST /rollbacks answers: the rollback, what it revoked, and whether an incident report is still wanted. */
export type RollbackResult = Rollback & {
  revokedStandingApprovals: StandingApproval[];
  /** True when no incident link was given: the client should ask for one. */
  incidentReportRequested: boolean;
};

export interface PromotionServiceOptions {
  store: PromotionStore;
  config: PromotionConfig;
  catalog: CatalogService;
  auth: AuthService;
  permissions: PermissionsService;
  userInfo: UserInfoService;
  auditor: AuditorService;
  notifier: PromotionNotifier;
  logger: LoggerService;
  /** The clock; tests may fix it. */
  now?: () => Date;
}

/** The actor recorded for changes the plugin makes on its own (request expiry). */
export const SYSTEM_ACTOR = 'service:plugin:promotion';

const DEFAULT_REPORT_DAYS = 30;
/** Requests reminded per run of the reminder task; the others wait for the next run. */
const REMINDER_BATCH_SIZE = 100;

/**
 * The rules of Promotion. Every method authorizes the caller with the
 * permission framework, checks the request against the flow's policy and its
 * recorded facts, writes through the store (which appends the audit events in
 * the same transaction), and only after the commit hands the events to the
 * auditor service and tells people (notifications) and screens (signals).
 */
export class PromotionService {
  readonly #store: PromotionStore;
  readonly #config: PromotionConfig;
  readonly #catalog: CatalogService;
  readonly #auth: AuthService;
  readonly #authorizer: PromotionAuthorizer;
  readonly #userInfo: UserInfoService;
  readonly #auditor: AuditorService;
  readonly #notifier: PromotionNotifier;
  readonly #logger: LoggerService;
  readonly #now: () => Date;

  static create(options: PromotionServiceOptions): PromotionService {
    return new PromotionService(options);
  }

  private constructor(options: PromotionServiceOptions) {
    this.#store = options.store;
    this.#config = options.config;
    this.#catalog = options.catalog;
    this.#auth = options.auth;
    this.#authorizer = new PromotionAuthorizer(options.permissions);
    this.#userInfo = options.userInfo;
    this.#auditor = options.auditor;
    this.#notifier = options.notifier;
    this.#logger = options.logger;
    this.#now = options.now ?? (() => new Date());
  }

  // -------------------------------------------------------------------------
  // Reading a flow
  // -------------------------------------------------------------------------

  async getFlowState(
    ref: CompoundEntityRef,
    ctx: CallContext,
  ): Promise<FlowState> {
    const flow = await this.#readableFlow(ref, ctx);
    const facts = await this.#store.getFlowFacts(flow.entityRef);
    const now = this.#now();

    const environments = flow.policy.environments.map(
      (environment): EnvironmentState => {
        const current = currentVersionIn(facts, environment.id);
        const version = current?.version;
        const here = <T extends { environmentId: string }>(items: T[]) =>
          items.filter(item => item.environmentId === environment.id);
        const standing = here(facts.standingApprovals).sort(
          (a, b) =>
            Number(!a.revokedAt) - Number(!b.revokedAt) ||
            a.grantedAt.localeCompare(b.grantedAt),
        );
        return {
          environment,
          ...(current && {
            currentVersion: version,
            currentDeployment: current,
          }),
          checklist: here(facts.checklistCompletions).filter(
            c =>
              c.kind === 'validation' &&
              (c.version === undefined ||
                c.version === null ||
                c.version === version),
          ),
          postDeployment: here(facts.checklistCompletions).filter(
            c =>
              c.kind === 'post-deployment' &&
              version !== undefined &&
              c.version === version,
          ),
          signOffs: here(facts.signOffs).filter(s => s.version === version),
          ...(standing.length > 0 && {
            standingApproval: standing[standing.length - 1],
          }),
        };
      },
    );

    const next = nextStepFor(flow.policy, facts);
    return {
      entityRef: flow.entityRef,
      policy: flow.policy,
      environments,
      ...(next && {
        nextGate: evaluateGate({
          entityRef: flow.entityRef,
          policy: flow.policy,
          facts,
          environmentId: next.environmentId,
          version: next.version,
          now,
        }),
      }),
      pendingRequests: facts.requests.filter(r => r.status === 'pending'),
      rollbacks: await this.#listRollbacks(flow.entityRef),
    };
  }

  /** May version V go to environment E? The pipeline asks before deploying. */
  async getGate(
    ref: CompoundEntityRef,
    query: { environment: string; version: string },
    ctx: CallContext,
  ): Promise<GateResult> {
    const flow = await this.#readableFlow(ref, ctx);
    const environment = this.#environment(flow, query.environment, 'query');
    const facts = await this.#store.getFlowFacts(flow.entityRef);
    return evaluateGate({
      entityRef: flow.entityRef,
      policy: flow.policy,
      facts,
      environmentId: environment.id,
      version: query.version,
      now: this.#now(),
    });
  }

  /**
   * The trail of one deployment of the flow: who requested, approved,
   * validated and signed off what let it in, with the audit events that
   * record each. The flow's events are read oldest first, a page at a time,
   * up to the last fact the trail lists, keeping only those it may cite.
   */
  async getDeploymentTrail(
    ref: CompoundEntityRef,
    deploymentId: string,
    ctx: CallContext,
  ): Promise<DeploymentTrail> {
    const flow = await this.#readableFlow(ref, ctx);
    const deployment = await this.#store.getDeployment(deploymentId);
    if (
      !deployment ||
      normaliseEntityRef(deployment.entityRef) !==
        normaliseEntityRef(flow.entityRef)
    ) {
      throw new NotFoundError(
        `No deployment ${deploymentId} of ${flow.entityRef}`,
      );
    }
    const facts = await this.#store.getFlowFacts(flow.entityRef);
    const to = trailEventsUntil(flow.policy, facts, deployment);
    const events = await readTrailEvents(
      cursor =>
        this.#store.listEvents({
          entityRef: flow.entityRef,
          to,
          cursor,
          limit: TRAIL_EVENTS_PAGE_SIZE,
          order: 'asc',
        }),
      trailEventFilter(flow.policy, deployment),
    );
    return buildDeploymentTrail({
      entityRef: flow.entityRef,
      policy: flow.policy,
      facts,
      deployment,
      events,
    });
  }

  async listFlowEvents(
    ref: CompoundEntityRef,
    query: { cursor?: string; limit: number },
    ctx: CallContext,
  ): Promise<Page<AuditEvent>> {
    const flow = await this.#readableFlow(ref, ctx);
    return this.#store.listEvents({
      entityRef: flow.entityRef,
      cursor: query.cursor,
      limit: query.limit,
      order: 'desc',
    });
  }

  /** What the caller may do on the flow, with the reason in words when not. */
  async getFlowPermissions(
    ref: CompoundEntityRef,
    ctx: CallContext,
  ): Promise<FlowPermissions> {
    const flow = await this.#readableFlow(ref, ctx);
    const permissions = {
      recordDeployment: promotionDeploymentRecordPermission,
      completeChecklist: promotionChecklistCompletePermission,
      signOff: promotionSignOffPermission,
      request: promotionRequestPermission,
      approve: promotionApprovePermission,
      revoke: promotionRevokePermission,
      rollback: promotionRollbackPermission,
    };
    const decisions = await this.#authorizer.decideFlow(
      permissions,
      flow.entityRef,
      ctx.credentials,
    );
    const answer = (key: keyof typeof permissions): PermissionAnswer =>
      decisions[key]
        ? { allowed: true }
        : { allowed: false, reason: deniedReason(permissions[key]) };

    let approve = answer('approve');
    if (approve.allowed) {
      approve = await this.#approverAnswer(flow, ctx.credentials);
    }
    const readAudit: PermissionAnswer = (await this.#authorizer.mayReadAudit(
      ctx.credentials,
    ))
      ? { allowed: true }
      : {
          allowed: false,
          reason:
            'The permission policy does not allow you to read the audit trail and the verification report (promotion.audit.read)',
        };
    return {
      recordDeployment: answer('recordDeployment'),
      completeChecklist: answer('completeChecklist'),
      signOff: answer('signOff'),
      request: answer('request'),
      approve,
      revoke: answer('revoke'),
      rollback: answer('rollback'),
      readAudit,
    };
  }

  // -------------------------------------------------------------------------
  // Deployments, checklists, sign-offs, standing approvals, rollbacks
  // -------------------------------------------------------------------------

  /**
   * Records a deployment. Never refused because the gate is closed: the gate
   * is evaluated first and its unmet conditions are recorded with the
   * deployment, which flags it as a violation.
   */
  async recordDeployment(
    ref: CompoundEntityRef,
    input: RecordDeploymentRequest,
    ctx: CallContext,
  ): Promise<{ deployment: Deployment; replayed: boolean }> {
    const flow = await this.#authorizedFlow(
      ref,
      promotionDeploymentRecordPermission,
      ctx,
    );
    const environment = this.#environment(flow, input.environment, 'body');
    const now = this.#now();
    // The store evaluates the gate inside the deployment's transaction.
    const recorded = await this.#store.recordDeployment(
      {
        entityRef: flow.entityRef,
        environmentId: environment.id,
        version: input.version,
        status: input.status,
        link: input.link,
        idempotencyKey: input.idempotencyKey,
        evaluateGate: facts =>
          evaluateGate({
            entityRef: flow.entityRef,
            policy: flow.policy,
            facts,
            environmentId: environment.id,
            version: input.version,
            now,
          }).unmetConditions,
      },
      this.#auditContext(ctx, now),
    );
    await this.#audit(recorded.events, ctx);
    const deployment = recorded.value;
    if (!recorded.replayed) {
      if (deployment.violation) {
        this.#logger.warn(
          `Deployment ${deployment.id} of ${flow.entityRef} ${deployment.version} into ${environment.id} went through a closed gate`,
          {
            unmetConditions: deployment.unmetConditions
              .map(c => c.code)
              .join(','),
          },
        );
      }
      await this.#notifier.flowChanged(flow.entityRef);
    }
    return { deployment, replayed: recorded.replayed };
  }

  async completeChecklistItem(
    ref: CompoundEntityRef,
    target: { environment: string; kind: ChecklistKind; itemId: string },
    input: CompleteChecklistItemRequest,
    ctx: CallContext,
  ): Promise<ChecklistCompletion> {
    const flow = await this.#authorizedFlow(
      ref,
      promotionChecklistCompletePermission,
      ctx,
    );
    const environment = this.#environment(flow, target.environment, 'path');
    const now = this.#now();
    const item = this.#checklistItem(environment, target.kind, target.itemId);
    const version = this.#checklistVersion(item, input.version);

    if (target.kind === 'post-deployment') {
      const postItem = environment.postDeployment.find(
        i => i.id === target.itemId,
      )!;
      const facts = await this.#store.getFlowFacts(flow.entityRef);
      const deployment = facts.deployments
        .filter(
          d =>
            d.environmentId === environment.id &&
            d.version === version &&
            d.status === 'succeeded',
        )
        .sort((a, b) => b.reportedAt.localeCompare(a.reportedAt))[0];
      if (!deployment) {
        throw new ConflictError(
          `Version ${version} has not been deployed successfully to ${environment.title}, so its post-deployment item "${postItem.title}" cannot be completed yet`,
        );
      }
      const availableAt = postDeploymentItemAvailableAt(deployment, postItem);
      if (availableAt.getTime() > now.getTime()) {
        throw new ConflictError(
          `"${postItem.title}" can only be completed ${formatDuration(
            postItem.minimumWaitSeconds * 1000,
          )} after the deployment: ${formatDuration(
            availableAt.getTime() - now.getTime(),
          )} remaining (at ${availableAt.toISOString()})`,
        );
      }
    }

    if (item.evidenceRequired && !input.evidenceLink) {
      throw new InputError(
        `body.evidenceLink: Required: "${item.title}" needs a link to its evidence`,
      );
    }

    const recorded = await this.#store.completeChecklistItem(
      {
        entityRef: flow.entityRef,
        environmentId: environment.id,
        kind: target.kind,
        itemId: item.id,
        version,
        evidenceLink: input.evidenceLink,
        note: input.note,
      },
      this.#auditContext(ctx, now),
    );
    await this.#audit(recorded.events, ctx);
    await this.#notifier.flowChanged(flow.entityRef);
    return recorded.value;
  }

  async undoChecklistItem(
    ref: CompoundEntityRef,
    target: { environment: string; kind: ChecklistKind; itemId: string },
    query: { version?: string },
    ctx: CallContext,
  ): Promise<void> {
    const flow = await this.#authorizedFlow(
      ref,
      promotionChecklistCompletePermission,
      ctx,
    );
    const environment = this.#environment(flow, target.environment, 'path');
    const item = this.#checklistItem(environment, target.kind, target.itemId);
    const version = this.#checklistVersion(item, query.version, 'query');
    const recorded = await this.#store.undoChecklistItem(
      {
        entityRef: flow.entityRef,
        environmentId: environment.id,
        kind: target.kind,
        itemId: item.id,
        version,
      },
      this.#auditContext(ctx),
    );
    await this.#audit(recorded.events, ctx);
    await this.#notifier.flowChanged(flow.entityRef);
  }

  async signOff(
    ref: CompoundEntityRef,
    environmentId: string,
    input: SignOffRequest,
    ctx: CallContext,
  ): Promise<SignOff> {
    const flow = await this.#authorizedFlow(
      ref,
      promotionSignOffPermission,
      ctx,
    );
    const environment = this.#environment(flow, environmentId, 'path');
    const recorded = await this.#store.createSignOff(
      {
        entityRef: flow.entityRef,
        environmentId: environment.id,
        version: input.version,
        comment: input.comment,
      },
      this.#auditContext(ctx),
    );
    await this.#audit(recorded.events, ctx);
    await this.#notifier.flowChanged(flow.entityRef);
    return recorded.value;
  }

  async revokeStandingApproval(
    ref: CompoundEntityRef,
    environmentId: string,
    input: { reason: string },
    ctx: CallContext,
  ): Promise<StandingApproval[]> {
    const flow = await this.#authorizedFlow(
      ref,
      promotionRevokePermission,
      ctx,
    );
    const environment = this.#environment(flow, environmentId, 'path');
    const recorded = await this.#store.revokeStandingApproval(
      {
        entityRef: flow.entityRef,
        environmentId: environment.id,
        reason: input.reason,
      },
      this.#auditContext(ctx),
    );
    await this.#audit(recorded.events, ctx);
    await this.#notifier.flowChanged(flow.entityRef);
    return recorded.value;
  }

  /**
   * Records a rollback: the environment goes back to the previous working
   * version, its standing approval is revoked (by the store, in the same
   * transaction) and the approvers are told.
   */
  async recordRollback(
    ref: CompoundEntityRef,
    input: RollbackRequest,
    ctx: CallContext,
  ): Promise<RollbackResult> {
    const flow = await this.#authorizedFlow(
      ref,
      promotionRollbackPermission,
      ctx,
    );
    const environment = this.#environment(flow, input.environment, 'body');
    const facts = await this.#store.getFlowFacts(flow.entityRef);
    const standing = facts.deployments
      .filter(
        d =>
          d.environmentId === environment.id &&
          d.status === 'succeeded' &&
          !d.rolledBackAt,
      )
      .sort((a, b) => b.reportedAt.localeCompare(a.reportedAt));

    const fromVersion =
      input.fromVersion ?? currentVersionIn(facts, environment.id)?.version;
    if (!fromVersion) {
      throw new InputError(
        `Nothing is deployed to ${environment.title}: there is no version to roll back`,
      );
    }
    if (!standing.some(d => d.version === fromVersion)) {
      throw new InputError(
        `body.fromVersion: version ${fromVersion} is not deployed to ${environment.title}`,
      );
    }
    const toVersion =
      input.toVersion ?? standing.find(d => d.version !== fromVersion)?.version;

    const recorded = await this.#store.recordRollback(
      {
        entityRef: flow.entityRef,
        environmentId: environment.id,
        fromVersion,
        toVersion,
        reason: input.reason,
        incidentLink: input.incidentLink,
      },
      this.#auditContext(ctx),
    );
    await this.#audit(recorded.events, ctx);
    const { rollback, revoked } = recorded.value;
    await this.#notifier.rollbackRecorded({
      rollback,
      environmentTitle: environment.title,
      approvers: environment.approval.approvers,
    });
    await this.#notifier.flowChanged(flow.entityRef, { inbox: true });
    return {
      ...rollback,
      revokedStandingApprovals: revoked,
      incidentReportRequested: !rollback.incidentLink,
    };
  }

  // -------------------------------------------------------------------------
  // Promotion requests
  // -------------------------------------------------------------------------

  async createRequest(
    ref: CompoundEntityRef,
    input: CreatePromotionRequestRequest,
    ctx: CallContext,
  ): Promise<PromotionRequest> {
    const flow = await this.#authorizedFlow(
      ref,
      promotionRequestPermission,
      ctx,
    );
    const environment = this.#environment(flow, input.environment, 'body');
    const { mode } = environment.approval;
    if (mode === 'none') {
      throw new InputError(
        `body.environment: ${environment.title} needs no approval, so there is nothing to request`,
      );
    }
    const facts = await this.#store.getFlowFacts(flow.entityRef);
    const now = this.#now();
    if (
      mode === 'once' &&
      facts.standingApprovals.some(
        a => a.environmentId === environment.id && !a.revokedAt,
      )
    ) {
      throw new ConflictError(
        `${flow.entityRef} already holds a standing approval for ${environment.title}: no request is needed`,
      );
    }
    const duplicate = facts.requests.find(
      r =>
        r.status === 'pending' &&
        r.environmentId === environment.id &&
        r.version === input.version &&
        Date.parse(r.expiresAt) > now.getTime(),
    );
    if (duplicate) {
      throw new ConflictError(
        `Request ${duplicate.id} for version ${input.version} into ${environment.title} is already pending`,
      );
    }

    const recorded = await this.#store.createRequest(
      {
        entityRef: flow.entityRef,
        environmentId: environment.id,
        version: input.version,
        dossier: input.dossier,
        expiresAt: new Date(
          now.getTime() + this.#config.requestExpirySeconds * 1000,
        ),
      },
      this.#auditContext(ctx, now),
    );
    await this.#audit(recorded.events, ctx);
    await this.#notifier.requestCreated({
      request: recorded.value,
      environmentTitle: environment.title,
      approvers: environment.approval.approvers,
    });
    await this.#notifier.flowChanged(flow.entityRef, { inbox: true });
    return recorded.value;
  }

  async getRequest(id: string, ctx: CallContext): Promise<PromotionRequest> {
    const request = await this.#request(id);
    await this.#authorizer.authorizeFlow(
      promotionReadPermission,
      request.entityRef,
      ctx.credentials,
    );
    return request;
  }

  /** Replaces the dossier; approvals given on the earlier dossier no longer count. */
  async editRequest(
    id: string,
    input: EditPromotionRequestRequest,
    ctx: CallContext,
  ): Promise<PromotionRequest> {
    const request = await this.#requesterOnly(id, 'edit', ctx);
    const recorded = await this.#store.editRequest(
      {
        requestId: request.id,
        expectedRevision: input.revision,
        dossier: input.dossier,
      },
      this.#auditContext(ctx),
    );
    await this.#audit(recorded.events, ctx);
    await this.#notifier.flowChanged(request.entityRef, { inbox: true });
    return recorded.value;
  }

  async withdrawRequest(
    id: string,
    input: { reason?: string },
    ctx: CallContext,
  ): Promise<PromotionRequest> {
    const request = await this.#requesterOnly(id, 'withdraw', ctx);
    const recorded = await this.#store.withdrawRequest(request.id, {
      ...this.#auditContext(ctx),
      reason: input.reason,
    });
    await this.#audit(recorded.events, ctx);
    await this.#notifier.flowChanged(request.entityRef, { inbox: true });
    return recorded.value;
  }

  /**
   * Approves or rejects a request. The caller must be one of the
   * environment's approvers (directly or through a group) and, unless the
   * policy allows it, not the requester. A single reject ends the request;
   * approvals from distinct people count towards the quorum, and reaching it
   * on a `once` environment grants the standing approval.
   */
  async decide(
    id: string,
    input: DecisionRequest,
    ctx: CallContext,
  ): Promise<PromotionRequest> {
    const request = await this.#request(id);
    const flow = await this.#readableFlow(
      parseEntityRef(request.entityRef),
      ctx,
    );
    const environment = flow.policy.environments.find(
      e => e.id === request.environmentId,
    );
    if (!environment) {
      throw new ConflictError(
        `Environment "${request.environmentId}" is no longer on the ladder of ${flow.entityRef}; the request cannot be decided`,
      );
    }
    // A requester hears that it is their own request before anything else.
    const identity = await this.#identity(ctx.credentials);
    if (
      input.decision === 'approve' &&
      !environment.approval.allowSelfApproval &&
      normaliseEntityRef(request.requestedBy) ===
        normaliseEntityRef(identity.userEntityRef)
    ) {
      throw new NotAllowedError(capitalise(SELF_APPROVAL_REASON));
    }
    await this.#authorizer.authorizeFlow(
      promotionApprovePermission,
      flow.entityRef,
      ctx.credentials,
    );
    if (
      request.status === 'pending' &&
      Date.parse(request.expiresAt) <= this.#now().getTime()
    ) {
      throw new ConflictError(
        `This request expired at ${request.expiresAt}; request the promotion again`,
      );
    }
    const eligibility = decisionEligibility({
      environment,
      request,
      identity,
      decision: input.decision,
    });
    if (!eligibility.allowed) {
      throw eligibility.kind === 'forbidden'
        ? new NotAllowedError(capitalise(eligibility.reason))
        : new ConflictError(capitalise(eligibility.reason));
    }

    const recorded = await this.#store.decide(
      {
        requestId: request.id,
        decision: input.decision,
        comment: input.comment,
        dossierHash: input.dossierHash,
        minApprovers: environment.approval.minApprovers,
        grantsStandingApproval: environment.approval.mode === 'once',
      },
      this.#auditContext(ctx),
    );
    await this.#audit(recorded.events, ctx);
    const { request: decided, decision } = recorded.value;
    await this.#notifier.decisionMade({
      request: decided,
      decision,
      environmentTitle: environment.title,
      owners: ownersOf(flow.entity),
    });
    await this.#notifier.flowChanged(flow.entityRef, { inbox: true });
    return decided;
  }

  /** The pending requests, across all flows, that the caller is an approver for. */
  async getInbox(ctx: CallContext): Promise<InboxResponse> {
    const identity = await this.#identity(ctx.credentials);
    const now = this.#now();
    const pending = (
      await this.#store.listRequests({ status: ['pending'] })
    ).filter(r => Date.parse(r.expiresAt) > now.getTime());
    const entityRefs = [...new Set(pending.map(r => r.entityRef))];
    if (entityRefs.length === 0) {
      return { items: [] };
    }
    const { items: entities } = await this.#catalog.getEntitiesByRefs(
      { entityRefs },
      { credentials: ctx.credentials },
    );

    const items: InboxItem[] = [];
    for (const [index, entityRef] of entityRefs.entries()) {
      const entity = entities[index];
      const policy = entity && getPolicyForEntity(this.#config, entity).policy;
      if (!policy) {
        continue;
      }
      const mine = pending.filter(request => {
        if (request.entityRef !== entityRef) {
          return false;
        }
        const environment = policy.environments.find(
          e => e.id === request.environmentId,
        );
        return (
          environment && approverEligibility(environment, identity).allowed
        );
      });
      if (mine.length === 0) {
        continue;
      }
      const may = await this.#authorizer.decideFlow(
        { read: promotionReadPermission, approve: promotionApprovePermission },
        entityRef,
        ctx.credentials,
      );
      if (!may.read) {
        continue;
      }
      for (const request of mine) {
        const environment = policy.environments.find(
          e => e.id === request.environmentId,
        )!;
        const eligibility = decisionEligibility({
          environment,
          request,
          identity,
          decision: 'approve',
        });
        let cannotDecideReason: string | undefined;
        if (
          !eligibility.allowed &&
          eligibility.reason === SELF_APPROVAL_REASON
        ) {
          cannotDecideReason = capitalise(eligibility.reason);
        } else if (!may.approve) {
          cannotDecideReason = deniedReason(promotionApprovePermission);
        } else if (!eligibility.allowed) {
          cannotDecideReason = capitalise(eligibility.reason);
        }
        items.push({
          request,
          environmentTitle: environment.title,
          approvals: countingApprovers(request, environment.approval).length,
          requiredApprovals: environment.approval.minApprovers,
          ...(cannotDecideReason && { cannotDecideReason }),
        });
      }
    }
    items.sort((a, b) =>
      a.request.createdAt.localeCompare(b.request.createdAt),
    );
    return { items };
  }

  /** Expires overdue pending requests; run by the scheduler on one replica at a time. */
  async expireRequests(): Promise<number> {
    const recorded = await this.#store.expireRequests({
      actor: SYSTEM_ACTOR,
      now: this.#now(),
    });
    await this.#audit(recorded.events);
    const environments = await this.#requestEnvironments(recorded.value);
    for (const request of recorded.value) {
      await this.#notifier.requestExpired({
        request,
        environmentTitle:
          environments.get(request.id)?.title ?? request.environmentId,
      });
    }
    for (const entityRef of new Set(recorded.value.map(r => r.entityRef))) {
      await this.#notifier.flowChanged(entityRef, { inbox: true });
    }
    return recorded.value.length;
  }

  /**
   * Reminds the approvers of the requests that have waited another reminder
   * interval; run by the scheduler. The store claims each due request for
   * one caller only, so replicas running it at once never remind twice.
   */
  async remindApprovers(): Promise<number> {
    const now = this.#now();
    const recorded = await this.#store.claimReminders(
      {
        olderThan: new Date(
          now.getTime() - this.#config.reminderIntervalSeconds * 1000,
        ),
        now,
        limit: REMINDER_BATCH_SIZE,
      },
      { actor: SYSTEM_ACTOR },
    );
    await this.#audit(recorded.events);
    const environments = await this.#requestEnvironments(recorded.value);
    for (const request of recorded.value) {
      const environment = environments.get(request.id);
      if (!environment) {
        this.#logger.warn(
          `No reminder for promotion request ${request.id}: the environment ${request.environmentId} of ${request.entityRef} could not be found`,
        );
        continue;
      }
      await this.#notifier.reminderDue({
        request,
        environmentTitle: environment.title,
        approvers: environment.approval.approvers,
      });
    }
    return recorded.value.length;
  }

  // -------------------------------------------------------------------------
  // Audit and verification
  // -------------------------------------------------------------------------

  async listAuditEvents(
    query: { from?: Date; to?: Date; cursor?: string; limit: number },
    ctx: CallContext,
  ): Promise<Page<AuditEvent>> {
    await this.#authorizer.authorizeAuditRead(ctx.credentials);
    return this.#store.listEvents({ ...query, order: 'desc' });
  }

  /**
   * The audit trail as CSV or NDJSON, oldest first, read from the store page
   * by page while it is written out. Authorizes before anything is returned.
   */
  async exportAudit(
    query: { format: AuditExportFormat; from?: Date; to?: Date },
    ctx: CallContext,
  ): Promise<AsyncIterable<string>> {
    await this.#authorizer.authorizeAuditRead(ctx.credentials);
    return formatAuditExport({
      format: query.format,
      fetchPage: cursor =>
        this.#store.listEvents({
          from: query.from,
          to: query.to,
          cursor,
          limit: EXPORT_PAGE_SIZE,
          order: 'asc',
        }),
    });
  }

  async verifyChain(ctx: CallContext): Promise<ChainVerification> {
    await this.#authorizer.authorizeAuditRead(ctx.credentials);
    return this.#store.verifyChain();
  }

  /** The governance documents' verification list over the deployments of a time range. */
  async getVerificationReport(
    query: { from?: Date; to?: Date },
    ctx: CallContext,
  ): Promise<VerificationReport> {
    await this.#authorizer.authorizeAuditRead(ctx.credentials);
    const now = this.#now();
    const to = query.to ?? now;
    const from =
      query.from ??
      new Date(to.getTime() - DEFAULT_REPORT_DAYS * 24 * 60 * 60 * 1000);
    if (from.getTime() > to.getTime()) {
      throw new InputError('query.from: must not be after query.to');
    }
    const deployments = await this.#store.listDeployments({ from, to });
    const entityRefs = [...new Set(deployments.map(d => d.entityRef))];
    const flows = new Map<string, VerificationFlow>();
    if (entityRefs.length > 0) {
      // The auditor may not see every entity; the policies are read as the plugin.
      const { items: entities } = await this.#catalog.getEntitiesByRefs(
        { entityRefs },
        { credentials: await this.#auth.getOwnServiceCredentials() },
      );
      for (const [index, entityRef] of entityRefs.entries()) {
        const entity = entities[index];
        flows.set(entityRef, {
          policy: entity && getPolicyForEntity(this.#config, entity).policy,
          facts: await this.#store.getFlowFacts(entityRef),
        });
      }
    }
    return buildVerificationReport({ from, to, now, deployments, flows });
  }

  // -------------------------------------------------------------------------
  // Helpers
  // -------------------------------------------------------------------------

  /**
   * Looks the entity up in the catalog and finds its policy: as the caller
   * when it is a user (the catalog's read permission applies), as this plugin
   * when it is a service, because a pipeline's token is typically limited to
   * the promotion plugin (`accessRestrictions`) and the catalog refuses it.
   */
  async #resolveFlow(
    ref: CompoundEntityRef,
    credentials: BackstageCredentials,
  ): Promise<Flow> {
    const entityRef = stringifyEntityRef(ref);
    const entity = await this.#catalog.getEntityByRef(entityRef, {
      credentials: this.#auth.isPrincipal(credentials, 'service')
        ? await this.#auth.getOwnServiceCredentials()
        : credentials,
    });
    if (!entity) {
      throw new NotFoundError(`No entity ${entityRef} found in the catalog`);
    }
    const lookup = getPolicyForEntity(this.#config, entity);
    if (lookup.problem === 'missing-annotation' || !lookup.policyName) {
      throw new NotFoundError(
        `${entityRef} does not take part in Promotion: add the annotation ${PROMOTION_POLICY_ANNOTATION} naming one of the configured policies (${this.#policyNames()})`,
      );
    }
    if (!lookup.policy) {
      throw new InputError(
        `The annotation ${PROMOTION_POLICY_ANNOTATION}: "${
          lookup.policyName
        }" of ${entityRef} names no configured policy (configured: ${this.#policyNames()})`,
      );
    }
    return {
      entityRef: stringifyEntityRef(entity),
      entity,
      policy: lookup.policy,
    };
  }

  async #authorizedFlow(
    ref: CompoundEntityRef,
    permission: Parameters<PromotionAuthorizer['authorizeFlow']>[0],
    ctx: CallContext,
  ): Promise<Flow> {
    const flow = await this.#resolveFlow(ref, ctx.credentials);
    await this.#authorizer.authorizeFlow(
      permission,
      flow.entityRef,
      ctx.credentials,
    );
    return flow;
  }

  #readableFlow(ref: CompoundEntityRef, ctx: CallContext): Promise<Flow> {
    return this.#authorizedFlow(ref, promotionReadPermission, ctx);
  }

  #policyNames(): string {
    const names = Object.keys(this.#config.policies);
    return names.length > 0 ? names.join(', ') : 'none';
  }

  #environment(
    flow: Flow,
    environmentId: string,
    location: 'body' | 'query' | 'path',
  ): EnvironmentDefinition {
    const environment = flow.policy.environments.find(
      e => e.id === environmentId,
    );
    if (!environment) {
      throw new InputError(
        `${location}.environment: unknown environment "${environmentId}"; the ladder of policy ${
          flow.policy.name
        } is ${flow.policy.environments.map(e => e.id).join(', ')}`,
      );
    }
    return environment;
  }

  #checklistItem(
    environment: EnvironmentDefinition,
    kind: ChecklistKind,
    itemId: string,
  ): {
    id: string;
    title: string;
    scope: 'version' | 'flow';
    evidenceRequired: boolean;
  } {
    if (kind === 'validation') {
      const item = environment.checklist.find(i => i.id === itemId);
      if (!item) {
        throw new InputError(
          `path.itemId: "${itemId}" is not on the ${
            environment.title
          } checklist (items: ${
            environment.checklist.map(i => i.id).join(', ') || 'none'
          })`,
        );
      }
      return item;
    }
    const item = environment.postDeployment.find(i => i.id === itemId);
    if (!item) {
      throw new InputError(
        `path.itemId: "${itemId}" is not on the ${
          environment.title
        } post-deployment checklist (items: ${
          environment.postDeployment.map(i => i.id).join(', ') || 'none'
        })`,
      );
    }
    // Post-deployment items belong to the deployment of one version.
    return { ...item, scope: 'version' };
  }

  /** Version-scoped items need the version, flow-scoped ones must not have one. */
  #checklistVersion(
    item: { title: string; scope: 'version' | 'flow' },
    version: string | undefined,
    location: 'body' | 'query' = 'body',
  ): string | undefined {
    if (item.scope === 'version' && !version) {
      throw new InputError(
        `${location}.version: Required: "${item.title}" is completed per version`,
      );
    }
    if (item.scope === 'flow' && version) {
      throw new InputError(
        `${location}.version: must be absent: "${item.title}" is completed once for the whole flow`,
      );
    }
    return item.scope === 'flow' ? undefined : version;
  }

  async #request(id: string): Promise<PromotionRequest> {
    const request = await this.#store.getRequest(id);
    if (!request) {
      throw new NotFoundError(`No promotion request ${id}`);
    }
    return request;
  }

  /** Editing and withdrawing belong to the requester, while the request is pending. */
  async #requesterOnly(
    id: string,
    action: 'edit' | 'withdraw',
    ctx: CallContext,
  ): Promise<PromotionRequest> {
    const request = await this.#request(id);
    await this.#authorizer.authorizeFlow(
      promotionRequestPermission,
      request.entityRef,
      ctx.credentials,
    );
    const actor = actorOf(ctx.credentials);
    if (normaliseEntityRef(request.requestedBy) !== normaliseEntityRef(actor)) {
      throw new NotAllowedError(
        `Only the requester, ${request.requestedBy}, can ${action} this request`,
      );
    }
    if (request.status !== 'pending') {
      throw new ConflictError(
        `This request is ${request.status}; only a pending request can be ${
          action === 'edit' ? 'edited' : 'withdrawn'
        }`,
      );
    }
    return request;
  }

  async #identity(
    credentials: BackstageCredentials,
  ): Promise<ApproverIdentity> {
    const info = await this.#userInfo.getUserInfo(credentials);
    return {
      userEntityRef: info.userEntityRef,
      ownershipEntityRefs: info.ownershipEntityRefs,
    };
  }

  async #approverAnswer(
    flow: Flow,
    credentials: BackstageCredentials,
  ): Promise<PermissionAnswer> {
    const gated = flow.policy.environments.filter(
      e => e.approval.mode !== 'none',
    );
    if (gated.length === 0) {
      return {
        allowed: false,
        reason: 'No environment of this flow needs an approval',
      };
    }
    if (!this.#auth.isPrincipal(credentials, 'user')) {
      return { allowed: false, reason: 'Only people can approve promotions' };
    }
    const identity = await this.#identity(credentials);
    const reasons: string[] = [];
    for (const environment of gated) {
      const eligibility = approverEligibility(environment, identity);
      if (eligibility.allowed) {
        return { allowed: true };
      }
      reasons.push(eligibility.reason);
    }
    return { allowed: false, reason: capitalise(reasons.join('; ')) };
  }

  /**
   * The environment of each request (by request id), from its flow's policy,
   * read as the plugin. Requests whose flow or environment is gone are left
   * out, and so is everything when the catalog cannot be read: this serves
   * notifications only, which never fail the change they tell about.
   */
  async #requestEnvironments(
    requests: PromotionRequest[],
  ): Promise<Map<string, EnvironmentDefinition>> {
    const environments = new Map<string, EnvironmentDefinition>();
    const entityRefs = [...new Set(requests.map(r => r.entityRef))];
    if (entityRefs.length === 0) {
      return environments;
    }
    let entities: Array<Entity | undefined>;
    try {
      ({ items: entities } = await this.#catalog.getEntitiesByRefs(
        { entityRefs },
        { credentials: await this.#auth.getOwnServiceCredentials() },
      ));
    } catch (error) {
      this.#logger.error(
        'Could not read the flows of promotion requests from the catalog; their notifications are not sent',
        { error: String(error) },
      );
      return environments;
    }
    const policies = new Map(
      entityRefs.map((entityRef, index) => {
        const entity = entities[index];
        return [
          entityRef,
          entity ? getPolicyForEntity(this.#config, entity).policy : undefined,
        ];
      }),
    );
    for (const request of requests) {
      const environment = policies
        .get(request.entityRef)
        ?.environments.find(e => e.id === request.environmentId);
      if (environment) {
        environments.set(request.id, environment);
      }
    }
    return environments;
  }

  async #listRollbacks(entityRef: string): Promise<Rollback[]> {
    return this.#store.listRollbacks({ entityRef });
  }

  #auditContext(ctx: CallContext, now?: Date): AuditContext {
    return { actor: actorOf(ctx.credentials), now: now ?? this.#now() };
  }

  /** Hands committed audit events to the auditor service; a failure there is logged. */
  async #audit(events: AuditEvent[], ctx?: CallContext): Promise<void> {
    for (const event of events) {
      try {
        const auditorEvent = await this.#auditor.createEvent({
          eventId: event.type,
          severityLevel: 'medium',
          request: ctx?.request,
          meta: {
            seq: event.seq,
            eventId: event.id,
            entityRef: event.entityRef,
            environmentId: event.environmentId,
            version: event.version,
            actor: event.actor,
            summary: event.summary,
            hash: event.hash,
          },
        });
        await auditorEvent.success();
      } catch (error) {
        this.#logger.error(
          `Could not send audit event ${event.seq} (${event.type}) to the auditor service`,
          { error: String(error) },
        );
      }
    }
  }
}

/** Who did it: the user entity ref, or `service:<subject>` for a pipeline. */
export function actorOf(credentials: BackstageCredentials): string {
  const principal = credentials.principal as
    | { type: 'user'; userEntityRef: string }
    | { type: 'service'; subject: string }
    | { type: 'none' };
  if (principal.type === 'user') {
    return principal.userEntityRef;
  }
  if (principal.type === 'service') {
    return `service:${principal.subject}`;
  }
  throw new NotAllowedError('This action needs an authenticated caller');
}

/** The flow's owners, from the catalog's ownedBy relations or spec.owner. */
function ownersOf(entity: Entity): string[] {
  const related = (entity.relations ?? [])
    .filter(r => r.type === RELATION_OWNED_BY)
    .map(r => r.targetRef);
  if (related.length > 0) {
    return related;
  }
  const owner = entity.spec?.owner;
  if (typeof owner !== 'string' || !owner) {
    return [];
  }
  try {
    return [
      stringifyEntityRef(
        parseEntityRef(owner, {
          defaultKind: 'group',
          defaultNamespace: entity.metadata.namespace ?? 'default',
        }),
      ),
    ];
  } catch {
    return [];
  }
}

function formatDuration(milliseconds: number): string {
  const seconds = Math.max(1, Math.ceil(milliseconds / 1000));
  return Duration.fromObject({ seconds })
    .rescale()
    .toHuman({ listStyle: 'long' });
}

function capitalise(text: string): string {
  return text.charAt(0).toLocaleUpperCase('en-US') + text.slice(1);
}
