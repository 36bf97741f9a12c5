import {
  EnvironmentDefinition,
  PromotionPolicy,
  PromotionRequest,
} from '@promotion/plugin-promotion-common';
import { SYSTEM_ACTOR } from '../callContext';
import { ServiceParts } from '../serviceParts';

/** Requests reminded per run of the reminder task; the others wait for the next run. */
const REMINDER_BATCH_SIZE = 100;

type ScheduledRequestTasksParts = Pick<
  ServiceParts,
  'store' | 'config' | 'flows' | 'afterCommit' | 'logger' | 'now'
>;

/**
 * What the scheduler does to promotion requests on its own, as the plugin:
 * expires the overdue ones and reminds approvers of those still waiting.
 */
export class ScheduledRequestTasks {
  readonly #parts: ScheduledRequestTasksParts;

  constructor(parts: ScheduledRequestTasksParts) {
    this.#parts = parts;
  }

  /** Expires overdue pending requests; run by the scheduler on one replica at a time. */
  async expireRequests(): Promise<number> {
    const recorded = await this.#parts.store.expireRequests({
      actor: SYSTEM_ACTOR,
      now: this.#parts.now(),
    });
    const expired = recorded.value;
    await this.#parts.afterCommit.publish({
      events: recorded.events,
      notify: async notifier => {
        const environments = await this.#requestEnvironments(expired);
        for (const request of expired) {
          await notifier.requestExpired({
            request,
            environmentTitle:
              environments.get(request.id)?.title ?? request.environmentId,
          });
        }
      },
      changedFlows: new Set(expired.map(r => r.entityRef)),
      inbox: true,
    });
    return expired.length;
  }

  /**
   * Reminds the approvers of the requests that have waited another reminder
   * interval; run by the scheduler. The store claims each due request for
   * one caller only, so replicas running it at once never remind twice.
   */
  async remindApprovers(): Promise<number> {
    const now = this.#parts.now();
    const recorded = await this.#parts.store.claimReminders(
      {
        olderThan: new Date(
          now.getTime() - this.#parts.config.reminderIntervalSeconds * 1000,
        ),
        now,
        limit: REMINDER_BATCH_SIZE,
      },
      { actor: SYSTEM_ACTOR },
    );
    const due = recorded.value;
    await this.#parts.afterCommit.publish({
      events: recorded.events,
      notify: async notifier => {
        const environments = await this.#requestEnvironments(due);
        for (const request of due) {
          const environment = environments.get(request.id);
          if (!environment) {
            this.#parts.logger.warn(
              `No reminder for promotion request ${request.id}: the environment ${request.environmentId} of ${request.entityRef} could not be found`,
            );
            continue;
          }
          await notifier.reminderDue({
            request,
            environmentTitle: environment.title,
            approvers: environment.approval.approvers,
          });
        }
      },
    });
    return due.length;
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
    let policies: Map<string, PromotionPolicy | undefined>;
    try {
      policies = await this.#parts.flows.policiesOf(entityRefs);
    } catch (error) {
      this.#parts.logger.error(
        'Could not read the flows of promotion requests from the catalog; their notifications are not sent',
        { error: String(error) },
      );
      return environments;
    }
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
}
