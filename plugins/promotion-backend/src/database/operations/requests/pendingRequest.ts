import { ConflictError, NotFoundError } from '@backstage/errors';
import { PromotionRequestStatus } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { DbRequestRow, TABLES } from '../../tables';
import { findRequestRow } from './getRequests';

/*
 * The guarded update every change of a pending request starts with: it
 * matches the request only while it is pending at the revision that was
 * read, so the loser of a race updates no row and gets a ConflictError.
 */

/** The where clause of the guarded update: the request, still pending, still at that revision. */
export function pendingAtRevision(id: string, revision: number | string) {
  return { id, status: 'pending', revision };
}

/** The ConflictError of the loser of a race on a pending request. */
export function lostRace(requestId: string): ConflictError {
  return new ConflictError(
    `Promotion request ${requestId} was changed concurrently (edited, decided, withdrawn or expired); read it again`,
  );
}

/** The request row, which must exist and be pending. */
export async function getPendingRequestRow(
  db: Knex | Knex.Transaction,
  id: string,
): Promise<DbRequestRow> {
  const row = await findRequestRow(db, id);
  if (!row) {
    throw new NotFoundError(`No promotion request with id ${id}`);
  }
  if (row.status !== 'pending') {
    throw new ConflictError(
      `Promotion request ${id} is ${row.status}, no longer pending`,
    );
  }
  return row;
}

/** Moves a pending request, as it was read, to a final status; a ConflictError if it changed meanwhile. */
export async function leavePending(
  tx: Knex.Transaction,
  current: DbRequestRow,
  status: Exclude<PromotionRequestStatus, 'pending'>,
  now: Date,
): Promise<void> {
  const updated = await tx<DbRequestRow>(TABLES.requests)
    .where(pendingAtRevision(current.id, Number(current.revision)))
    .update({
      status,
      pending_key: current.id,
      decided_at: now,
      updated_at: now,
    });
  if (updated !== 1) {
    throw lostRace(current.id);
  }
}
