import { ConflictError, InputError } from '@backstage/errors';
import {
  AuditEvent,
  ChecklistCompletion,
} from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { mapChecklistCompletionRow, versionToDb } from '../../mappers';
import {
  AuditContext,
  CompleteChecklistItemInput,
  Recorded,
} from '../../PromotionStore';
import { DbChecklistCompletionRow, DbRollbackRow, TABLES } from '../../tables';
import { appendEvents } from '../audit/appendEvents';
import { isUniqueViolation } from '../queryHelpers';
import { dateOf } from './factQueries';
import { activeCompletionKey, undoCompletion } from './undoChecklistItem';

/**
 * The flow's latest rollback, when it was recorded after a flow-scoped
 * completion: the rollback sent the flow back to the start, so the item may
 * be completed again (whether the old completion still counts is the gate's
 * call, by the item's `resetOnRollback`).
 */
async function rollbackAfter(
  tx: Knex.Transaction,
  existing: DbChecklistCompletionRow,
): Promise<DbRollbackRow | undefined> {
  if (existing.version !== '') {
    return undefined;
  }
  // The latest one, read through the index on (entity_ref, recorded_at).
  return await tx<DbRollbackRow>(TABLES.rollbacks)
    .where('entity_ref', existing.entity_ref)
    .where('recorded_at', '>', dateOf(existing.completed_at))
    .orderBy([
      { column: 'recorded_at', order: 'desc' },
      { column: 'id', order: 'asc' },
    ])
    .first();
}

/**
 * Completes a checklist item, in its own transaction; a ConflictError when
 * it is already completed (the unique active-completion key settles a race).
 * A flow-scoped item completed before a later rollback of the flow may be
 * completed again: the earlier completion is undone in the same transaction.
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
    result: input.result ?? null,
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
      const undoneEvents: AuditEvent[] = [];
      if (existing) {
        const rollback = await rollbackAfter(tx, existing);
        if (!rollback) {
          throw alreadyCompleted();
        }
        undoneEvents.push(
          ...(await undoCompletion(
            tx,
            existing,
            {
              ...input,
              reason: `completed again after the rollback of ${rollback.from_version} on ${rollback.environment_id}`,
            },
            ctx,
            now,
          )),
        );
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
            result: input.result ?? null,
          },
        },
      ]);
      return { value: completion, events: [...undoneEvents, ...events] };
    });
  } catch (error) {
    if (isUniqueViolation(error)) {
      throw alreadyCompleted();
    }
    throw error;
  }
}
