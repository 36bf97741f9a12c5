import { InputError } from '@backstage/errors';
import { Deployment, FlowFacts } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import {
  mapChecklistCompletionRow,
  mapDeploymentRow,
  mapStandingApprovalRow,
} from '../../mappers';
import {
  DbChecklistCompletionRow,
  DbDeploymentRow,
  DbRequestRow,
  DbStandingApprovalRow,
  TABLES,
} from '../../tables';
import { oldestFirst } from '../queryHelpers';
import { withDecisions } from '../requests/getRequests';

/*
 * The verification report over a time range, a chunk of deployments at a
 * time: the deployments reported in the range, in the order the report
 * lists them (keyset pagination on reported_at and id), and for each chunk
 * only the facts its deployments are checked against. Nothing read grows
 * with the range; what one chunk reads is bounded by its deployments.
 */

/** The most deployments one chunk holds. */
export const MAX_REPORT_CHUNK_SIZE = 500;

export interface ReportChunkOptions {
  /** Inclusive bounds on `reportedAt`. */
  from: Date;
  to: Date;
  /** Opaque cursor from the previous chunk. */
  cursor?: string;
  /** 1..500 deployments. */
  limit: number;
}

/** Deployments of the report's range and what they are checked against. */
export interface ReportChunk {
  /** Oldest first, by `reportedAt` then id. */
  deployments: Deployment[];
  /**
   * By flow: the facts the deployments are checked against, a part of the
   * flow's history bounded by the chunk's deployments (see `factsOf`).
   */
  facts: Map<string, FlowFacts>;
  /** Present when a further chunk may follow. */
  nextCursor?: string;
}

function encodeCursor(deployment: Deployment): string {
  return Buffer.from(
    `${Date.parse(deployment.reportedAt)}:${deployment.id}`,
    'utf8',
  ).toString('base64url');
}

function decodeCursor(cursor: string): { reportedAt: Date; id: string } {
  const match = /^(\d+):(.+)$/.exec(
    Buffer.from(cursor, 'base64url').toString('utf8'),
  );
  if (!match) {
    throw new InputError(`Invalid cursor '${cursor}'`);
  }
  return { reportedAt: new Date(Number(match[1])), id: match[2] };
}

/** One chunk of the deployments in the range, oldest first, with the facts they are checked against. */
export async function readReportChunk(
  db: Knex | Knex.Transaction,
  options: ReportChunkOptions,
): Promise<ReportChunk> {
  const { from, to, cursor, limit } = options;
  if (!Number.isInteger(limit) || limit < 1 || limit > MAX_REPORT_CHUNK_SIZE) {
    throw new InputError(
      `limit must be an integer from 1 to ${MAX_REPORT_CHUNK_SIZE}, got ${limit}`,
    );
  }
  const query = db<DbDeploymentRow>(TABLES.deployments)
    .where('reported_at', '>=', from)
    .where('reported_at', '<=', to);
  if (cursor) {
    const after = decodeCursor(cursor);
    query.where(newer =>
      newer
        .where('reported_at', '>', after.reportedAt)
        .orWhere(tie =>
          tie
            .where('reported_at', '=', after.reportedAt)
            .where('id', '>', after.id),
        ),
    );
  }
  // Exactly `limit` rows: a full chunk may be followed by an empty one.
  const rows = await query.orderBy(oldestFirst('reported_at')).limit(limit);
  const deployments = rows.map(mapDeploymentRow);
  return {
    deployments,
    facts: await factsOf(db, deployments),
    ...(deployments.length === limit && {
      nextCursor: encodeCursor(deployments[deployments.length - 1]),
    }),
  };
}

/** The versions of each flow's environments among the deployments. */
type Versions = Map<string, Map<string, Set<string>>>;

function versionsOf(deployments: Deployment[]): Versions {
  const versions: Versions = new Map();
  for (const { entityRef, environmentId, version } of deployments) {
    const environments = versions.get(entityRef) ?? new Map();
    const set = environments.get(environmentId) ?? new Set<string>();
    set.add(version);
    environments.set(environmentId, set);
    versions.set(entityRef, environments);
  }
  return versions;
}

/** Rows of the flows' environments and versions, one `or` group per flow and environment. */
function ofVersions<Query extends Knex.QueryBuilder>(
  query: Query,
  versions: Versions,
): Query {
  query.where(any => {
    for (const [entityRef, environments] of versions) {
      for (const [environmentId, set] of environments) {
        any.orWhere(one =>
          one
            .where('entity_ref', entityRef)
            .where('environment_id', environmentId)
            .whereIn('version', [...set]),
        );
      }
    }
  });
  return query;
}

/** Rows of the flows' environments, one `or` group per flow. */
function ofEnvironments<Query extends Knex.QueryBuilder>(
  query: Query,
  versions: Versions,
): Query {
  query.where(any => {
    for (const [entityRef, environments] of versions) {
      any.orWhere(one =>
        one
          .where('entity_ref', entityRef)
          .whereIn('environment_id', [...environments.keys()]),
      );
    }
  });
  return query;
}

/**
 * What the report checks the deployments against, by flow, oldest first
 * like the flow's whole history, but only the rows that can matter:
 *
 * - the successful deployments of the same versions into the same
 *   environments up to the chunk's last (the version's first deployment in
 *   the range is the one held to its post-deployment checklist; a
 *   redeployment takes its approval from the version's first approved one);
 * - the active post-deployment completions of those versions there;
 * - the standing approvals of those environments in force at some time
 *   from the earliest of those deployments to the chunk's last;
 * - the approved requests of those versions there, and the requests behind
 *   those standing approvals, with their decisions.
 *
 * Sign-offs and rollbacks are not checked by the report: none are read.
 */
async function factsOf(
  db: Knex | Knex.Transaction,
  deployments: Deployment[],
): Promise<Map<string, FlowFacts>> {
  const facts = new Map<string, FlowFacts>();
  if (deployments.length === 0) {
    return facts;
  }
  const versions = versionsOf(deployments);
  const last = new Date(
    Math.max(...deployments.map(d => Date.parse(d.reportedAt))),
  );

  const succeeded = (
    await ofVersions(db<DbDeploymentRow>(TABLES.deployments), versions)
      .where('status', 'succeeded')
      .where('reported_at', '<=', last)
      .orderBy(oldestFirst('reported_at'))
  ).map(mapDeploymentRow);
  const first = new Date(
    Math.min(
      ...[...deployments, ...succeeded].map(d => Date.parse(d.reportedAt)),
    ),
  );

  const completions = (
    await ofVersions(
      db<DbChecklistCompletionRow>(TABLES.checklistCompletions),
      versions,
    )
      .where({ kind: 'post-deployment', undone_key: '' })
      .orderBy(oldestFirst('completed_at'))
  ).map(mapChecklistCompletionRow);

  const standingApprovals = (
    await ofEnvironments(
      db<DbStandingApprovalRow>(TABLES.standingApprovals),
      versions,
    )
      .where('granted_at', '<=', last)
      .where(inForce =>
        inForce.whereNull('revoked_at').orWhere('revoked_at', '>', first),
      )
      .orderBy(oldestFirst('granted_at'))
  ).map(mapStandingApprovalRow);

  const behindStanding = [
    ...new Set(
      standingApprovals.flatMap(s => (s.requestId ? [s.requestId] : [])),
    ),
  ];
  const requestRows: DbRequestRow[] = await db<DbRequestRow>(TABLES.requests)
    .where(any => {
      any.where(approved =>
        ofVersions(approved, versions).where('status', 'approved'),
      );
      if (behindStanding.length > 0) {
        any.orWhereIn('id', behindStanding);
      }
    })
    .orderBy(oldestFirst('created_at'));
  const requests = await withDecisions(db, requestRows);

  const factsOfFlow = (entityRef: string): FlowFacts => {
    let flow = facts.get(entityRef);
    if (!flow) {
      flow = {
        deployments: [],
        checklistCompletions: [],
        signOffs: [],
        standingApprovals: [],
        requests: [],
      };
      facts.set(entityRef, flow);
    }
    return flow;
  };
  for (const entityRef of versions.keys()) {
    factsOfFlow(entityRef);
  }
  succeeded.forEach(d => factsOfFlow(d.entityRef).deployments.push(d));
  completions.forEach(c =>
    factsOfFlow(c.entityRef).checklistCompletions.push(c),
  );
  standingApprovals.forEach(s =>
    factsOfFlow(s.entityRef).standingApprovals.push(s),
  );
  requests.forEach(r => factsOfFlow(r.entityRef).requests.push(r));
  return facts;
}
