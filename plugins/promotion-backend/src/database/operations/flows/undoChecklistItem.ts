import { ConflictError, NotFoundError } from '@backstage/errors';
import { ChecklistCompletion } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { mapChecklistCompletionRow } from '../../mappers';
import {
  AuditContext,
  Recorded,
  UndoChecklistItemInput,
} from '../../PromotionStore';
import { DbChecklistCompletionRow, TABLES } from '../../tables';
import { appendEvents } from '../audit/appendEvents';
import { activeCompletionKey } from './completeChecklistItem';

/**
 * Undoes the active completion of a checklist item, in its own transaction
 * with a guarded update; the completion stays as history, no longer counted.
 */
export async function undoChecklistItem(
  db: Knex,
  input: UndoChecklistItemInput,
  ctx: AuditContext,
): Promise<Recorded<ChecklistCompletion>> {
  const now = ctx.now ?? new Date();
  return await db.transaction(async tx => {
    const existing = await tx<DbChecklistCompletionRow>(
      TABLES.checklistCompletions,
    )
      .where(activeCompletionKey(input))
      .first();
    if (!existing) {
      throw new NotFoundError(
        `Checklist item '${input.itemId}' is not completed on ${
          input.environmentId
        } for ${input.version ?? 'the flow'}`,
      );
    }
    const updated = await tx<DbChecklistCompletionRow>(
      TABLES.checklistCompletions,
    )
      .where({ id: existing.id, undone_key: '' })
      .update({
        undone_at: now,
        undone_by: ctx.actor,
        undo_reason: input.reason ?? null,
        undone_key: existing.id,
      });
    if (updated !== 1) {
      throw new ConflictError(
        `Checklist item '${input.itemId}' was undone concurrently`,
      );
    }
    const completion = mapChecklistCompletionRow(existing);
    const events = await appendEvents(tx, ctx, now, [
      {
        type: 'checklist.undone',
        entityRef: input.entityRef,
        environmentId: input.environmentId,
        version: input.version,
        summary: `Undid ${input.kind} item '${input.itemId}' on ${
          input.environmentId
        } for ${input.version ?? 'the flow'}${
          input.reason ? `: ${input.reason}` : ''
        }`,
        payload: {
          completionId: existing.id,
          kind: input.kind,
          itemId: input.itemId,
          undoneBy: ctx.actor,
          reason: input.reason ?? null,
        },
      },
    ]);
    return { value: completion, events };
  });
}
