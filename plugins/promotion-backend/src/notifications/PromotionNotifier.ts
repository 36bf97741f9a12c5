import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import { SignalsService } from '@backstage/plugin-signals-node';
import {
  Decision,
  flowChannel,
  INBOX_CHANNEL,
  PromotionRequest,
  PromotionSignal,
  Rollback,
} from '@promotion/plugin-promotion-common';
import { DateTime } from 'luxon';

/** The Promotion tab of the flow's entity page. */
export function flowLink(entityRef: string): string {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  return `/catalog/${encodeURIComponent(namespace)}/${encodeURIComponent(
    kind,
  )}/${encodeURIComponent(name)}/promotion`;
}

/** `21 Nov 2026, 10:00 UTC`: a timestamp in a notification. */
export function formatNotificationTime(iso: string): string {
  return DateTime.fromISO(iso, { zone: 'utc' }).toFormat(
    "d LLL yyyy, HH:mm 'UTC'",
  );
}

/**
 * Tells people and screens about changes: notifications to approvers,
 * requesters and owners, signals so open pages refresh. Delivery problems are
 * logged and never fail the change that was already recorded.
 */
export class PromotionNotifier {
  readonly #notifications: NotificationService;
  readonly #signals?: SignalsService;
  readonly #logger: LoggerService;

  constructor(options: {
    notifications: NotificationService;
    signals?: SignalsService;
    logger: LoggerService;
  }) {
    this.#notifications = options.notifications;
    this.#signals = options.signals;
    this.#logger = options.logger;
  }

  /** The approvers of the environment learn that a request waits for them. */
  async requestCreated(options: {
    request: PromotionRequest;
    environmentTitle: string;
    approvers: string[];
  }): Promise<void> {
    const { request, environmentTitle, approvers } = options;
    await this.#send({
      recipients: {
        type: 'entity',
        entityRef: approvers,
        excludeEntityRef: request.requestedBy,
      },
      payload: {
        title: `Approval requested: ${request.entityRef} ${request.version} to ${environmentTitle}`,
        description: `${request.requestedBy} asks to promote ${request.version} of ${request.entityRef} to ${environmentTitle}. What changed: ${request.dossier.whatChanged}`,
        link: flowLink(request.entityRef),
        severity: 'high',
        topic: 'promotion-request',
        scope: `promotion-request:${request.id}`,
      },
    });
  }

  /**
   * The approvers of the environment are reminded that a request still waits
   * for them. Every reminder of a request shares one scope, so it raises the
   * same notification again instead of adding another one.
   */
  async reminderDue(options: {
    request: PromotionRequest;
    environmentTitle: string;
    approvers: string[];
  }): Promise<void> {
    const { request, environmentTitle, approvers } = options;
    if (approvers.length === 0) {
      return;
    }
    await this.#send({
      recipients: {
        type: 'entity',
        entityRef: approvers,
        excludeEntityRef: request.requestedBy,
      },
      payload: {
        title: `Reminder: ${request.entityRef} ${
          request.version
        } into ${environmentTitle} is waiting for your approval since ${formatNotificationTime(
          request.createdAt,
        )}`,
        description: `${request.requestedBy} asks to promote ${
          request.version
        } of ${
          request.entityRef
        } to ${environmentTitle}. The request expires on ${formatNotificationTime(
          request.expiresAt,
        )}. What changed: ${request.dossier.whatChanged}`,
        link: flowLink(request.entityRef),
        severity: 'normal',
        topic: 'promotion-request',
        scope: `promotion-reminder:${request.id}`,
      },
    });
  }

  /** The requester learns that the request expired without a decision. */
  async requestExpired(options: {
    request: PromotionRequest;
    environmentTitle: string;
  }): Promise<void> {
    const { request, environmentTitle } = options;
    await this.#send({
      recipients: { type: 'entity', entityRef: request.requestedBy },
      payload: {
        title: `Promotion request expired: ${request.entityRef} ${request.version} to ${environmentTitle}`,
        description: `No decision was made by ${formatNotificationTime(
          request.expiresAt,
        )}. Request the promotion again if it is still wanted.`,
        link: flowLink(request.entityRef),
        severity: 'normal',
        topic: 'promotion-request',
        scope: `promotion-request-expired:${request.id}`,
      },
    });
  }

  /** The requester and the flow's owners learn about a decision. */
  async decisionMade(options: {
    request: PromotionRequest;
    decision: Decision;
    environmentTitle: string;
    owners: string[];
  }): Promise<void> {
    const { request, decision, environmentTitle, owners } = options;
    const outcome =
      request.status === 'approved' || request.status === 'rejected'
        ? request.status
        : `${decision.decision === 'approve' ? 'approved' : 'rejected'} by ${
            decision.decidedBy
          }, still pending`;
    await this.#send({
      recipients: {
        type: 'entity',
        entityRef: [request.requestedBy, ...owners],
        excludeEntityRef: decision.decidedBy,
      },
      payload: {
        title: `Promotion ${outcome}: ${request.entityRef} ${request.version} to ${environmentTitle}`,
        description: `${decision.decidedBy}: ${decision.comment}`,
        link: flowLink(request.entityRef),
        severity: decision.decision === 'reject' ? 'high' : 'normal',
        topic: 'promotion-decision',
        scope: `promotion-decision:${decision.id}`,
      },
    });
  }

  /** The approvers of the environment learn about a rollback. */
  async rollbackRecorded(options: {
    rollback: Rollback;
    environmentTitle: string;
    approvers: string[];
  }): Promise<void> {
    const { rollback, environmentTitle, approvers } = options;
    if (approvers.length === 0) {
      return;
    }
    await this.#send({
      recipients: {
        type: 'entity',
        entityRef: approvers,
        excludeEntityRef: rollback.recordedBy,
      },
      payload: {
        title: `Rollback: ${rollback.entityRef} ${rollback.fromVersion} on ${environmentTitle}`,
        description: `${rollback.recordedBy} rolled ${
          rollback.fromVersion
        } back${rollback.toVersion ? ` to ${rollback.toVersion}` : ''}: ${
          rollback.reason
        }. ${
          rollback.incidentLink
            ? `Incident report: ${rollback.incidentLink}`
            : 'An incident report is requested.'
        }`,
        link: flowLink(rollback.entityRef),
        severity: 'critical',
        topic: 'promotion-rollback',
        scope: `promotion-rollback:${rollback.id}`,
      },
    });
  }

  /** Open Promotion tabs (and the inbox, when requests changed) refresh. */
  async flowChanged(entityRef: string, options?: { inbox?: boolean }) {
    if (!this.#signals) {
      return;
    }
    const channels = [flowChannel(entityRef)];
    if (options?.inbox) {
      channels.push(INBOX_CHANNEL);
    }
    for (const channel of channels) {
      try {
        await this.#signals.publish<PromotionSignal>({
          recipients: { type: 'broadcast' },
          channel,
          message: { entityRef },
        });
      } catch (error) {
        this.#logger.warn(`Could not publish signal on ${channel}`, {
          error: String(error),
        });
      }
    }
  }

  async #send(options: NotificationSendOptions): Promise<void> {
    try {
      await this.#notifications.send(options);
    } catch (error) {
      this.#logger.warn(
        `Could not send notification "${options.payload.title}"`,
        { error: String(error) },
      );
    }
  }
}
