import { ConflictError } from '@backstage/errors';
import { Decision, PromotionRequest } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { mapDecisionRow } from '../../mappers';
import { AuditContext, DecideInput, Recorded } from '../../PromotionStore';
import { DbDecisionRow, DbRequestRow, TABLES } from '../../tables';
import { appendEvents, NewAuditEvent } from '../audit/appendEvents';
import { decisionSummary } from '../audit/summaries';
import { grantStandingApproval } from '../flows/grantStandingApproval';
import { isUniqueViolation, oldestFirst } from '../queryHelpers';
import { readRequest } from './getRequests';
import {
  getPendingRequestRow,
  leavePending,
  lostRace,
  pendingAtRevision,
} from './pendingRequest';

/**
 * Records a decision on a pending request, in its own transaction that
 * starts with the guarded update of the request row. A reject ends the
 * request; an approve that reaches the quorum approves it, and grants the
 * standing approval when asked.
 */
export async function decide(
  db: Knex,
  input: DecideInput,
  ctx: AuditContext,
): Promise<Recorded<{ request: PromotionRequest; decision: Decision }>> {
  const now = ctx.now ?? new Date();
  const current = await getPendingRequestRow(db, input.requestId);
  const revision = Number(current.revision);
  if (
    input.dossierHash !== undefined &&
    input.dossierHash !== current.dossier_hash
  ) {
    throw new ConflictError(
      `The dossier of promotion request ${input.requestId} changed since it was read; read it again before deciding`,
    );
  }
  const decisionRow: DbDecisionRow = {
    id: randomUUID(),
    request_id: current.id,
    request_revision: revision,
    dossier_hash: current.dossier_hash,
    decision: input.decision,
    decided_by: ctx.actor,
    decided_at: now,
    comment: input.comment,
    voided_at: null,
  };
  const alreadyDecided = () =>
    new ConflictError(
      `${ctx.actor} has already decided on revision ${revision} of promotion request ${input.requestId}`,
    );
  const about = {
    entityRef: current.entity_ref,
    environmentId: current.environment_id,
    version: current.version,
  };

  try {
    return await db.transaction(async tx => {
      // Lock the request row first: it settles the race with edits,
      // withdrawals and other decisions, and every read below sees them.
      if (input.decision === 'reject') {
        await leavePending(tx, current, 'rejected', now);
      } else {
        const touched = await tx<DbRequestRow>(TABLES.requests)
          .where(pendingAtRevision(current.id, revision))
          .update({ updated_at: now });
        if (touched !== 1) {
          throw lostRace(current.id);
        }
      }

      const earlier = await tx<DbDecisionRow>(TABLES.decisions)
        .where({
          request_id: current.id,
          request_revision: revision,
          decided_by: ctx.actor,
        })
        .first();
      if (earlier) {
        throw alreadyDecided();
      }
      await tx(TABLES.decisions).insert(decisionRow);

      const newEvents: NewAuditEvent[] = [
        {
          type: 'decision.recorded',
          ...about,
          summary: decisionSummary(input.decision, input.comment),
          payload: {
            requestId: current.id,
            decisionId: decisionRow.id,
            decision: input.decision,
            decidedBy: ctx.actor,
            comment: input.comment,
            revision,
            dossierHash: current.dossier_hash,
          },
        },
      ];

      if (input.decision === 'reject') {
        newEvents.push({
          type: 'request.rejected',
          ...about,
          summary: `Promotion of ${current.version} into ${current.environment_id} rejected by ${ctx.actor}: ${input.comment}`,
          payload: {
            requestId: current.id,
            status: 'rejected',
            revision,
            decisionId: decisionRow.id,
          },
        });
      } else {
        const approvals = await tx<DbDecisionRow>(TABLES.decisions)
          .where({
            request_id: current.id,
            request_revision: revision,
            dossier_hash: current.dossier_hash,
            decision: 'approve',
          })
          .whereNull('voided_at')
          .orderBy(oldestFirst('decided_at'));
        const approvers = [...new Set(approvals.map(a => a.decided_by))];
        if (approvers.length >= input.minApprovers) {
          await leavePending(tx, current, 'approved', now);
          newEvents.push({
            type: 'request.approved',
            ...about,
            summary: `Promotion of ${current.version} into ${
              current.environment_id
            } approved by ${approvers.join(', ')}`,
            payload: {
              requestId: current.id,
              status: 'approved',
              revision,
              approvers,
              minApprovers: input.minApprovers,
              dossierHash: current.dossier_hash,
            },
          });
          if (input.grantsStandingApproval) {
            newEvents.push(
              await grantStandingApproval(tx, current, approvers, now),
            );
          }
        }
      }

      const request = await readRequest(tx, current.id);
      const events = await appendEvents(tx, ctx, now, newEvents);
      return {
        value: { request, decision: mapDecisionRow(decisionRow) },
        events,
      };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw alreadyDecided();
    }
    throw error;
  }
}
