import { ConflictError, NotFoundError } from '@backstage/errors';
import {
  AuditEvent,
  ChecklistCompletion,
} from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { mapChecklistCompletionRow, versionToDb } from '../../mappers';
import {
  AuditContext,
  Recorded,
  UndoChecklistItemInput,
} from '../../PromotionStore';
import { DbChecklistCompletionRow, TABLES } from '../../tables';
import { appendEvents } from '../audit/appendEvents';

/** The where clause of the active (not undone) completion of a checklist item, for a version or the flow. */
export function activeCompletionKey(input: UndoChecklistItemInput) {
  return {
    entity_ref: input.entityRef,
    environment_id: input.environmentId,
    kind: input.kind,
    item_id: input.itemId,
    version: versionToDb(input.version),
    undone_key: '',
  };
}

/**
 * Undoes an active completion inside a transaction with a guarded update
 * (a ConflictError when it was undone concurrently) and appends its
 * `checklist.undone` event; the completion stays as history.
 */
export async function undoCompletion(
  tx: Knex.Transaction,
  existing: DbChecklistCompletionRow,
  input: UndoChecklistItemInput,
  ctx: AuditContext,
  now: Date,
): Promise<AuditEvent[]> {
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
  return await appendEvents(tx, ctx, now, [
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
}

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
    const events = await undoCompletion(tx, existing, input, ctx, now);
    return { value: mapChecklistCompletionRow(existing), events };
  });
}
