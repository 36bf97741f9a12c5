import { LoggerService } from '@backstage/backend-plugin-api';
import { parseEntityRef } from '@backstage/catalog-model';
import {
  NotificationSendOptions,
  NotificationService,
} from '@backstage/plugin-notifications-node';
import { SignalsService } from '@backstage/plugin-signals-node';
import {
  BreakGlass,
  Decision,
  Deployment,
  EnvironmentDefinition,
  flowChannel,
  INBOX_CHANNEL,
  PromotionRequest,
  PromotionSignal,
  Rollback,
} from '@promotion/plugin-promotion-common';
import { DateTime } from 'luxon';
import { DisplayNames, entityNamesOnly, NameOf } from '../service/displayNames';
import { asSentence } from '../service/wording';

/** The Promotion tab of the flow's entity page. */
export function flowLink(entityRef: string): string {
  const { kind, namespace, name } = parseEntityRef(entityRef);
  return `/catalog/${encodeURIComponent(namespace)}/${encodeURIComponent(
    kind,
  )}/${encodeURIComponent(name)}/promotion`;
}

/** The Promotion tab of the flow, opening the trail ("Why is V here?") of one deployment. */
export function deploymentLink(entityRef: string, deploymentId: string) {
  return `${flowLink(entityRef)}?deployment=${encodeURIComponent(
    deploymentId,
  )}`;
}

/** `21 Nov 2026, 10:00 UTC`: a timestamp in a notification. */
export function formatNotificationTime(iso: string): string {
  return DateTime.fromISO(iso, { zone: 'utc' }).toFormat(
    "d LLL yyyy, HH:mm 'UTC'",
  );
}

/**
 * The scope of the one notification an approver has about a request: the
 * request, its reminders, a voided approval and the request's end all send
 * with it, so each replaces the approver's earlier notification instead of
 * adding another one, and the inbox never keeps an "Approval requested" for
 * a request that is over.
 */
export function requestScope(requestId: string): string {
  return `promotion-request:${requestId}`;
}

/** `Alice Ng, Dana Whitfield and Erin Cho` */
function listOf(names: string[]): string {
  if (names.length <= 1) {
    return names.join('');
  }
  return `${names.slice(0, -1).join(', ')} and ${names[names.length - 1]}`;
}

/** The approvals a request counts: on its current dossier, not voided. */
function countedApprovals(request: PromotionRequest): Decision[] {
  return request.decisions.filter(
    d =>
      d.decision === 'approve' &&
      !d.voidedAt &&
      d.dossierHash === request.dossierHash,
  );
}

/**
 * Tells people and screens about changes: notifications to approvers,
 * requesters, owners and audit readers, signals so open pages refresh.
 * Every notification names people by their display names and flows and
 * environments by their titles (see `DisplayNames`). Delivery problems are
 * logged and never fail the change that was already recorded.
 */
export class PromotionNotifier {
  readonly #notifications: NotificationService;
  readonly #signals?: SignalsService;
  readonly #logger: LoggerService;
  readonly #displayNames: DisplayNames;
  /** In a notifier for one change: the ends of requests it told (`id:status`). */
  #closedRequests?: Set<string>;

  constructor(options: {
    notifications: NotificationService;
    signals?: SignalsService;
    logger: LoggerService;
    /** Where the names of people and flows come from; entity names when absent. */
    displayNames?: DisplayNames;
  }) {
    this.#notifications = options.notifications;
    this.#signals = options.signals;
    this.#logger = options.logger;
    this.#displayNames = options.displayNames ?? entityNamesOnly;
  }

  /**
   * A notifier for the notifications of one committed change: it tells the
   * end of each request once, however many parts of the change ask it to
   * (the change's own step and the one its audit events call for).
   */
  forChange(): PromotionNotifier {
    const notifier = new PromotionNotifier({
      notifications: this.#notifications,
      signals: this.#signals,
      logger: this.#logger,
      displayNames: this.#displayNames,
    });
    notifier.#closedRequests = new Set();
    return notifier;
  }

  /** The approvers of the environment learn that a request waits for them. */
  async requestCreated(options: {
    request: PromotionRequest;
    environmentTitle: string;
    approvers: string[];
  }): Promise<void> {
    const { request, environmentTitle, approvers } = options;
    const name = await this.#names(request.entityRef, request.requestedBy);
    const flow = name(request.entityRef);
    await this.#send({
      recipients: {
        type: 'entity',
        entityRef: approvers,
        excludeEntityRef: request.requestedBy,
      },
      payload: {
        title: `Approval requested: ${flow} ${request.version} into ${environmentTitle}`,
        description: `${name(request.requestedBy)} asks to promote ${
          request.version
        } of ${flow} to ${environmentTitle}. What changed: ${asSentence(
          request.dossier.whatChanged,
        )}`,
        link: flowLink(request.entityRef),
        severity: 'high',
        topic: 'promotion-request',
        scope: requestScope(request.id),
      },
    });
  }

  /**
   * The approvers of the environment are reminded that a request still waits
   * for them. A reminder raises the approvers' notification of the request
   * again (same scope) instead of adding another one.
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
    const name = await this.#names(request.entityRef, request.requestedBy);
    const flow = name(request.entityRef);
    await this.#send({
      recipients: {
        type: 'entity',
        entityRef: approvers,
        excludeEntityRef: request.requestedBy,
      },
      payload: {
        title: `Reminder: ${flow} ${
          request.version
        } into ${environmentTitle} is waiting for your approval since ${formatNotificationTime(
          request.createdAt,
        )}`,
        description: `${name(request.requestedBy)} asks to promote ${
          request.version
        } of ${flow} to ${environmentTitle}. The request expires on ${formatNotificationTime(
          request.expiresAt,
        )}. What changed: ${asSentence(request.dossier.whatChanged)}`,
        link: flowLink(request.entityRef),
        severity: 'normal',
        topic: 'promotion-request',
        scope: requestScope(request.id),
      },
    });
  }

  /** The requester learns that the request expired without a decision. */
  async requestExpired(options: {
    request: PromotionRequest;
    environmentTitle: string;
  }): Promise<void> {
    const { request, environmentTitle } = options;
    const name = await this.#names(request.entityRef);
    await this.#send({
      recipients: { type: 'entity', entityRef: request.requestedBy },
      payload: {
        title: `Promotion request expired: ${name(request.entityRef)} ${
          request.version
        } to ${environmentTitle}`,
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
    const name = await this.#names(request.entityRef, decision.decidedBy);
    const decidedBy = name(decision.decidedBy);
    const verb = decision.decision === 'approve' ? 'approved' : 'rejected';
    const outcome =
      request.status === 'approved' || request.status === 'rejected'
        ? `${request.status} by ${decidedBy}`
        : `${verb} by ${decidedBy}, still pending`;
    await this.#send({
      recipients: {
        type: 'entity',
        entityRef: [request.requestedBy, ...owners],
        excludeEntityRef: decision.decidedBy,
      },
      payload: {
        title: `Promotion ${outcome}: ${name(request.entityRef)} ${
          request.version
        } to ${environmentTitle}`,
        description: `${decidedBy}: ${asSentence(decision.comment)}`,
        link: flowLink(request.entityRef),
        severity: decision.decision === 'reject' ? 'high' : 'normal',
        topic: 'promotion-decision',
        scope: `promotion-decision:${decision.id}`,
      },
    });
  }

  /**
   * The approvers whose approval an edit of the dossier voided learn that it
   * no longer counts and that the request waits for them again. It replaces
   * their notification of the request (same scope).
   */
  async approvalsVoided(options: {
    request: PromotionRequest;
    /** The approvals the edit voided. */
    voided: Decision[];
    /** Who edited the dossier. */
    editedBy: string;
    environmentTitle: string;
  }): Promise<void> {
    const { request, voided, editedBy, environmentTitle } = options;
    const approvers = [
      ...new Set(
        voided.filter(d => d.decision === 'approve').map(d => d.decidedBy),
      ),
    ];
    if (approvers.length === 0) {
      return;
    }
    const name = await this.#names(request.entityRef, editedBy);
    const subject = `${name(request.entityRef)} ${
      request.version
    } into ${environmentTitle}`;
    await this.#send({
      recipients: {
        type: 'entity',
        entityRef: approvers,
        excludeEntityRef: editedBy,
      },
      payload: {
        title: `Approval voided: ${subject}`,
        description: `Your approval of ${subject} was voided because ${name(
          editedBy,
        )} edited the dossier; please review again. What changed: ${asSentence(
          request.dossier.whatChanged,
        )}`,
        link: flowLink(request.entityRef),
        severity: 'high',
        topic: 'promotion-request',
        scope: requestScope(request.id),
      },
    });
  }

  /**
   * The request is over: approved, rejected, withdrawn, expired, superseded
   * or any later closing status. The approvers' notification of the request
   * is replaced (same scope) by one whose title says what happened, so no
   * "Approval requested" is left for a request nobody can decide any more.
   * The requester of a superseded request is told too (they learn of the
   * other endings from the decision, the expiry, or their own withdrawal).
   *
   * Backstage's notifications cannot be marked read or done by their
   * sender: a send with an existing scope updates the notification's title,
   * description, link and severity and marks it unread again (see
   * `restoreExistingNotification` in the notifications backend). So the
   * approver sees one unread line saying how the request ended, at low
   * severity, in place of the call to action; reading it clears it. Leaving
   * the old notification alone instead would keep an unread "Approval
   * requested" for a request that cannot be decided any more.
   */
  async requestClosed(options: {
    request: PromotionRequest;
    environmentTitle: string;
    approvers: string[];
    /** The withdrawal's reason, when the requester gave one. */
    reason?: string;
  }): Promise<void> {
    const { request, environmentTitle, approvers, reason } = options;
    if (request.status === 'pending') {
      return;
    }
    const closing = `${request.id}:${request.status}`;
    if (this.#closedRequests?.has(closing)) {
      return;
    }
    this.#closedRequests?.add(closing);
    const approvals = countedApprovals(request);
    const rejection = request.decisions.find(
      d => d.decision === 'reject' && !d.voidedAt,
    );
    const name = await this.#names(
      request.entityRef,
      request.requestedBy,
      ...approvals.map(d => d.decidedBy),
      rejection?.decidedBy,
    );
    const subject = `${name(request.entityRef)} ${
      request.version
    } into ${environmentTitle}`;
    const words = this.#closingWords(request, {
      subject,
      name,
      approvals,
      rejection,
      reason,
    });
    if (approvers.length > 0) {
      await this.#send({
        recipients: {
          type: 'entity',
          entityRef: approvers,
          excludeEntityRef: request.requestedBy,
        },
        payload: {
          title: words.title,
          description: `${words.description} Nothing waits for your approval any more.`,
          link: flowLink(request.entityRef),
          severity: 'low',
          topic: 'promotion-request',
          scope: requestScope(request.id),
        },
      });
    }
    if (request.status === 'superseded') {
      await this.#send({
        recipients: { type: 'entity', entityRef: request.requestedBy },
        payload: {
          title: `Your promotion request was superseded: ${subject}`,
          description: words.description,
          link: flowLink(request.entityRef),
          severity: 'normal',
          topic: 'promotion-request',
          scope: `promotion-request-superseded:${request.id}`,
        },
      });
    }
  }

  #closingWords(
    request: PromotionRequest,
    context: {
      subject: string;
      name: NameOf;
      approvals: Decision[];
      rejection?: Decision;
      reason?: string;
    },
  ): { title: string; description: string } {
    const { subject, name, approvals, rejection, reason } = context;
    const said = (decisions: Decision[]) =>
      decisions
        .map(d => `${name(d.decidedBy)}: ${asSentence(d.comment)}`)
        .join(' ');
    switch (request.status) {
      case 'approved':
        return {
          title: `Decided: ${subject} was approved by ${listOf(
            approvals.map(d => name(d.decidedBy)),
          )}`,
          description: said(approvals),
        };
      case 'rejected':
        return {
          title: `Decided: ${subject} was rejected${
            rejection ? ` by ${name(rejection.decidedBy)}` : ''
          }`,
          description: rejection ? said([rejection]) : 'It was rejected.',
        };
      case 'withdrawn':
        return {
          title: `Withdrawn: ${name(
            request.requestedBy,
          )} withdrew the request to promote ${subject}`,
          description: reason?.trim()
            ? `Reason: ${asSentence(reason)}`
            : 'No reason was given.',
        };
      case 'expired':
        return {
          title: `Expired: the request to promote ${subject} expired without a decision`,
          description: `It expired on ${formatNotificationTime(
            request.expiresAt,
          )}.`,
        };
      case 'superseded':
        return {
          title: `Superseded: the request to promote ${subject} was closed`,
          description: asSentence(
            request.closedReason ?? 'A later change superseded it',
          ),
        };
      default:
        return {
          title: `Closed: the request to promote ${subject} is ${request.status}`,
          description: asSentence(
            request.closedReason ?? `The request is ${request.status}`,
          ),
        };
    }
  }

  /**
   * A deployment went through a closed gate (a violation): the approvers of
   * the environment, when it has an approval rule, and the audit readers
   * (`promotion.notifications.violationRecipients`) learn which conditions
   * were unmet. The link opens the deployment's trail on the flow's page.
   */
  async violationRecorded(options: {
    deployment: Deployment;
    environment: Pick<EnvironmentDefinition, 'title' | 'approval'>;
    /** The audit readers: `promotion.notifications.violationRecipients`. */
    auditReaders: string[];
  }): Promise<void> {
    const { deployment, environment, auditReaders } = options;
    if (!deployment.violation) {
      return;
    }
    const approvers =
      environment.approval.mode === 'none'
        ? []
        : environment.approval.approvers;
    const recipients = [...new Set([...approvers, ...auditReaders])];
    if (recipients.length === 0) {
      return;
    }
    const name = await this.#names(deployment.entityRef, deployment.reportedBy);
    const unmet = deployment.unmetConditions
      .map(c => asSentence(c.message))
      .join(' ');
    const outcome =
      deployment.status === 'succeeded' ? 'went into' : 'failed to deploy to';
    await this.#send({
      recipients: { type: 'entity', entityRef: recipients },
      payload: {
        title: `Violation: ${name(deployment.entityRef)} ${
          deployment.version
        } ${outcome} ${environment.title} through a closed gate`,
        description: `${name(
          deployment.reportedBy,
        )} reported the deployment on ${formatNotificationTime(
          deployment.reportedAt,
        )} while the gate was closed. Unmet conditions: ${unmet}`,
        link: deploymentLink(deployment.entityRef, deployment.id),
        severity: 'critical',
        topic: 'promotion-violation',
        scope: `promotion-violation:${deployment.id}`,
      },
    });
  }

  /**
   * A break-glass was declared or used: the approvers of the environment
   * and the audit readers (`promotion.notifications.violationRecipients`)
   * learn who, why and for which incident; a declaration that waits for an
   * approver asks them for it.
   */
  async breakGlassRecorded(options: {
    breakGlass: BreakGlass;
    step: 'declared' | 'used';
    environment: Pick<EnvironmentDefinition, 'title' | 'approval'>;
    /** The audit readers: `promotion.notifications.violationRecipients`. */
    auditReaders: string[];
  }): Promise<void> {
    const { breakGlass, step, environment, auditReaders } = options;
    const recipients = [
      ...new Set([...environment.approval.approvers, ...auditReaders]),
    ];
    if (recipients.length === 0) {
      return;
    }
    const name = await this.#names(breakGlass.entityRef, breakGlass.declaredBy);
    const flow = name(breakGlass.entityRef);
    const declared = `${name(
      breakGlass.declaredBy,
    )} declared a break-glass for ${flow} ${breakGlass.version} into ${
      environment.title
    } on ${formatNotificationTime(breakGlass.declaredAt)}: ${asSentence(
      breakGlass.reason,
    )} Incident: ${breakGlass.incidentLink}`;
    const payload =
      step === 'declared'
        ? {
            title: `Break-glass declared: ${flow} ${breakGlass.version} into ${environment.title}`,
            description: `${declared} ${
              breakGlass.status === 'pending'
                ? `It waits for the approval of one of the approvers of ${environment.title}.`
                : 'It needed no approval (on-call), so the gate is open for this version now.'
            }`,
            link: flowLink(breakGlass.entityRef),
          }
        : {
            title: `Break-glass used: ${flow} ${breakGlass.version} went into ${environment.title}`,
            description: `${declared} The deployment went in on it, overriding: ${breakGlass.overriddenConditions
              .map(c => asSentence(c.message))
              .join(
                ' ',
              )} Its retrospective review is open until an approver closes it.`,
            link: breakGlass.deploymentId
              ? deploymentLink(breakGlass.entityRef, breakGlass.deploymentId)
              : flowLink(breakGlass.entityRef),
          };
    await this.#send({
      recipients: {
        type: 'entity',
        entityRef: recipients,
        excludeEntityRef: breakGlass.declaredBy,
      },
      payload: {
        ...payload,
        severity: 'critical',
        topic: 'promotion-break-glass',
        scope: `promotion-break-glass:${breakGlass.id}:${step}`,
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
    const name = await this.#names(rollback.entityRef, rollback.recordedBy);
    await this.#send({
      recipients: {
        type: 'entity',
        entityRef: approvers,
        excludeEntityRef: rollback.recordedBy,
      },
      payload: {
        title: `Rollback: ${name(rollback.entityRef)} ${
          rollback.fromVersion
        } on ${environmentTitle}`,
        description: `${name(rollback.recordedBy)} rolled ${
          rollback.fromVersion
        } back${
          rollback.toVersion ? ` to ${rollback.toVersion}` : ''
        }: ${asSentence(rollback.reason)} ${
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

  /** The names of one notification's people and flow, read in one batch. */
  #names(...refs: Array<string | undefined>): Promise<NameOf> {
    return this.#displayNames.lookup(refs);
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
