import {
  AuditEvent,
  Deployment,
  FlowFacts,
} from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import {
  mapAuditEventRow,
  mapChecklistCompletionRow,
  mapDeploymentRow,
  mapRollbackRow,
  mapSignOffRow,
  mapStandingApprovalRow,
} from '../../mappers';
import {
  RollbackDeploymentsAsOfQuery,
  TrailEventsQuery,
  TrailFactsQuery,
} from '../../PromotionStore';
import {
  DbAuditEventRow,
  DbChecklistCompletionRow,
  DbDeploymentRow,
  DbRollbackRow,
  DbSignOffRow,
  DbStandingApprovalRow,
  TABLES,
} from '../../tables';
import { oldestFirst, runIndependentQueries } from '../queryHelpers';
import {
  dateOf,
  deploymentsIn,
  requestsWithDecisions,
  standingApprovalsIn,
  unionOf,
} from './factQueries';

/*
 * The reads of the trail of one deployment of version V into environment E
 * (service/audit/deploymentTrail.ts), bounded by what the trail shows, not
 * by the flow's history: the deployment trail built on them is the one
 * built on the whole history (`getFlowFacts` and every audit event of the
 * flow up to the trail's last fact).
 */

/**
 * The facts the trail of a deployment (V into E, reported at T) looks at,
 * oldest first:
 *
 * - every deployment of V into E (the post-deployment checklist ends with
 *   the next one);
 * - the active completions of E's post-deployment items for V and of the
 *   previous environment's validation items for V and for the flow, and
 *   the previous environment's sign-offs of V;
 * - E's standing approvals not revoked by T, and the requests behind them;
 *   the approved requests for V into E; each with its decisions;
 * - E's rollbacks (the rollback target the deployment may have been; what
 *   that rollback lets back is read with `getRollbackDeploymentsAsOf`).
 */
export async function getTrailFacts(
  db: Knex | Knex.Transaction,
  query: TrailFactsQuery,
): Promise<FlowFacts> {
  const { entityRef, environmentId, version, previousEnvironmentId } = query;
  const reportedAt = new Date(query.reportedAt);
  const standingApprovals = () =>
    standingApprovalsIn(db, entityRef, environmentId).andWhere(q =>
      q.whereNull('revoked_at').orWhere('revoked_at', '>', reportedAt),
    );
  const [deployments, completions, signOffs, approvals, requests, rollbacks] =
    await runIndependentQueries(db, [
      () =>
        deploymentsIn(db, entityRef, environmentId)
          .where('version', version)
          .orderBy(oldestFirst('reported_at')),
      () =>
        db<DbChecklistCompletionRow>(TABLES.checklistCompletions)
          .where({ entity_ref: entityRef, undone_key: '' })
          .andWhere(q => {
            q.where({
              environment_id: environmentId,
              kind: 'post-deployment',
              version,
            });
            if (previousEnvironmentId !== undefined) {
              q.orWhere(p =>
                p
                  .where({
                    environment_id: previousEnvironmentId,
                    kind: 'validation',
                  })
                  .whereIn('version', [version, '']),
              );
            }
          })
          .orderBy(oldestFirst('completed_at')),
      () =>
        previousEnvironmentId === undefined
          ? Promise.resolve([] as DbSignOffRow[])
          : db<DbSignOffRow>(TABLES.signOffs)
              .where({
                entity_ref: entityRef,
                environment_id: previousEnvironmentId,
                version,
              })
              .orderBy(oldestFirst('signed_off_at')),
      () => standingApprovals().orderBy(oldestFirst('granted_at')),
      () =>
        requestsWithDecisions(db, q =>
          q.where('r.entity_ref', entityRef).andWhere(r =>
            r
              .where({
                'r.environment_id': environmentId,
                'r.version': version,
                'r.status': 'approved',
              })
              .orWhereIn(
                'r.id',
                standingApprovals()
                  .clearSelect()
                  .select('request_id')
                  .whereNotNull('request_id'),
              ),
          ),
        ),
      () =>
        db<DbRollbackRow>(TABLES.rollbacks)
          .where({ entity_ref: entityRef, environment_id: environmentId })
          .orderBy(oldestFirst('recorded_at')),
    ]);
  return {
    deployments: (deployments as DbDeploymentRow[]).map(mapDeploymentRow),
    checklistCompletions: completions.map(mapChecklistCompletionRow),
    signOffs: signOffs.map(mapSignOffRow),
    standingApprovals: (approvals as DbStandingApprovalRow[]).map(
      mapStandingApprovalRow,
    ),
    requests,
    rollbacks: rollbacks.map(mapRollbackRow),
  };
}

/** The audit event types a trail cites about E (requests, decisions, break-glass, the deployment) of given versions. */
const VERSION_EVENTS = [
  'deployment.recorded',
  'request.created',
  'request.edited',
  'request.approved',
  'decision.recorded',
  'checklist.completed',
  'checklist.undone',
  'break-glass.declared',
  'break-glass.approved',
  'break-glass.used',
];

/**
 * The flow's audit events up to `to` that a trail may cite, oldest first
 * (by seq): about E, the standing approvals granted and the rollbacks, and
 * the deployments, requests, decisions and checklist items of the versions
 * asked; about the previous environment, the checklist items and sign-offs
 * of V and of the flow. One query, whatever the flow's history.
 */
export async function listTrailEvents(
  db: Knex | Knex.Transaction,
  query: TrailEventsQuery,
): Promise<AuditEvent[]> {
  const { entityRef, environmentId, versions, previousEnvironmentId } = query;
  const rows = await db<DbAuditEventRow>(TABLES.auditEvents)
    .where('entity_ref', entityRef)
    .where('occurred_at', '<=', query.to)
    .andWhere(q => {
      q.where(e =>
        e
          .where('environment_id', environmentId)
          .andWhere(types =>
            types
              .whereIn('type', [
                'standing-approval.granted',
                'rollback.recorded',
              ])
              .orWhere(v =>
                v.whereIn('type', VERSION_EVENTS).whereIn('version', versions),
              ),
          ),
      );
      if (previousEnvironmentId !== undefined) {
        q.orWhere(p =>
          p
            .where('environment_id', previousEnvironmentId)
            .whereIn('type', [
              'checklist.completed',
              'checklist.undone',
              'sign-off.given',
            ])
            .andWhere(v =>
              v.where('version', versions[0]).orWhereNull('version'),
            ),
        );
      }
    })
    .orderBy('seq', 'asc');
  return rows.map(mapAuditEventRow);
}

/**
 * The deployments into E, reported by T and other than the deployment
 * itself, that decide what E's rollback R let back at T
 * (`rollbackDeployableVersions` on the deployments then, a deployment
 * rolled back by a rollback not recorded by then counting as not rolled
 * back), besides those of V already read: the deployments R reverted, the
 * deployments of its target (or the newest of another version standing
 * before the reverted one, the target when R names none), and the first
 * deployment after R of a version other than the target, once regardless
 * of earlier versions (with every deployment there of its version), once
 * of a version that never stood there before the reverted one.
 */
export async function getRollbackDeploymentsAsOf(
  db: Knex | Knex.Transaction,
  query: RollbackDeploymentsAsOfQuery,
): Promise<Deployment[]> {
  const { entityRef, environmentId, rollback, exceptId, knownRollbackIds } =
    query;
  const until = new Date(query.until);
  const recordedAt = new Date(rollback.recordedAt);
  // The deployments there by T, the deployment itself left out, that succeeded.
  const here = () =>
    deploymentsIn(db, entityRef, environmentId)
      .where('status', 'succeeded')
      .where('reported_at', '<=', until)
      .whereNot('id', exceptId);
  const found: DbDeploymentRow[] = await here().where(
    'rollback_id',
    rollback.id,
  );
  const revertedAt = found.length
    ? new Date(Math.max(...found.map(d => dateOf(d.reported_at).getTime())))
    : recordedAt;
  // Not rolled back by T: never, or by a rollback recorded since.
  const notRolledBack = (rows: Knex.QueryBuilder, table: string) =>
    rows.andWhere(q =>
      q.whereNull(`${table}.rolled_back_at`).orWhere(since => {
        since.whereNotNull(`${table}.rollback_id`);
        if (knownRollbackIds.length > 0) {
          since.whereNotIn(`${table}.rollback_id`, knownRollbackIds);
        }
      }),
    );
  // What stood before the reverted version (columns of `table`).
  const stoodBefore = (rows: Knex.QueryBuilder, table: string) =>
    notRolledBack(
      rows
        .whereNot(`${table}.version`, rollback.fromVersion)
        .where(`${table}.reported_at`, '<', revertedAt),
      table,
    );

  let target: string | undefined;
  if (rollback.toVersion) {
    const toVersion = rollback.toVersion;
    const ofTarget: DbDeploymentRow[] = await here().where(
      'version',
      toVersion,
    );
    found.push(...ofTarget);
    target =
      toVersion !== rollback.fromVersion &&
      ofTarget.some(d => dateOf(d.reported_at) < recordedAt)
        ? toVersion
        : undefined;
  } else {
    // `earlier[0]`: the newest; of a tie, the one read first.
    const [newest] = await stoodBefore(here(), TABLES.deployments)
      .orderBy([
        { column: 'reported_at', order: 'desc' },
        { column: 'id', order: 'asc' },
      ])
      .limit(1);
    if (newest) {
      found.push(newest);
      target = newest.version;
    }
  }

  // A deployment after R, not one it reverted, of a version other than
  // the target.
  const after = (rows: Knex.QueryBuilder) => {
    rows
      .where('reported_at', '>', recordedAt)
      .andWhere(q =>
        q.whereNull('rollback_id').orWhereNot('rollback_id', rollback.id),
      );
    if (target !== undefined) {
      rows.whereNot('version', target);
    }
    return rows;
  };
  const first = (rows: Knex.QueryBuilder) =>
    rows.orderBy(oldestFirst('reported_at')).limit(1);
  const ending = await unionOf<DbDeploymentRow>(db, [
    // Every deployment here of the version of the first such deployment…
    here().where(
      'version',
      first(after(here().clearSelect().select('version'))),
    ),
    // …and the first one of a version that never stood here before the reverted one.
    first(
      after(here().select(`${TABLES.deployments}.*`)).whereNotExists(
        stoodBefore(
          db(`${TABLES.deployments} as earlier`)
            .select('earlier.id')
            .where({
              'earlier.entity_ref': entityRef,
              'earlier.environment_id': environmentId,
              'earlier.status': 'succeeded',
            })
            .where('earlier.reported_at', '<=', until)
            .whereNot('earlier.id', exceptId)
            .whereRaw('?? = ??', [
              'earlier.version',
              `${TABLES.deployments}.version`,
            ]),
          'earlier',
        ),
      ),
    ),
  ]);
  found.push(...ending);
  return found.map(mapDeploymentRow);
}
