import { AuditEvent } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { mapAuditEventRow } from '../../mappers';
import { DbAuditEventRow, TABLES } from '../../tables';
import { AuditBreak } from './auditBreak';
import { RecordedRow, RecordedState } from './replayEvents';
import { StateTable, storedFields } from './stateFields';

export interface VerifyStateRowsOptions {
  /** Breaks listed at most (default 100); `breaksTruncated` says more were found. */
  maxBreaks?: number;
  /** Rows and events read per query (default 500). */
  pageSize?: number;
}

export interface StateRowsVerification {
  /** State rows read and checked against the events that recorded them. */
  rowsChecked: number;
  breaks: AuditBreak[];
  /** More breaks were found than are listed. */
  breaksTruncated: boolean;
}

/**
 * The state tables with an `entity_ref` column. Decisions belong to the flow
 * of their request (a foreign key: a decision always has its request row).
 */
const FLOW_TABLES: StateTable[] = [
  TABLES.deployments,
  TABLES.checklistCompletions,
  TABLES.signOffs,
  TABLES.requests,
  TABLES.standingApprovals,
  TABLES.rollbacks,
  TABLES.breakGlasses,
];

const DEFAULT_MAX_BREAKS = 100;
const DEFAULT_PAGE_SIZE = 500;

type Row = Record<string, unknown> & { id: string };

/** A value as a message shows it: quoted text, cut when long. */
function show(value: string | null): string {
  if (value === null) {
    return 'null';
  }
  const quoted = JSON.stringify(value);
  return quoted.length > 120 ? `${quoted.slice(0, 117)}…"` : quoted;
}

/** Collects breaks up to a limit, counting the rest. */
class Breaks {
  readonly list: AuditBreak[] = [];
  found = 0;

  constructor(private readonly max: number) {}

  add(found: AuditBreak): void {
    this.found += 1;
    if (this.list.length < this.max) {
      this.list.push(found);
    }
  }
}

/**
 * The state tables with an `entity_ref` column that the database has: a
 * database migrated only up to an earlier migration lacks the later ones
 * (20261201000000_break_glass). The rows the events recorded in a table it
 * lacks are reported missing.
 */
async function flowTablesIn(
  db: Knex | Knex.Transaction,
): Promise<StateTable[]> {
  const tables: StateTable[] = [];
  for (const table of FLOW_TABLES) {
    if (table !== TABLES.breakGlasses || (await db.schema.hasTable(table))) {
      tables.push(table);
    }
  }
  return tables;
}

/** Every flow with audit events or state rows, in a stable order. */
async function listFlows(
  db: Knex | Knex.Transaction,
  flowTables: StateTable[],
): Promise<string[]> {
  const flows = new Set<string>();
  for (const table of [TABLES.auditEvents, ...flowTables]) {
    const rows: { entity_ref: string }[] = await db(table).distinct(
      'entity_ref',
    );
    for (const row of rows) {
      flows.add(row.entity_ref);
    }
  }
  return [...flows].sort();
}

/** The flow's state rows as its events recorded them, the events read in pages in seq order. */
async function replayFlow(
  db: Knex | Knex.Transaction,
  entityRef: string,
  pageSize: number,
): Promise<RecordedState> {
  const recorded = new RecordedState();
  let afterSeq = -1;
  for (;;) {
    const rows = await db<DbAuditEventRow>(TABLES.auditEvents)
      .where('entity_ref', entityRef)
      .where('seq', '>', afterSeq)
      .orderBy('seq', 'asc')
      .limit(pageSize);
    for (const row of rows) {
      afterSeq = Number(row.seq);
      let event: AuditEvent;
      try {
        event = mapAuditEventRow(row);
      } catch {
        // An event that cannot be read is the chain's break to report.
        continue;
      }
      recorded.apply(event);
    }
    if (rows.length < pageSize) {
      return recorded;
    }
  }
}

/**
 * Calls `each` for every row of a query, read in pages in id order (keyset
 * pagination on the table's id).
 */
async function forEachPage(
  pageSize: number,
  table: string,
  query: () => Knex.QueryBuilder,
  each: (row: Row) => void,
): Promise<void> {
  let afterId: string | undefined = undefined;
  for (;;) {
    const page = query();
    if (afterId !== undefined) {
      page.where(`${table}.id`, '>', afterId);
    }
    const rows: Row[] = await page
      .orderBy(`${table}.id`, 'asc')
      .limit(pageSize);
    for (const row of rows) {
      each(row);
    }
    if (rows.length < pageSize) {
      return;
    }
    afterId = rows[rows.length - 1].id;
  }
}

/** A `state-altered` break for every recorded field the stored row differs in. */
function compareRow(expected: RecordedRow, row: Row, breaks: Breaks): void {
  const stored = storedFields(expected.table, row);
  for (const [column, recorded] of expected.fields) {
    const value = stored.get(column) ?? null;
    if (value !== recorded.value) {
      breaks.add({
        kind: 'state-altered',
        message: `${expected.table} row ${expected.id} says ${column} is ${show(
          value,
        )}, but audit event #${recorded.seq} (${recorded.type}) recorded ${show(
          recorded.value,
        )}`,
        seq: recorded.seq,
        entityRef: expected.entityRef,
        table: expected.table,
        rowId: expected.id,
      });
    }
  }
}

/**
 * Checks the state rows of one flow against its events; returns how many
 * rows it read.
 */
async function checkFlow(
  db: Knex | Knex.Transaction,
  entityRef: string,
  pageSize: number,
  breaks: Breaks,
  flowTables: StateTable[],
): Promise<number> {
  let rowsChecked = 0;
  const recorded = await replayFlow(db, entityRef, pageSize);
  const check = (table: StateTable, row: Row) => {
    rowsChecked += 1;
    const expected = recorded.rows(table).get(row.id);
    if (expected) {
      recorded.rows(table).delete(row.id);
      compareRow(expected, row, breaks);
    } else {
      breaks.add({
        kind: 'state-unrecorded',
        message: `${table} row ${row.id} of ${entityRef} was recorded by no audit event: it was written behind the store`,
        entityRef,
        table,
        rowId: row.id,
      });
    }
  };

  for (const table of flowTables) {
    await forEachPage(
      pageSize,
      table,
      () => db(table).where('entity_ref', entityRef),
      row => check(table, row),
    );
  }
  await forEachPage(
    pageSize,
    TABLES.decisions,
    () =>
      db(TABLES.decisions)
        .join(
          TABLES.requests,
          `${TABLES.decisions}.request_id`,
          `${TABLES.requests}.id`,
        )
        .where(`${TABLES.requests}.entity_ref`, entityRef)
        .select(`${TABLES.decisions}.*`),
    row => check(TABLES.decisions, row),
  );

  for (const table of [...FLOW_TABLES, TABLES.decisions]) {
    for (const missing of recorded.rows(table).values()) {
      breaks.add({
        kind: 'state-missing',
        message: `${table} row ${missing.id} is gone, but audit event #${missing.seq} (${missing.type}) recorded it`,
        seq: missing.seq,
        entityRef,
        table,
        rowId: missing.id,
      });
    }
  }
  return rowsChecked;
}

/**
 * Checks every state row (promotion requests, decisions, deployments,
 * checklist completions, sign-offs, standing approvals, rollbacks,
 * break-glass declarations) against
 * the audit events that recorded it: flow by flow, it replays the flow's
 * events in seq order to the state they recorded (`RecordedState`), then
 * reads the flow's rows of each table in pages and compares them field by
 * field. Memory holds one flow's recorded rows at a time.
 *
 * Breaks: `state-altered` when a field differs from what the last event
 * that set it recorded, `state-unrecorded` for a row no event recorded (it
 * was written behind the store), `state-missing` for a row an event recorded
 * that is gone. Fields that legacy events did not carry are not checked.
 *
 * Whether the events themselves are genuine is the chain's part of the
 * verification (`verifyAudit`); run both in one transaction, so that they
 * see one snapshot.
 */
export async function verifyStateRows(
  db: Knex | Knex.Transaction,
  options: VerifyStateRowsOptions = {},
): Promise<StateRowsVerification> {
  const pageSize = options.pageSize ?? DEFAULT_PAGE_SIZE;
  const breaks = new Breaks(options.maxBreaks ?? DEFAULT_MAX_BREAKS);
  let rowsChecked = 0;

  const flowTables = await flowTablesIn(db);
  for (const entityRef of await listFlows(db, flowTables)) {
    rowsChecked += await checkFlow(db, entityRef, pageSize, breaks, flowTables);
  }

  return {
    rowsChecked,
    breaks: breaks.list,
    breaksTruncated: breaks.found > breaks.list.length,
  };
}
