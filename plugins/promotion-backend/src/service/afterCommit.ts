import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { AuditEvent } from '@promotion/plugin-promotion-common';
import { EventNotifications } from '../notifications/eventNotifications';
import { PromotionNotifier } from '../notifications/PromotionNotifier';
import { CallContext } from './callContext';

/** What a committed change leaves to do, in the order it is done. */
export interface CommittedChange {
  /** The audit events the change's transaction appended. */
  events: AuditEvent[];
  /** The call that made the change; absent for the plugin's scheduled tasks. */
  ctx?: CallContext;
  /**
   * Tells people about the change (notifications), once the auditor has the
   * events. What the events themselves call for (a violation, voided
   * approvals, the end of a request) is told without it, by
   * `EventNotifications`.
   */
  notify?: (notifier: PromotionNotifier) => Promise<void>;
  /** The flows whose open Promotion tabs refresh (signals), last. */
  changedFlows?: Iterable<string>;
  /** Whether the approvals inbox refreshes with them: the change touched a promotion request. */
  inbox?: boolean;
}

/**
 * The one step every state change takes after its transaction commits: hand
 * the audit events to the auditor service, then tell people (the change's
 * own notifications, then those its events call for), then tell screens
 * (signals). Nothing here fails the change, which is already recorded: the
 * auditor's failures are logged here, the notifier logs its own.
 */
export class AfterCommit {
  readonly #auditor: AuditorService;
  readonly #notifier: PromotionNotifier;
  readonly #eventNotifications?: EventNotifications;
  readonly #logger: LoggerService;

  constructor(options: {
    auditor: AuditorService;
    notifier: PromotionNotifier;
    /** The notifications the committed events call for; none when absent. */
    eventNotifications?: EventNotifications;
    logger: LoggerService;
  }) {
    this.#auditor = options.auditor;
    this.#notifier = options.notifier;
    this.#eventNotifications = options.eventNotifications;
    this.#logger = options.logger;
  }

  async publish(change: CommittedChange): Promise<void> {
    await this.#audit(change.events, change.ctx);
    // One notifier for the change: the end of a request its own step tells
    // is not told again for its audit event.
    const notifier = this.#notifier.forChange();
    if (change.notify) {
      await change.notify(notifier);
    }
    if (this.#eventNotifications) {
      await this.#eventNotifications.send(change.events, notifier);
    }
    for (const entityRef of change.changedFlows ?? []) {
      if (change.inbox) {
        await this.#notifier.flowChanged(entityRef, { inbox: true });
      } else {
        await this.#notifier.flowChanged(entityRef);
      }
    }
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
