import { ConflictError } from '@backstage/errors';
import { PromotionRequest } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { dossierHash } from '../../../audit/hashChain';
import { mapRequestRow } from '../../mappers';
import {
  AuditContext,
  CreateRequestInput,
  Recorded,
} from '../../PromotionStore';
import { DbRequestRow, TABLES } from '../../tables';
import { appendEvents } from '../audit/appendEvents';
import { isUniqueViolation } from '../queryHelpers';
import {
  lockPendingRequests,
  supersedeHeldRequests,
} from './supersedeRequests';

/**
 * Opens a pending promotion request, in its own transaction; a
 * ConflictError when one is already pending for the same version and
 * environment (the unique pending key settles a race). With
 * `supersedeOlderRequests`, the pending requests for other versions of the
 * flow into the environment are closed as superseded by it, in the same
 * transaction.
 */
export async function createRequest(
  db: Knex,
  input: CreateRequestInput,
  ctx: AuditContext,
): Promise<Recorded<PromotionRequest> & { superseded: PromotionRequest[] }> {
  const now = ctx.now ?? new Date();
  const row: DbRequestRow = {
    id: randomUUID(),
    entity_ref: input.entityRef,
    environment_id: input.environmentId,
    version: input.version,
    status: 'pending',
    dossier: JSON.stringify(input.dossier),
    dossier_hash: dossierHash(input.dossier),
    revision: 1,
    requested_by: ctx.actor,
    created_at: now,
    updated_at: now,
    expires_at: input.expiresAt,
    decided_at: null,
    pending_key: '',
    last_reminded_at: null,
    closed_reason: null,
  };
  const alreadyPending = () =>
    new ConflictError(
      `A promotion request for ${input.version} of ${input.entityRef} into ${input.environmentId} is already pending`,
    );
  try {
    return await db.transaction(async tx => {
      const pending = await tx<DbRequestRow>(TABLES.requests)
        .where({
          entity_ref: input.entityRef,
          environment_id: input.environmentId,
          version: input.version,
          pending_key: '',
        })
        .first();
      if (pending) {
        throw alreadyPending();
      }
      // The older requests this one supersedes are locked before it is
      // inserted, as the expiry locks them.
      const older = input.supersedeOlderRequests
        ? await lockPendingRequests(
            tx,
            {
              entityRef: input.entityRef,
              environmentId: input.environmentId,
              otherThanVersion: input.version,
            },
            now,
          )
        : [];
      await tx(TABLES.requests).insert(row);
      const superseded = await supersedeHeldRequests(tx, older, {
        reason: `Superseded by the request for version ${input.version}`,
        cause: { supersedingRequestId: row.id },
        now,
      });
      const events = await appendEvents(tx, ctx, now, [
        {
          type: 'request.created',
          entityRef: input.entityRef,
          environmentId: input.environmentId,
          version: input.version,
          summary: `Requested promotion of ${input.version} into ${input.environmentId}: ${input.dossier.why}`,
          payload: {
            requestId: row.id,
            status: row.status,
            revision: 1,
            requestedBy: ctx.actor,
            dossier: input.dossier,
            dossierHash: row.dossier_hash,
            expiresAt: input.expiresAt.toISOString(),
          },
        },
        ...superseded.events,
      ]);
      return {
        value: mapRequestRow(row, []),
        events,
        superseded: superseded.requests,
      };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw alreadyPending();
    }
    throw error;
  }
}
