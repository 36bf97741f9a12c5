import { Knex } from 'knex';
import { readdirSync } from 'node:fs';
import { auditKeyringOf } from '../audit/keyringBinding';
import { preparedRaw } from '../audit/preparedStatements';
import { MIGRATIONS_DIR } from '../../migrationsDir';
import { DbFlowStateReadsRow, TABLES } from '../../tables';
import { asDriverRow } from './readTogether';

/** The rows of a flow state's reads, by read. */
export type FlowStateRows<Name extends string> = Record<
  Name,
  Array<Record<string, unknown>>
>;

let newestMigration: string | undefined;

/**
 * The schema the rows were read in: the newest migration (the store
 * migrates to it as it starts). A migration that adds a column to a table
 * the reads read changes their rows, though not their statement.
 */
export function schemaOfReads(): string {
  newestMigration ??=
    readdirSync(MIGRATIONS_DIR)
      .filter(name => name.endsWith('.js'))
      .sort()
      .pop() ?? '';
  return newestMigration;
}

/** The text the HMAC of a copy covers. */
export function copyMacText(
  entityRef: string,
  readsKey: string,
  headLink: string,
  rows: string,
): string {
  return JSON.stringify([
    'promotion-flow-state-reads',
    entityRef,
    readsKey,
    headLink,
    rows,
  ]);
}

/** The flow's chain head and its copy, if any: one row, none without a head. */
interface HeadAndCopy {
  head_link: string;
  reads_key: string | null;
  copy_link: string | null;
  rows: string | null;
  key_id: string | null;
  mac: string | null;
}

/** The text of the read of the head and the copy, on PostgreSQL. */
let headAndCopyText: string | undefined;

async function readHeadAndCopy(
  db: Knex | Knex.Transaction,
  entityRef: string,
): Promise<HeadAndCopy | undefined> {
  const query = () =>
    db({ h: TABLES.auditChains })
      .leftJoin({ c: TABLES.flowStateReads }, 'c.entity_ref', 'h.entity_ref')
      .where('h.entity_ref', entityRef)
      .select({
        head_link: 'h.link',
        reads_key: 'c.reads_key',
        copy_link: 'c.head_link',
        rows: 'c.rows',
        key_id: 'c.key_id',
        mac: 'c.mac',
      });
  if (db.client.dialect === 'postgresql') {
    // A named prepared statement: parsed and planned once per connection,
    // its text built once.
    headAndCopyText ??= query().toSQL().sql;
    const { rows } = await preparedRaw(db, headAndCopyText, [entityRef]);
    return rows[0];
  }
  const rows: HeadAndCopy[] = await query();
  return rows[0];
}

/**
 * The copy's rows as the reads return them: on PostgreSQL and MySQL the
 * timestamps, Dates there, went to JSON as ISO 8601 text and come back as
 * Dates (`asDriverRow`); SQLite's, text or numbers, come back as they were.
 */
function rowsOfCopy<Name extends string>(
  db: Knex | Knex.Transaction,
  text: string,
): FlowStateRows<Name> {
  const rows = JSON.parse(text) as FlowStateRows<Name>;
  if (!String(db.client.dialect).includes('sqlite')) {
    for (const name of Object.keys(rows) as Name[]) {
      rows[name].forEach(asDriverRow);
    }
  }
  return rows;
}

/**
 * The rows of a flow state's reads, from the flow's copy when it is still
 * the answer, else from `read` (and kept as the flow's copy).
 *
 * Every change of a flow appends to the flow's audit chain in the
 * transaction of the change (the rows of every table the reads read are
 * bound to events of their flow), so the link of the flow's chain head
 * names the state of its rows: a copy read at the head's present link,
 * by the same statement (`readsFor.statement`, a hash of its text) with
 * the same parameters (the ladder, the number of rollbacks), in the same
 * schema (`schemaOfReads`), is what `read` returns now. A copy whose
 * HMAC (with the audit key) does not check, changed in the database or
 * made with a key no longer held, is not read.
 *
 * One statement when the copy answers (the head's and the copy's row, by
 * their primary keys); otherwise the reads, then the copy is written. The
 * head is read before the reads, so a change committed between the two is
 * in the rows kept under the head before it: that copy is never read, as
 * the head has moved on. Keeping the copy is best left undone rather than
 * fail the read (the answer is read already): a copy not kept costs the
 * next read the reads again, no more.
 */
export async function readFlowStateWithCopy<Name extends string>(
  db: Knex | Knex.Transaction,
  entityRef: string,
  readsFor: { statement: string; params: unknown },
  read: () => Promise<FlowStateRows<Name>>,
): Promise<FlowStateRows<Name>> {
  const readsKey = JSON.stringify([
    schemaOfReads(),
    readsFor.statement,
    readsFor.params,
  ]);
  const found = await readHeadAndCopy(db, entityRef);
  if (!found) {
    // No event yet, so no row of the flow either: nothing to keep.
    return read();
  }
  const keyring = auditKeyringOf(db);
  if (
    found.rows !== null &&
    found.copy_link === found.head_link &&
    found.reads_key === readsKey &&
    found.key_id !== null &&
    found.mac !== null &&
    keyring.check(
      copyMacText(entityRef, readsKey, found.head_link, found.rows),
      found.key_id,
      found.mac,
    ) === 'valid'
  ) {
    return rowsOfCopy<Name>(db, found.rows);
  }
  const rows = await read();
  const text = JSON.stringify(rows);
  const { keyId, mac } = keyring.sign(
    copyMacText(entityRef, readsKey, found.head_link, text),
  );
  const copy: DbFlowStateReadsRow = {
    entity_ref: entityRef,
    reads_key: readsKey,
    head_link: found.head_link,
    rows: text,
    key_id: keyId,
    mac,
  };
  try {
    await db(TABLES.flowStateReads)
      .insert(copy)
      .onConflict('entity_ref')
      .merge();
  } catch {
    // Not kept (a deadlock of two first reads on MySQL, say): the next
    // read reads again.
  }
  return rows;
}
