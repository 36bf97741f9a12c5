import { Knex } from 'knex';
import {
  preparedRaw,
  preparedStatementName,
} from '../audit/preparedStatements';
import { runIndependentQueries } from '../queryHelpers';

/** A read of `readTogether`: a query, and the order of its rows if it matters. */
export interface TogetherRead {
  query: Knex.QueryBuilder;
  /** The order of the rows, by the names of the query's columns. */
  orderBy?: ReadonlyArray<{ column: string; order: 'asc' | 'desc' }>;
}

/** The columns, in every table the fact reads read, that hold timestamps. */
const TIMESTAMP_COLUMNS = new Set([
  'reported_at',
  'rolled_back_at',
  'completed_at',
  'undone_at',
  'signed_off_at',
  'created_at',
  'updated_at',
  'expires_at',
  'decided_at',
  'last_reminded_at',
  'granted_at',
  'revoked_at',
  'recorded_at',
  'voided_at',
  'decision_decided_at',
  'decision_voided_at',
  'declared_at',
  'used_at',
  'review_closed_at',
]);

/**
 * A row read back from its JSON as the driver reads the row's columns: the
 * timestamps (ISO 8601 with an offset in PostgreSQL's JSON) as Dates; text,
 * booleans and integers are as the driver gives them.
 */
export function asDriverRow(
  row: Record<string, unknown>,
): Record<string, unknown> {
  for (const column of Object.keys(row)) {
    const value = row[column];
    if (typeof value === 'string' && TIMESTAMP_COLUMNS.has(column)) {
      const date = new Date(value);
      // (A form Date does not read stays text, which the mappers read.)
      row[column] = Number.isNaN(date.getTime()) ? value : date;
    }
  }
  return row;
}

/** The statement of independent reads on PostgreSQL: its text and its values. */
function togetherText(reads: TogetherRead[]): {
  text: string;
  bindings: Knex.Value[];
} {
  // The whole text in the statement (identifiers quoted here, values
  // bound), so that its name stands for it.
  const quoted = (identifier: string) => `"${identifier.replace(/"/g, '""')}"`;
  const columns: string[] = [];
  const bindings: Knex.Value[] = [];
  reads.forEach((read, index) => {
    const { sql, bindings: readBindings } = read.query.toSQL();
    const order = (read.orderBy ?? [])
      .map(({ column, order: direction }) => `q.${quoted(column)} ${direction}`)
      .join(', ');
    columns.push(
      `(select coalesce(json_agg(q${
        order ? ` order by ${order}` : ''
      }), '[]') from (${sql}) as q) as read${index}`,
    );
    bindings.push(...readBindings);
  });
  return { text: `select ${columns.join(', ')}`, bindings };
}

/** Each read's rows from the statement's one row of JSON columns. */
function rowsOfTogether(
  rows: unknown[],
  count: number,
): Array<Array<Record<string, unknown>>> {
  const [row] = rows as Array<Record<string, Array<Record<string, unknown>>>>;
  return Array.from({ length: count }, (_, index) =>
    row[`read${index}`].map(asDriverRow),
  );
}

/**
 * The rows of independent reads, in the order given. On PostgreSQL in one
 * statement, so one round trip and one snapshot: each read's rows as one
 * JSON array, a column of a single row (`select (select json_agg(q) from
 * (read 1) as q), …`), in the read's `orderBy` when it has one, read back
 * as the driver reads them (`asDriverRow`). Elsewhere a query per read
 * (`runIndependentQueries`).
 *
 * On PostgreSQL the statement is a named prepared statement (the driver
 * prepares it once per connection, named after its text; the values are
 * bound): parsing and planning it costs the database more than running it,
 * and the same few texts (one per shape of the reads) come back with every
 * deployment report. Its result is a row of JSON columns whatever the
 * tables' columns are, so a later migration cannot change its result type.
 */
export async function readTogether(
  db: Knex | Knex.Transaction,
  reads: TogetherRead[],
): Promise<Array<Array<Record<string, unknown>>>> {
  if (db.client.dialect !== 'postgresql') {
    return (await runIndependentQueries(
      db,
      reads.map(read => () => read.query),
    )) as Array<Array<Record<string, unknown>>>;
  }
  if (reads.length === 0) {
    return [];
  }
  const { text, bindings } = togetherText(reads);
  const { rows } = await preparedRaw(db, text, bindings);
  return rowsOfTogether(rows, reads.length);
}

/**
 * {@link readTogether} with the reads named: the rows of each read by its
 * name, none for a name whose read is left out (undefined). The reads run in
 * the order of their names.
 */
export async function readNamedTogether<Name extends string>(
  db: Knex | Knex.Transaction,
  reads: Record<Name, TogetherRead | undefined>,
): Promise<Record<Name, Array<Record<string, unknown>>>> {
  const names = Object.keys(reads) as Name[];
  const asked = names.filter(name => reads[name] !== undefined);
  const answers = await readTogether(
    db,
    asked.map(name => reads[name]!),
  );
  return byName(names, asked, answers);
}

/** Each read's rows by its name: those asked, in order, and none for the rest. */
function byName<Name extends string>(
  names: readonly Name[],
  asked: readonly Name[],
  answers: Array<Array<Record<string, unknown>>>,
): Record<Name, Array<Record<string, unknown>>> {
  const rows = {} as Record<Name, Array<Record<string, unknown>>>;
  for (const name of names) {
    rows[name] = [];
  }
  asked.forEach((name, index) => {
    rows[name] = answers[index];
  });
  return rows;
}

/**
 * The values a {@link togetherStatement} is built from: text, lists of text
 * (bound), and numbers and booleans (part of the statement's shape: a
 * different one is a different statement).
 */
export type TogetherParams<P = Record<string, unknown>> = {
  [K in keyof P]: string | readonly string[] | number | boolean | undefined;
};

/** A bound value of a statement template: a parameter's, or a constant. */
type TemplateSlot =
  | { param: string; index?: number }
  | { constant: Knex.Value };

/** A statement compiled once for a shape of its parameters. */
interface TogetherTemplate {
  /** Its text, each value a numbered parameter (`$1`), each once. */
  text: string;
  name: string;
  /** The value of each numbered parameter. */
  slots: TemplateSlot[];
  /** The names of all its reads, those left out (no rows) too. */
  names: string[];
  /** The names of the reads it holds, in its order. */
  asked: string[];
  /** A hash of its text and the constants it binds (a number, a flag). */
  fingerprint: string;
}

/** The statements a {@link togetherStatement} keeps, at most. */
const MAX_TEMPLATES = 64;

/** Marks a parameter's place among the bindings of a template being compiled. */
const SENTINEL = '\u0000promotion-parameter\u0000';

/**
 * The shape of the parameters: what decides the statement's text (which are
 * given, how long each list is, the numbers and booleans); not the text
 * values, which are bound.
 */
function shapeOf(params: TogetherParams): string {
  return JSON.stringify(
    Object.keys(params)
      .sort()
      .map(key => {
        const value = params[key];
        if (value === undefined) {
          return [key, 'u'];
        }
        if (typeof value === 'string') {
          // (Whether empty, should a read ever be shaped by it.)
          return [key, value === '' ? 'e' : 's'];
        }
        if (Array.isArray(value)) {
          return [key, 'a', value.length];
        }
        return [key, typeof value, value];
      }),
  );
}

/**
 * The parameters with a sentinel in place of each text value (an empty
 * text, part of the shape, stays).
 */
function sentinelsOf<P extends TogetherParams>(params: P): P {
  const sentinels: TogetherParams = {};
  for (const [key, value] of Object.entries(params)) {
    if (typeof value === 'string' && value !== '') {
      sentinels[key] = `${SENTINEL}${JSON.stringify([key])}`;
    } else if (Array.isArray(value)) {
      sentinels[key] = value.map(
        (_item, index) => `${SENTINEL}${JSON.stringify([key, index])}`,
      );
    } else {
      sentinels[key] = value;
    }
  }
  return sentinels as P;
}

/** The reads of a {@link togetherStatement}, run with their parameters. */
export interface TogetherStatement<P, Name extends string> {
  (db: Knex | Knex.Transaction, params: P): Promise<
    Record<Name, Array<Record<string, unknown>>>
  >;
  /**
   * The statement of the parameters, to read later: its `fingerprint`
   * names the statement their shape gives on this database (a hash of its
   * text and the constants it binds), another when the reads are built
   * otherwise, the same for every text value of the parameters.
   */
  prepare(
    db: Knex | Knex.Transaction,
    params: P,
  ): {
    fingerprint: string;
    read(): Promise<Record<Name, Array<Record<string, unknown>>>>;
  };
}

/**
 * Independent reads built from parameters, run as {@link readNamedTogether}
 * runs them, whose statement is built and compiled once per shape of the
 * parameters on PostgreSQL (see {@link TogetherParams}): a later call only
 * binds its values. Building the query builders of a few dozen subqueries
 * and compiling them costs more than the database's answer; the text,
 * its prepared statement's name and where each value goes are kept.
 *
 * `build` must shape the reads by the parameters' shape only, and pass the
 * text values to the query builders as values to bind: compiling checks
 * that every value it bound is a parameter's or a constant (text, a number,
 * a boolean), and that no parameter's value ended up in the text.
 * Elsewhere than on PostgreSQL the reads are built on every call.
 */
export function togetherStatement<
  P extends TogetherParams<P>,
  Name extends string,
>(
  build: (
    db: Knex | Knex.Transaction,
    params: P,
  ) => Record<Name, TogetherRead | undefined>,
): TogetherStatement<P, Name> {
  const templates = new Map<string, TogetherTemplate>();

  const compile = (db: Knex | Knex.Transaction, params: P) => {
    const reads = build(db, sentinelsOf(params));
    const names = Object.keys(reads) as Name[];
    const asked = names.filter(name => reads[name] !== undefined);
    const { text, bindings } = togetherText(asked.map(name => reads[name]!));
    if (text.includes(SENTINEL)) {
      throw new Error(
        'togetherStatement: a parameter was written into the statement, not bound',
      );
    }
    const slotOf = (binding: Knex.Value): TemplateSlot => {
      if (typeof binding === 'string' && binding.startsWith(SENTINEL)) {
        const [param, index] = JSON.parse(binding.slice(SENTINEL.length)) as [
          string,
          number?,
        ];
        return index === undefined ? { param } : { param, index };
      }
      if (
        binding === null ||
        ['string', 'number', 'boolean'].includes(typeof binding)
      ) {
        return { constant: binding };
      }
      throw new Error(
        'togetherStatement: a bound value is neither a parameter nor a constant',
      );
    };
    // Each value once, however many subqueries bind it (the entity ref
    // dozens of times): `$n` in place of every `?` that binds it.
    const slots: TemplateSlot[] = [];
    const numbers = new Map<string, number>();
    const numbered = bindings.map(binding => {
      const slot = slotOf(binding);
      const key = JSON.stringify(slot);
      let number = numbers.get(key);
      if (number === undefined) {
        slots.push(slot);
        number = slots.length;
        numbers.set(key, number);
      }
      return number;
    });
    const pieces = text.split('?');
    if (pieces.length !== bindings.length + 1) {
      throw new Error(
        'togetherStatement: the statement holds a ? that binds no value',
      );
    }
    const positional = pieces.reduce(
      (sql, piece, index) => `${sql}$${numbered[index - 1]}${piece}`,
    );
    return {
      text: positional,
      name: preparedStatementName(positional),
      slots,
      names,
      asked,
      fingerprint: preparedStatementName(JSON.stringify([positional, slots])),
    };
  };

  /** The template of the parameters' shape on this database, compiled once. */
  const templateFor = (db: Knex | Knex.Transaction, params: P) => {
    const key = `${db.client.dialect} ${shapeOf(params)}`;
    let template = templates.get(key);
    if (!template) {
      template = compile(db, params);
      if (templates.size >= MAX_TEMPLATES) {
        // Shapes are few (a ladder's length, a flag); a caller shaping its
        // reads by more would otherwise grow this without end.
        templates.clear();
      }
      templates.set(key, template);
    }
    return template;
  };

  const runTemplate = async (
    db: Knex | Knex.Transaction,
    template: TogetherTemplate,
    params: P,
  ) => {
    const values = template.slots.map(slot => {
      if ('constant' in slot) {
        return slot.constant;
      }
      const value = (params as Record<string, unknown>)[slot.param];
      return slot.index === undefined
        ? (value as Knex.Value)
        : (value as readonly string[])[slot.index];
    });
    // The text's parameters are numbered already: the values go to the
    // driver as they are (knex passes a query's options on to it).
    const { rows } = await db
      .raw(template.text)
      .options({ name: template.name, values });
    return byName(
      template.names as Name[],
      template.asked as Name[],
      rowsOfTogether(rows, template.asked.length),
    );
  };

  const readWith = (
    db: Knex | Knex.Transaction,
    params: P,
    template: () => TogetherTemplate,
  ) =>
    db.client.dialect === 'postgresql'
      ? runTemplate(db, template(), params)
      : readNamedTogether(db, build(db, params));

  const run = async (db: Knex | Knex.Transaction, params: P) =>
    readWith(db, params, () => templateFor(db, params));

  const prepare = (db: Knex | Knex.Transaction, params: P) => {
    const template = templateFor(db, params);
    return {
      fingerprint: template.fingerprint,
      read: () => readWith(db, params, () => template),
    };
  };

  return Object.assign(run, { prepare });
}
