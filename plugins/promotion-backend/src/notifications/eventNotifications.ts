import { LoggerService } from '@backstage/backend-plugin-api';
import {
  AuditEvent,
  Deployment,
  EnvironmentDefinition,
  GateCondition,
  PromotionPolicy,
  PromotionRequest,
} from '@promotion/plugin-promotion-common';
import { PromotionNotifier } from './PromotionNotifier';

/** The audit events that end a promotion request. */
const CLOSING_EVENTS = new Set<string>([
  'request.approved',
  'request.rejected',
  'request.withdrawn',
  'request.expired',
  'request.superseded',
]);

/**
 * Whether the event ends a request: one of the closing events, or any other
 * request event that records a status other than pending (a closing status
 * added later is told like the others).
 */
function endsRequest(event: AuditEvent): boolean {
  if (CLOSING_EVENTS.has(event.type)) {
    return true;
  }
  const status = event.payload?.status;
  return (
    event.type.startsWith('request.') &&
    typeof status === 'string' &&
    status !== 'pending'
  );
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : undefined;
}

/** The deployment a `deployment.recorded` event records. */
function deploymentOf(event: AuditEvent): Deployment | undefined {
  const { payload } = event;
  const id = text(payload.deploymentId);
  const status = payload.status;
  if (
    !id ||
    !event.environmentId ||
    (status !== 'succeeded' && status !== 'failed')
  ) {
    return undefined;
  }
  return {
    id,
    entityRef: event.entityRef,
    environmentId: event.environmentId,
    version: text(payload.version) ?? event.version ?? '',
    status,
    ...(text(payload.link) && { link: text(payload.link) }),
    reportedBy: text(payload.reportedBy) ?? event.actor,
    reportedAt: event.occurredAt,
    violation: payload.violation === true,
    unmetConditions: Array.isArray(payload.unmetConditions)
      ? (payload.unmetConditions as GateCondition[])
      : [],
  };
}

/**
 * The notifications a committed change sends because of what its audit
 * events record, whichever part of the service made the change (a
 * deployment, a request's edit, decision, withdrawal, expiry or
 * supersession):
 *
 * - `deployment.recorded` through a closed gate: the environment's
 *   approvers and the audit readers (`violationRecipients`) learn of the
 *   violation;
 * - `request.edited` that voided approvals: their approvers are asked to
 *   review again;
 * - an event that ends a request: the approvers' notification of the
 *   request says how it ended.
 *
 * What it needs beyond the events (the request, the flow's policy) is read
 * after the commit, as the plugin. Nothing here fails the change: a read
 * that fails is logged and its notifications are not sent.
 */
export class EventNotifications {
  readonly #getRequest: (id: string) => Promise<PromotionRequest | undefined>;
  readonly #policiesOf: (
    entityRefs: string[],
  ) => Promise<Map<string, PromotionPolicy | undefined>>;
  readonly #violationRecipients: string[];
  readonly #logger: LoggerService;

  constructor(options: {
    /** Reads a request as it is now (the store's `getRequest`). */
    getRequest: (id: string) => Promise<PromotionRequest | undefined>;
    /** The policies of flows, read as the plugin (the flow resolver's `policiesOf`). */
    policiesOf: (
      entityRefs: string[],
    ) => Promise<Map<string, PromotionPolicy | undefined>>;
    /** `promotion.notifications.violationRecipients`. */
    violationRecipients: string[];
    logger: LoggerService;
  }) {
    this.#getRequest = options.getRequest;
    this.#policiesOf = options.policiesOf;
    this.#violationRecipients = options.violationRecipients;
    this.#logger = options.logger;
  }

  async send(events: AuditEvent[], notifier: PromotionNotifier): Promise<void> {
    const told = events.filter(
      event =>
        (event.type === 'deployment.recorded' &&
          event.payload?.violation === true) ||
        (event.type === 'request.edited' &&
          Number(event.payload?.voidedDecisions) > 0) ||
        endsRequest(event),
    );
    if (told.length === 0) {
      return;
    }
    try {
      const policies = await this.#policiesOf([
        ...new Set(told.map(e => e.entityRef)),
      ]);
      const environmentOf = (entityRef: string, environmentId?: string) =>
        policies.get(entityRef)?.environments.find(e => e.id === environmentId);
      const closed = new Set<string>();
      for (const event of told) {
        const environment = environmentOf(event.entityRef, event.environmentId);
        if (!environment) {
          this.#logger.warn(
            `No notification for audit event ${event.seq} (${event.type}): the environment ${event.environmentId} of ${event.entityRef} could not be found`,
          );
          continue;
        }
        if (event.type === 'deployment.recorded') {
          await this.#violation(event, environment, notifier);
        } else if (event.type === 'request.edited') {
          await this.#edited(event, environment, notifier);
        } else {
          const requestId = text(event.payload?.requestId);
          if (requestId && !closed.has(requestId)) {
            closed.add(requestId);
            await this.#closed(event, requestId, environment, notifier);
          }
        }
      }
    } catch (error) {
      this.#logger.error(
        `Could not read what the notifications of ${told.length} audit event(s) need; they are not sent`,
        { error: String(error) },
      );
    }
  }

  async #violation(
    event: AuditEvent,
    environment: EnvironmentDefinition,
    notifier: PromotionNotifier,
  ) {
    const deployment = deploymentOf(event);
    if (deployment) {
      await notifier.violationRecorded({
        deployment,
        environment,
        auditReaders: this.#violationRecipients,
      });
    }
  }

  /**
   * The approvals the edit voided: those given on the dossier it replaced
   * and voided when it was recorded (an approval voided by an earlier edit
   * of the same dossier is not told again).
   */
  async #edited(
    event: AuditEvent,
    environment: EnvironmentDefinition,
    notifier: PromotionNotifier,
  ) {
    const requestId = text(event.payload.requestId);
    const replaced = text(event.payload.previousDossierHash);
    const request = requestId ? await this.#getRequest(requestId) : undefined;
    if (!request || !replaced) {
      return;
    }
    await notifier.approvalsVoided({
      request,
      voided: request.decisions.filter(
        d =>
          d.decision === 'approve' &&
          d.dossierHash === replaced &&
          !!d.voidedAt &&
          // The same clock reading; a database may keep it to the second.
          Math.abs(Date.parse(d.voidedAt) - Date.parse(event.occurredAt)) <
            1000,
      ),
      editedBy: event.actor,
      environmentTitle: environment.title,
    });
  }

  async #closed(
    event: AuditEvent,
    requestId: string,
    environment: EnvironmentDefinition,
    notifier: PromotionNotifier,
  ) {
    const request = await this.#getRequest(requestId);
    if (!request || request.status === 'pending') {
      return;
    }
    await notifier.requestClosed({
      request,
      environmentTitle: environment.title,
      approvers: environment.approval.approvers,
      ...(event.type === 'request.withdrawn' && {
        reason: text(event.payload.reason),
      }),
    });
  }
}
