import { ConflictError } from '@backstage/errors';
import { PromotionRequest } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { dossierHash } from '../../../audit/hashChain';
import { AuditContext, EditRequestInput, Recorded } from '../../PromotionStore';
import { DbDecisionRow, DbRequestRow, TABLES } from '../../tables';
import { appendEvents } from '../audit/appendEvents';
import { readRequest } from './getRequests';
import {
  getPendingRequestRow,
  lostRace,
  pendingAtRevision,
} from './pendingRequest';

/**
 * Replaces the dossier of a pending request and bumps its revision, in its
 * own transaction that starts with the guarded update; the decisions made on
 * earlier revisions are voided.
 */
export async function editRequest(
  db: Knex,
  input: EditRequestInput,
  ctx: AuditContext,
): Promise<Recorded<PromotionRequest>> {
  const now = ctx.now ?? new Date();
  const current = await getPendingRequestRow(db, input.requestId);
  const revision = Number(current.revision);
  if (
    input.expectedRevision !== undefined &&
    input.expectedRevision !== revision
  ) {
    throw new ConflictError(
      `Promotion request ${input.requestId} is at revision ${revision}, not ${input.expectedRevision}: it was edited meanwhile`,
    );
  }
  const newHash = dossierHash(input.dossier);

  return await db.transaction(async tx => {
    const updated = await tx<DbRequestRow>(TABLES.requests)
      .where(pendingAtRevision(current.id, revision))
      .update({
        dossier: JSON.stringify(input.dossier),
        dossier_hash: newHash,
        revision: revision + 1,
        updated_at: now,
      });
    if (updated !== 1) {
      throw lostRace(current.id);
    }
    const voided = await tx<DbDecisionRow>(TABLES.decisions)
      .where({ request_id: current.id })
      .whereNull('voided_at')
      .update({ voided_at: now });
    const request = await readRequest(tx, current.id);
    const events = await appendEvents(tx, ctx, now, [
      {
        type: 'request.edited',
        entityRef: request.entityRef,
        environmentId: request.environmentId,
        version: request.version,
        summary: `Edited the dossier of the promotion request for ${
          request.version
        } into ${request.environmentId}${
          voided > 0 ? `; ${voided} earlier decision(s) no longer count` : ''
        }`,
        payload: {
          requestId: request.id,
          status: request.status,
          revision: request.revision,
          dossier: input.dossier,
          dossierHash: newHash,
          previousDossierHash: current.dossier_hash,
          voidedDecisions: voided,
        },
      },
    ]);
    return { value: request, events };
  });
}
