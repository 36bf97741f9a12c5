import { ConflictError } from '@backstage/errors';
import { GateCondition } from '@promotion/plugin-promotion-common';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import { mapDeploymentRow } from '../../mappers';
import {
  AuditContext,
  RecordDeploymentInput,
  RecordedDeployment,
} from '../../PromotionStore';
import { DbDeploymentRow, TABLES } from '../../tables';
import { appendEvents } from '../audit/appendEvents';
import { lockFlowChain } from '../audit/chainHead';
import { isUniqueViolation } from '../queryHelpers';
import {
  lockPendingRequest,
  supersedeHeldRequests,
} from '../requests/supersedeRequests';
import { getGateFacts } from './getGateFacts';
import { useBreakGlass } from '../breakGlass/useBreakGlass';
import { NewAuditEvent } from '../audit/appendEvents';

/**
 * The deployment already recorded with the input's idempotency key, if
 * any, as a replay; a ConflictError when it was recorded with different
 * content.
 */
async function findReplay(
  db: Knex | Knex.Transaction,
  input: RecordDeploymentInput,
): Promise<RecordedDeployment | undefined> {
  const existing = await db<DbDeploymentRow>(TABLES.deployments)
    .where({
      entity_ref: input.entityRef,
      idempotency_key: input.idempotencyKey!,
    })
    .first();
  if (!existing) {
    return undefined;
  }
  const deployment = mapDeploymentRow(existing);
  const sameContent =
    deployment.environmentId === input.environmentId &&
    deployment.version === input.version &&
    deployment.status === input.status &&
    deployment.link === input.link;
  if (!sameContent) {
    throw new ConflictError(
      `Idempotency key '${input.idempotencyKey}' was already used for a different deployment of ${input.entityRef} (${deployment.version} to ${deployment.environmentId}, ${deployment.status})`,
    );
  }
  return { value: deployment, events: [], replayed: true, superseded: [] };
}

/** What `evaluateGate` answered, as one shape. */
function gateVerdict(
  answer: ReturnType<RecordDeploymentInput['evaluateGate']>,
): Exclude<typeof answer, GateCondition[]> {
  return Array.isArray(answer) ? { unmetConditions: answer } : answer;
}

/** The deployment's audit event in words: through a closed gate, on break-glass, or neither. */
function deploymentSummary(
  input: RecordDeploymentInput,
  violation: boolean,
  breakGlassId: string | null,
): string {
  const what = `Deployment of ${input.version} to ${input.environmentId} ${input.status}`;
  if (violation) {
    return `${what}, reported while the gate was closed`;
  }
  return breakGlassId ? `${what}, on break-glass` : what;
}

/** The environments the deployment's gate reads, checked to end with its own. */
function ladderUpTo(input: RecordDeploymentInput): string[] {
  const ladder = input.ladder ?? [input.environmentId];
  if (ladder[ladder.length - 1] !== input.environmentId) {
    throw new Error(
      `The ladder given for the gate of a deployment into ${
        input.environmentId
      } ends with ${ladder[ladder.length - 1] ?? 'nothing'}`,
    );
  }
  return ladder;
}

/**
 * Records a reported deployment with the gate's verdict (evaluated on the
 * gate's facts, `getGateFacts`, read under the lock), in its own
 * transaction that takes the chain-head lock first (after the row of a
 * pending request it will supersede); a report that repeats an idempotency
 * key is a replay of the first. A successful deployment closes the pending
 * request for its version into its environment as superseded.
 */
export async function recordDeployment(
  db: Knex,
  input: RecordDeploymentInput,
  ctx: AuditContext,
): Promise<RecordedDeployment> {
  if (input.idempotencyKey !== undefined) {
    const replay = await findReplay(db, input);
    if (replay) {
      return replay;
    }
  }

  const ladder = ladderUpTo(input);
  const now = ctx.now ?? new Date();

  try {
    return await db.transaction(async tx => {
      // The pending request this deployment supersedes is locked before the
      // chain, as every change of a request locks it first (a locking read:
      // nothing is read from the snapshot before the chain lock); it stays
      // pending until the gate has been evaluated.
      const superseding =
        input.status === 'succeeded'
          ? await lockPendingRequest(
              tx,
              {
                entityRef: input.entityRef,
                environmentId: input.environmentId,
                version: input.version,
              },
              now,
            )
          : [];
      // Then the chain lock: every other state change appends to the chain
      // under it, so the gate is evaluated on exactly the facts this
      // deployment commits against (a concurrent revocation is either seen
      // or waits for us).
      await lockFlowChain(tx, input.entityRef);
      // With the approved break-glass declarations for exactly this version
      // into this environment: the gate may go in on one of them.
      const { breakGlasses: inPlay = [], ...gateFacts } = await getGateFacts(
        tx,
        {
          entityRef: input.entityRef,
          version: input.version,
          environmentIds: ladder,
          breakGlasses: input.status === 'succeeded',
        },
      );
      const breakGlasses = inPlay.filter(b => b.status === 'approved');
      const deploymentId = randomUUID();
      let verdict = gateVerdict(
        input.evaluateGate({ ...gateFacts, breakGlasses }),
      );
      let breakGlassEvent: NewAuditEvent | undefined;
      if (verdict.breakGlassId) {
        breakGlassEvent = await useBreakGlass(
          tx,
          {
            breakGlassId: verdict.breakGlassId,
            deploymentId,
            entityRef: input.entityRef,
            environmentId: input.environmentId,
            version: input.version,
            overriddenConditions: verdict.overriddenConditions ?? [],
          },
          now,
        );
        if (!breakGlassEvent) {
          // No longer usable: the gate as it is without it.
          verdict = gateVerdict(
            input.evaluateGate({
              ...gateFacts,
              breakGlasses: breakGlasses.filter(
                b => b.id !== verdict.breakGlassId,
              ),
            }),
          );
          verdict = { unmetConditions: verdict.unmetConditions };
        }
      }
      const { unmetConditions } = verdict;
      const breakGlassId = breakGlassEvent ? verdict.breakGlassId! : null;
      const row: DbDeploymentRow = {
        id: deploymentId,
        entity_ref: input.entityRef,
        environment_id: input.environmentId,
        version: input.version,
        status: input.status,
        link: input.link ?? null,
        idempotency_key: input.idempotencyKey ?? null,
        reported_by: ctx.actor,
        reported_at: now,
        violation: unmetConditions.length > 0,
        unmet_conditions: JSON.stringify(unmetConditions),
        rolled_back_at: null,
        rollback_id: null,
        break_glass_id: breakGlassId,
      };
      const deployment = mapDeploymentRow(row);
      // The row is inserted with the events (`withWrites`): nothing reads it
      // before.
      const superseded = await supersedeHeldRequests(tx, superseding, {
        reason:
          input.supersededRequestReason ??
          `Version ${input.version} reached ${
            input.environmentId
          } on ${now.toISOString()} without this request's approval`,
        cause: { deploymentId: row.id },
        now,
      });
      const events = await appendEvents(
        tx,
        ctx,
        now,
        [
          {
            type: 'deployment.recorded',
            entityRef: input.entityRef,
            environmentId: input.environmentId,
            version: input.version,
            summary: deploymentSummary(
              input,
              deployment.violation,
              breakGlassId,
            ),
            payload: {
              deploymentId: row.id,
              version: input.version,
              status: input.status,
              link: input.link ?? null,
              idempotencyKey: input.idempotencyKey ?? null,
              reportedBy: ctx.actor,
              violation: deployment.violation,
              unmetConditions,
              breakGlassId,
            },
          },
          ...(breakGlassEvent ? [breakGlassEvent] : []),
          ...superseded.events,
        ],
        { withWrites: [tx(TABLES.deployments).insert(row)] },
      );
      return {
        value: deployment,
        events,
        replayed: false,
        superseded: superseded.requests,
      };
    });
  } catch (error) {
    // Two reports with the same key raced: the other one won the insert.
    if (input.idempotencyKey !== undefined && isUniqueViolation(error)) {
      const replay = await findReplay(db, input);
      if (replay) {
        return replay;
      }
    }
    throw error;
  }
}
