import { ConflictError, InputError } from '@backstage/errors';
import { ChecklistCompletion } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { mapChecklistCompletionRow, versionToDb } from '../../mappers';
import {
  AuditContext,
  CompleteChecklistItemInput,
  Recorded,
  UndoChecklistItemInput,
} from '../../PromotionStore';
import { DbChecklistCompletionRow, TABLES } from '../../tables';
import { appendEvents } from '../audit/appendEvents';
import { isUniqueViolation } from '../queryHelpers';

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
 * Completes a checklist item, in its own transaction; a ConflictError when
 * it is already completed (the unique active-completion key settles a race).
 */
export async function completeChecklistItem(
  db: Knex,
  input: CompleteChecklistItemInput,
  ctx: AuditContext,
): Promise<Recorded<ChecklistCompletion>> {
  if (input.version === '') {
    throw new InputError('A version-scoped checklist item needs a version');
  }
  const now = ctx.now ?? new Date();
  const row: DbChecklistCompletionRow = {
    id: randomUUID(),
    entity_ref: input.entityRef,
    environment_id: input.environmentId,
    kind: input.kind,
    item_id: input.itemId,
    version: versionToDb(input.version),
    completed_by: ctx.actor,
    completed_at: now,
    evidence_link: input.evidenceLink ?? null,
    note: input.note ?? null,
    undone_at: null,
    undone_by: null,
    undo_reason: null,
    undone_key: '',
  };
  const completion = mapChecklistCompletionRow(row);
  const alreadyCompleted = () =>
    new ConflictError(
      `Checklist item '${input.itemId}' is already completed on ${
        input.environmentId
      } for ${input.version ?? 'the flow'}`,
    );

  try {
    return await db.transaction(async tx => {
      const existing = await tx<DbChecklistCompletionRow>(
        TABLES.checklistCompletions,
      )
        .where(activeCompletionKey(input))
        .first();
      if (existing) {
        throw alreadyCompleted();
      }
      await tx(TABLES.checklistCompletions).insert(row);
      const events = await appendEvents(tx, ctx, now, [
        {
          type: 'checklist.completed',
          entityRef: input.entityRef,
          environmentId: input.environmentId,
          version: input.version,
          summary: `Completed ${input.kind} item '${input.itemId}' on ${
            input.environmentId
          } for ${input.version ?? 'the flow'}`,
          payload: {
            completionId: row.id,
            kind: input.kind,
            itemId: input.itemId,
            scope: input.version === undefined ? 'flow' : 'version',
            version: input.version ?? null,
            completedBy: ctx.actor,
            evidenceLink: input.evidenceLink ?? null,
            note: input.note ?? null,
          },
        },
      ]);
      return { value: completion, events };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw alreadyCompleted();
    }
    throw error;
  }
}
