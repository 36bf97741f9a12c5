import { SignOff } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { mapSignOffRow } from '../../mappers';
import {
  AuditContext,
  CreateSignOffInput,
  Recorded,
} from '../../PromotionStore';
import { DbSignOffRow, TABLES } from '../../tables';
import { appendEvents } from '../audit/appendEvents';

/** Records a sign-off of a version on an environment, in its own transaction. */
export async function createSignOff(
  db: Knex,
  input: CreateSignOffInput,
  ctx: AuditContext,
): Promise<Recorded<SignOff>> {
  const now = ctx.now ?? new Date();
  const row: DbSignOffRow = {
    id: randomUUID(),
    entity_ref: input.entityRef,
    environment_id: input.environmentId,
    version: input.version,
    signed_off_by: ctx.actor,
    signed_off_at: now,
    comment: input.comment,
  };
  return await db.transaction(async tx => {
    await tx(TABLES.signOffs).insert(row);
    const events = await appendEvents(tx, ctx, now, [
      {
        type: 'sign-off.given',
        entityRef: input.entityRef,
        environmentId: input.environmentId,
        version: input.version,
        summary: input.comment,
        payload: {
          signOffId: row.id,
          version: input.version,
          signedOffBy: ctx.actor,
          comment: input.comment,
        },
      },
    ]);
    return { value: mapSignOffRow(row), events };
  });
}
