import { AuditorService, LoggerService } from '@backstage/backend-plugin-api';
import { AuditCheckpoint } from '@promotion/plugin-promotion-common';
import { actorOf, CallContext, SYSTEM_ACTOR } from '../callContext';
import { ServiceParts } from '../serviceParts';

type AuditCheckpointParts = Pick<ServiceParts, 'store' | 'authorizer' | 'now'>;

/**
 * Signed checkpoints of the audit trail: the head of every flow chain, with
 * a digest and an HMAC under the audit signing key. Made on a schedule and
 * on demand (an auditor keeps the JSON it answers); each is stored and sent
 * to Backstage's auditor service, outside the database, with its digest and
 * counts, so that a later truncation or rewind of a chain shows when the
 * trail is verified against it.
 */
export class AuditCheckpoints {
  readonly #parts: AuditCheckpointParts;
  readonly #auditor: AuditorService;
  readonly #logger: LoggerService;

  constructor(
    parts: AuditCheckpointParts,
    options: { auditor: AuditorService; logger: LoggerService },
  ) {
    this.#parts = parts;
    this.#auditor = options.auditor;
    this.#logger = options.logger;
  }

  /** A checkpoint an auditor asked for; the audit-read permission. */
  async create(ctx: CallContext): Promise<AuditCheckpoint> {
    await this.#parts.authorizer.authorizeAuditRead(ctx.credentials);
    return this.#create(actorOf(ctx.credentials), ctx);
  }

  /** The scheduled checkpoint. */
  async createScheduled(): Promise<AuditCheckpoint> {
    return this.#create(SYSTEM_ACTOR);
  }

  async #create(actor: string, ctx?: CallContext): Promise<AuditCheckpoint> {
    const checkpoint = await this.#parts.store.createCheckpoint({
      actor,
      now: this.#parts.now(),
    });
    try {
      const event = await this.#auditor.createEvent({
        eventId: 'audit-checkpoint',
        severityLevel: 'medium',
        request: ctx?.request,
        meta: {
          checkpointId: checkpoint.id,
          createdAt: checkpoint.createdAt,
          createdBy: checkpoint.createdBy,
          digest: checkpoint.digest,
          keyId: checkpoint.keyId,
          mac: checkpoint.mac,
          flows: checkpoint.flows,
          events: checkpoint.events,
        },
      });
      await event.success();
    } catch (error) {
      this.#logger.error(
        `Could not send audit checkpoint ${checkpoint.id} to the auditor service`,
        { error: String(error) },
      );
    }
    return checkpoint;
  }
}
