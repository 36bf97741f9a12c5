import { Deployment, FlowFacts } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { mapDeploymentRow } from '../../mappers';
import { GateFactsQuery, StandingDeploymentQuery } from '../../PromotionStore';
import {
  DbChecklistCompletionRow,
  DbDeploymentRow,
  DbRollbackRow,
  DbSignOffRow,
  DbStandingApprovalRow,
} from '../../tables';
import { chunks, runIndependentQueries } from '../queryHelpers';
import {
  requestsOfRows,
  sortRequestRows,
  standingDeploymentIn,
} from './factQueries';
import {
  GateFactReads,
  gateFactReads,
  gateFactsOf,
  getGateFacts,
} from './getGateFacts';

/*
 * The reads of many gates, or of what stands in many environments, at once
 * (the approver's inbox): each kind of row of up to BATCH_SIZE of them in
 * one query, a union of the single reads, each row tagged with the read it
 * answers. The single reads are the same queries, so the answers are the
 * same.
 */

/**
 * How many reads go in one query: SQLite allows 500 members in a compound
 * select, and each read takes a few dozen of the query's parameters.
 */
export const BATCH_SIZE = 100;

/** The column that tells which read of a batch a row answers. */
const KEY = 'batch_key';

/**
 * One query returning the rows of several queries, each row with the index
 * of its query (`batch_key`): `select 0 as batch_key, read0.* from (…) as
 * read0 union all select 1 …`, so that each query keeps its own ORDER BY …
 * LIMIT on every database. Undefined when there is no query.
 */
function keyedUnionOf(
  db: Knex | Knex.Transaction,
  parts: Array<[number, Knex.QueryBuilder | undefined]>,
): Knex.QueryBuilder | undefined {
  const selects = parts.flatMap(([key, part]) =>
    part
      ? [
          db
            .select(db.raw(`${Number(key)} as ${KEY}`), `read${key}.*`)
            .from(part.as(`read${key}`)),
        ]
      : [],
  );
  if (selects.length === 0) {
    return undefined;
  }
  const [first, ...rest] = selects;
  return rest.length > 0 ? first.unionAll(rest) : first;
}

/** The rows by the index of the read they answer, without the tag. */
function byKey<Row>(rows: Array<Record<string, unknown>>): Map<number, Row[]> {
  const grouped = new Map<number, Row[]>();
  for (const { [KEY]: key, ...row } of rows) {
    const list = grouped.get(Number(key)) ?? [];
    list.push(row as unknown as Row);
    grouped.set(Number(key), list);
  }
  return grouped;
}

/**
 * The facts of each gate, in the order asked, as `getGateFacts` reads them
 * for each (the same queries, so the same facts): one query per kind of
 * fact for up to {@link BATCH_SIZE} gates, plus, for a gate whose
 * environment had a rollback, the reads of what it lets back.
 */
export async function getManyGateFacts(
  db: Knex | Knex.Transaction,
  queries: GateFactsQuery[],
): Promise<FlowFacts[]> {
  if (queries.length === 1) {
    return [await getGateFacts(db, queries[0])];
  }
  const facts: FlowFacts[] = [];
  for (const batch of chunks(queries, BATCH_SIZE)) {
    facts.push(...(await gateFactsBatch(db, batch)));
  }
  return facts;
}

async function gateFactsBatch(
  db: Knex | Knex.Transaction,
  queries: GateFactsQuery[],
): Promise<FlowFacts[]> {
  const reads = queries.map(query => gateFactReads(db, query));
  const union = <Row extends {}>(
    pick: (read: GateFactReads) => Knex.QueryBuilder | undefined,
  ) => {
    const query = keyedUnionOf(
      db,
      reads.map((read, key) => [key, read && pick(read)]),
    );
    return async () => byKey<Row>(query ? await query : []);
  };
  const [deployments, rollbacks, completions, signOffs, approvals, requests] =
    await runIndependentQueries(db, [
      union<DbDeploymentRow>(read => read.deployments),
      union<DbRollbackRow>(read => read.rollbacks),
      union<DbChecklistCompletionRow>(read => read.completions),
      union<DbSignOffRow>(read => read.signOffs),
      union<DbStandingApprovalRow>(read => read.approvals),
      union<Record<string, unknown>>(read => read.requests),
    ]);
  const facts = (query: GateFactsQuery, key: number) =>
    reads[key]
      ? gateFactsOf(db, query, {
          deployments: deployments.get(key) ?? [],
          rollbacks: rollbacks.get(key) ?? [],
          completions: completions.get(key) ?? [],
          signOffs: signOffs.get(key) ?? [],
          approvals: approvals.get(key) ?? [],
          // A union keeps no order: the join's, again.
          requests: requestsOfRows(sortRequestRows(requests.get(key) ?? [])),
        })
      : getGateFacts(db, query);
  return runIndependentQueries(
    db,
    queries.map((query, key) => () => facts(query, key)),
  );
}

/**
 * The deployment standing in each environment asked (`currentVersionIn`),
 * in the order asked, as `getStandingDeployment` reads each: one query for
 * up to {@link BATCH_SIZE} of them.
 */
export async function getStandingDeployments(
  db: Knex | Knex.Transaction,
  queries: StandingDeploymentQuery[],
): Promise<Array<Deployment | undefined>> {
  const standing: Array<Deployment | undefined> = [];
  for (const batch of chunks(queries, BATCH_SIZE)) {
    const query = keyedUnionOf(
      db,
      batch.map((q, key) => [
        key,
        standingDeploymentIn(db, q.entityRef, q.environmentId, {
          exceptVersion: q.exceptVersion,
        }),
      ]),
    );
    const rows = byKey<DbDeploymentRow>(query ? await query : []);
    standing.push(
      ...batch.map((_, key) => {
        const [row] = rows.get(key) ?? [];
        return row ? mapDeploymentRow(row) : undefined;
      }),
    );
  }
  return standing;
}
