import { ConflictError, NotFoundError } from '@backstage/errors';
import { BreakGlass } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import {
  AuditContext,
  CloseBreakGlassReviewInput,
  DecideBreakGlassInput,
  Recorded,
} from '../../PromotionStore';
import { DbBreakGlassRow, TABLES } from '../../tables';
import { appendEvents } from '../audit/appendEvents';
import { getBreakGlass } from './breakGlassRows';

async function existing(
  db: Knex | Knex.Transaction,
  id: string,
): Promise<BreakGlass> {
  const breakGlass = await getBreakGlass(db, id);
  if (!breakGlass) {
    throw new NotFoundError(`No break-glass declaration ${id}`);
  }
  return breakGlass;
}

/**
 * Approves or rejects a pending break-glass declaration, in one transaction
 * that starts with the guarded update of its row (still pending, not
 * expired): of two decisions, or a decision and the expiry, one wins and
 * the other is a ConflictError.
 */
export async function decideBreakGlass(
  db: Knex,
  input: DecideBreakGlassInput,
  ctx: AuditContext,
): Promise<Recorded<BreakGlass>> {
  const now = ctx.now ?? new Date();
  const status = input.decision === 'approve' ? 'approved' : 'rejected';
  return db.transaction(async tx => {
    const touched = await tx<DbBreakGlassRow>(TABLES.breakGlasses)
      .where({ id: input.breakGlassId, status: 'pending' })
      .where('expires_at', '>', now)
      .update({
        status,
        decided_by: ctx.actor,
        decided_at: now,
        decision_comment: input.comment,
      });
    const breakGlass = await existing(tx, input.breakGlassId);
    if (touched !== 1) {
      throw new ConflictError(
        breakGlass.status === 'pending'
          ? `Break-glass ${breakGlass.id} expired at ${breakGlass.expiresAt}; declare it again`
          : `Break-glass ${breakGlass.id} is ${breakGlass.status}, no longer pending`,
      );
    }
    const events = await appendEvents(tx, ctx, now, [
      {
        type:
          status === 'approved'
            ? 'break-glass.approved'
            : 'break-glass.rejected',
        entityRef: breakGlass.entityRef,
        environmentId: breakGlass.environmentId,
        version: breakGlass.version,
        summary: `Break-glass for ${breakGlass.version} into ${breakGlass.environmentId} ${status} by ${ctx.actor}: ${input.comment}`,
        payload: {
          breakGlassId: breakGlass.id,
          status,
          comment: input.comment,
        },
      },
    ]);
    return { value: breakGlass, events };
  });
}

/**
 * Closes the retrospective review of a used break-glass with a comment, in
 * one transaction that starts with the guarded update of its row (used,
 * review still open): of two closings, one wins and the other is a
 * ConflictError.
 */
export async function closeBreakGlassReview(
  db: Knex,
  input: CloseBreakGlassReviewInput,
  ctx: AuditContext,
): Promise<Recorded<BreakGlass>> {
  const now = ctx.now ?? new Date();
  return db.transaction(async tx => {
    const touched = await tx<DbBreakGlassRow>(TABLES.breakGlasses)
      .where({ id: input.breakGlassId, status: 'used' })
      .whereNull('review_closed_at')
      .update({
        review_closed_by: ctx.actor,
        review_closed_at: now,
        review_comment: input.comment,
      });
    const breakGlass = await existing(tx, input.breakGlassId);
    if (touched !== 1) {
      throw new ConflictError(
        breakGlass.status === 'used'
          ? `The retrospective review of break-glass ${breakGlass.id} was already closed by ${breakGlass.review?.closedBy}`
          : `Break-glass ${breakGlass.id} is ${breakGlass.status}: no deployment used it, so there is no retrospective review to close`,
      );
    }
    const events = await appendEvents(tx, ctx, now, [
      {
        type: 'break-glass.review-closed',
        entityRef: breakGlass.entityRef,
        environmentId: breakGlass.environmentId,
        version: breakGlass.version,
        summary: `Retrospective review of the break-glass deployment of ${breakGlass.version} into ${breakGlass.environmentId} closed by ${ctx.actor}: ${input.comment}`,
        payload: {
          breakGlassId: breakGlass.id,
          deploymentId: breakGlass.deploymentId ?? null,
          comment: input.comment,
        },
      },
    ]);
    return { value: breakGlass, events };
  });
}
