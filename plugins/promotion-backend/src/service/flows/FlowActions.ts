import { CompoundEntityRef } from '@backstage/catalog-model';
import { ConflictError, InputError, NotAllowedError } from '@backstage/errors';
import {
  ChecklistCompletion,
  ChecklistKind,
  CompleteChecklistItemRequest,
  Deployment,
  EnvironmentDefinition,
  evaluateGate,
  postDeploymentItemAvailableAt,
  promotionChecklistCompletePermission,
  promotionDeploymentRecordPermission,
  promotionRevokePermission,
  promotionRollbackPermission,
  promotionSignOffPermission,
  RecordDeploymentRequest,
  refsNamedByGate,
  RollbackRequest,
  RollbackResult,
  SignOff,
  SignOffRequest,
  StandingApproval,
} from '@promotion/plugin-promotion-common';
import { AuditContext, Recorded } from '../../database/PromotionStore';
import { formatNotificationTime } from '../../notifications/PromotionNotifier';
import { FlowPermission } from '../../permissions/PromotionAuthorizer';
import { CommittedChange } from '../afterCommit';
import { auditContextOf, CallContext, isPipeline } from '../callContext';
import { ServiceParts } from '../serviceParts';
import { formatDuration } from '../wording';
import {
  ChecklistItemRule,
  checklistItemOf,
  checklistVersionOf,
  environmentOf,
  Flow,
  InputLocation,
  ladderUpTo,
} from './FlowResolver';
import { readDependencyFacts } from './dependencyFacts';

/**
 * Who may complete a checklist item, by its `attestedBy`: people complete
 * `person` items (the default) and `both`, pipelines attest `pipeline` and
 * `both` items, with an evidence link; only a pipeline's attestation carries
 * a result. A NotAllowedError or an InputError says which rule it broke.
 */
function checkAttester(
  item: ChecklistItemRule,
  input: CompleteChecklistItemRequest,
  pipeline: boolean,
): void {
  const attestedBy = item.attestedBy ?? 'person';
  if (pipeline) {
    if (attestedBy === 'person') {
      throw new NotAllowedError(
        `"${item.title}" is completed by people (attestedBy: person): a pipeline cannot attest it`,
      );
    }
    if (!input.evidenceLink) {
      throw new InputError(
        `body.evidenceLink: Required: a pipeline attests "${item.title}" with a link to its evidence`,
      );
    }
    return;
  }
  if (attestedBy === 'pipeline') {
    throw new NotAllowedError(
      `"${item.title}" is completed by the pipeline (attestedBy: pipeline): a person cannot complete it`,
    );
  }
  if (input.result !== undefined) {
    throw new InputError(
      'body.result: only a pipeline attests an item with a result; a person adds a note',
    );
  }
}

/** A checklist item of one environment of the flow, as the path names it. */
export interface ChecklistItemTarget {
  environment: string;
  kind: ChecklistKind;
  itemId: string;
}

type FlowActionsParts = Pick<
  ServiceParts,
  | 'store'
  | 'config'
  | 'flows'
  | 'afterCommit'
  | 'displayNames'
  | 'logger'
  | 'now'
>;

/** What an action asks to change: an environment of a flow, as the request names it. */
interface ActionRequest {
  ref: CompoundEntityRef;
  /** The permission the caller needs on the flow. */
  permission: FlowPermission;
  environmentId: string;
  /** Where the request names the environment, for the error when the ladder has none. */
  environmentIn: InputLocation;
  ctx: CallContext;
}

/** The flow and the environment of its ladder that an action changes. */
interface ActionTarget {
  flow: Flow;
  environment: EnvironmentDefinition;
  /** The change's audit context: the caller, at `now` (by default, the clock when called). */
  audit(now?: Date): AuditContext;
}

/**
 * What is recorded on a flow's ladder: deployments, checklist items,
 * sign-offs, revocations of standing approvals and rollbacks. Each checks the
 * caller's permission and the flow's policy, writes through the store, and
 * publishes the change after the commit.
 */
export class FlowActions {
  readonly #parts: FlowActionsParts;

  constructor(parts: FlowActionsParts) {
    this.#parts = parts;
  }

  /**
   * The steps every action takes: checks the caller's permission on the
   * flow, finds the environment on its ladder, lets `change` apply the
   * action's own rules and write through the store, and publishes what it
   * recorded after the commit. The flow's open pages refresh unless
   * `publish` says otherwise; `publish` adds what else the change tells.
   */
  async #act<R extends Recorded<unknown>>(
    request: ActionRequest,
    change: (target: ActionTarget) => Promise<R>,
    publish?: (
      recorded: R,
      target: ActionTarget,
    ) => Omit<CommittedChange, 'events' | 'ctx'>,
  ): Promise<R> {
    const { ctx } = request;
    const flow = await this.#parts.flows.authorized(
      request.ref,
      request.permission,
      ctx,
    );
    const environment = environmentOf(
      flow,
      request.environmentId,
      request.environmentIn,
    );
    const target: ActionTarget = {
      flow,
      environment,
      audit: (now = this.#parts.now()) => auditContextOf(ctx, now),
    };
    const recorded = await change(target);
    await this.#parts.afterCommit.publish({
      events: recorded.events,
      ctx,
      changedFlows: [flow.entityRef],
      ...publish?.(recorded, target),
    });
    return recorded;
  }

  /**
   * Records a deployment. Never refused because the gate is closed: the gate
   * is evaluated first and its unmet conditions are recorded with the
   * deployment, which flags it as a violation.
   */
  async recordDeployment(
    ref: CompoundEntityRef,
    input: RecordDeploymentRequest,
    ctx: CallContext,
  ): Promise<{ deployment: Deployment; replayed: boolean }> {
    const recorded = await this.#act(
      {
        ref,
        permission: promotionDeploymentRecordPermission,
        environmentId: input.environment,
        environmentIn: 'body',
        ctx,
      },
      async ({ flow, environment, audit }) => {
        const now = this.#parts.now();
        // The unmet conditions are recorded in words, naming people as the
        // catalog does. The store evaluates the gate inside the deployment's
        // transaction and cannot wait there for the catalog, so the names
        // are read first, for the people the facts name now; someone who
        // first appears meanwhile is named by the entity's name.
        const ladder = ladderUpTo(flow, environment.id);
        // The dependencies, where the environment requires them, read
        // before the transaction as the names are.
        const [dependencies] = environment.dependencies
          ? await readDependencyFacts(this.#parts, [
              {
                entityRef: flow.entityRef,
                entity: flow.entity,
                policy: flow.policy,
                environmentIds: [environment.dependencies.environmentId],
              },
            ])
          : [undefined];
        const displayName = await this.#parts.displayNames.lookup(
          refsNamedByGate(
            await this.#parts.store.getGateFacts({
              entityRef: flow.entityRef,
              version: input.version,
              environmentIds: ladder,
            }),
          ),
        );
        const deployed = await this.#parts.store.recordDeployment(
          {
            entityRef: flow.entityRef,
            environmentId: environment.id,
            version: input.version,
            status: input.status,
            link: input.link,
            idempotencyKey: input.idempotencyKey,
            ladder,
            evaluateGate: facts =>
              evaluateGate({
                entityRef: flow.entityRef,
                policy: flow.policy,
                facts: { ...facts, ...(dependencies && { dependencies }) },
                environmentId: environment.id,
                version: input.version,
                now,
                displayName,
              }),
            supersededRequestReason: `Version ${input.version} reached ${
              environment.title
            } on ${formatNotificationTime(
              now.toISOString(),
            )} without this request's approval`,
          },
          audit(now),
        );
        const deployment = deployed.value;
        if (!deployed.replayed && deployment.violation) {
          this.#parts.logger.warn(
            `Deployment ${deployment.id} of ${flow.entityRef} ${deployment.version} into ${environment.id} went through a closed gate`,
            {
              unmetConditions: deployment.unmetConditions
                .map(c => c.code)
                .join(','),
            },
          );
        }
        return deployed;
      },
      // With the deployment's event, the `request.superseded` event of the
      // pending request it made pointless: its requester and approvers are
      // told (see EventNotifications).
      (deployed, { flow, environment }) => ({
        // A replayed deployment changed nothing: no page needs to refresh.
        changedFlows: deployed.replayed ? [] : [flow.entityRef],
        // A deployment on break-glass opens its retrospective review.
        inbox:
          deployed.superseded.length > 0 ||
          (!deployed.replayed && deployed.value.breakGlassId !== undefined),
        ...(!deployed.replayed &&
          deployed.value.breakGlassId !== undefined && {
            notify: async notifier => {
              const breakGlass = await this.#parts.store.getBreakGlass(
                deployed.value.breakGlassId!,
              );
              if (breakGlass) {
                await notifier.breakGlassRecorded({
                  breakGlass,
                  step: 'used',
                  environment,
                  auditReaders:
                    this.#parts.config.notifications?.violationRecipients ?? [],
                });
              }
            },
          }),
      }),
    );
    return { deployment: recorded.value, replayed: recorded.replayed };
  }

  async completeChecklistItem(
    ref: CompoundEntityRef,
    target: ChecklistItemTarget,
    input: CompleteChecklistItemRequest,
    ctx: CallContext,
  ): Promise<ChecklistCompletion> {
    const recorded = await this.#act(
      {
        ref,
        permission: promotionChecklistCompletePermission,
        environmentId: target.environment,
        environmentIn: 'path',
        ctx,
      },
      async ({ flow, environment, audit }) => {
        const now = this.#parts.now();
        const item = checklistItemOf(environment, target.kind, target.itemId);
        checkAttester(item, input, isPipeline(ctx.credentials));
        const version = checklistVersionOf(item, input.version);
        if (target.kind === 'post-deployment') {
          await this.#checkPostDeploymentItemIsDue(
            flow,
            environment,
            target.itemId,
            version,
            now,
          );
        }
        if (item.evidenceRequired && !input.evidenceLink) {
          throw new InputError(
            `body.evidenceLink: Required: "${item.title}" needs a link to its evidence`,
          );
        }
        return this.#parts.store.completeChecklistItem(
          {
            entityRef: flow.entityRef,
            environmentId: environment.id,
            kind: target.kind,
            itemId: item.id,
            version,
            evidenceLink: input.evidenceLink,
            note: input.note,
            result: input.result,
          },
          audit(now),
        );
      },
    );
    return recorded.value;
  }

  /**
   * A post-deployment item of a version can be completed once the version
   * is deployed successfully to the environment and the item's minimum wait
   * after that deployment has passed; a ConflictError says what is missing.
   */
  async #checkPostDeploymentItemIsDue(
    flow: Flow,
    environment: EnvironmentDefinition,
    itemId: string,
    version: string | undefined,
    now: Date,
  ): Promise<void> {
    const postItem = environment.postDeployment.find(i => i.id === itemId)!;
    const deployments = version
      ? await this.#parts.store.listVersionDeployments({
          entityRef: flow.entityRef,
          environmentId: environment.id,
          version,
        })
      : [];
    const deployment = deployments
      .filter(d => d.status === 'succeeded')
      .sort((a, b) => b.reportedAt.localeCompare(a.reportedAt))[0];
    if (!deployment) {
      throw new ConflictError(
        `Version ${version} has not been deployed successfully to ${environment.title}, so its post-deployment item "${postItem.title}" cannot be completed yet`,
      );
    }
    const availableAt = postDeploymentItemAvailableAt(deployment, postItem);
    if (availableAt.getTime() > now.getTime()) {
      throw new ConflictError(
        `"${postItem.title}" can only be completed ${formatDuration(
          postItem.minimumWaitSeconds * 1000,
        )} after the deployment: ${formatDuration(
          availableAt.getTime() - now.getTime(),
        )} remaining (at ${availableAt.toISOString()})`,
      );
    }
  }

  async undoChecklistItem(
    ref: CompoundEntityRef,
    target: ChecklistItemTarget,
    query: { version?: string },
    ctx: CallContext,
  ): Promise<void> {
    await this.#act(
      {
        ref,
        permission: promotionChecklistCompletePermission,
        environmentId: target.environment,
        environmentIn: 'path',
        ctx,
      },
      ({ flow, environment, audit }) => {
        const item = checklistItemOf(environment, target.kind, target.itemId);
        const version = checklistVersionOf(item, query.version, 'query');
        return this.#parts.store.undoChecklistItem(
          {
            entityRef: flow.entityRef,
            environmentId: environment.id,
            kind: target.kind,
            itemId: item.id,
            version,
          },
          audit(),
        );
      },
    );
  }

  async signOff(
    ref: CompoundEntityRef,
    environmentId: string,
    input: SignOffRequest,
    ctx: CallContext,
  ): Promise<SignOff> {
    const recorded = await this.#act(
      {
        ref,
        permission: promotionSignOffPermission,
        environmentId,
        environmentIn: 'path',
        ctx,
      },
      async ({ flow, environment, audit }) => {
        // A sign-off confirms what ran there: the version must stand in the environment.
        const deployed = (
          await this.#parts.store.listVersionDeployments({
            entityRef: flow.entityRef,
            environmentId: environment.id,
            version: input.version,
          })
        ).filter(d => d.status === 'succeeded');
        if (!deployed.some(d => !d.rolledBackAt)) {
          throw new ConflictError(
            deployed.length > 0
              ? `Version ${input.version} was rolled back from ${environment.title}: deploy it there successfully again before signing off.`
              : `Version ${input.version} has not been deployed successfully to ${environment.title}: deploy it there before signing off.`,
          );
        }
        return this.#parts.store.createSignOff(
          {
            entityRef: flow.entityRef,
            environmentId: environment.id,
            version: input.version,
            comment: input.comment,
          },
          audit(),
        );
      },
    );
    return recorded.value;
  }

  async revokeStandingApproval(
    ref: CompoundEntityRef,
    environmentId: string,
    input: { reason: string },
    ctx: CallContext,
  ): Promise<StandingApproval[]> {
    const recorded = await this.#act(
      {
        ref,
        permission: promotionRevokePermission,
        environmentId,
        environmentIn: 'path',
        ctx,
      },
      ({ flow, environment, audit }) =>
        this.#parts.store.revokeStandingApproval(
          {
            entityRef: flow.entityRef,
            environmentId: environment.id,
            reason: input.reason,
          },
          audit(),
        ),
    );
    return recorded.value;
  }

  /**
   * Records a rollback: the environment goes back to the previous working
   * version, its standing approval is revoked (by the store, in the same
   * transaction) and the approvers are told.
   *
   * The checks here answer a version that was never deployed with a 400 and
   * one already rolled back with a 409; they read outside the transaction,
   * so the store checks again under the flow's lock that the version still
   * stands: of concurrent rollbacks of one version, one wins and the others
   * get a ConflictError.
   */
  async recordRollback(
    ref: CompoundEntityRef,
    input: RollbackRequest,
    ctx: CallContext,
  ): Promise<RollbackResult> {
    const recorded = await this.#act(
      {
        ref,
        permission: promotionRollbackPermission,
        environmentId: input.environment,
        environmentIn: 'body',
        ctx,
      },
      async ({ flow, environment, audit }) => {
        const { store } = this.#parts;
        const place = {
          entityRef: flow.entityRef,
          environmentId: environment.id,
        };
        const fromVersion =
          input.fromVersion ??
          (await store.getStandingDeployment(place))?.version;
        if (!fromVersion) {
          throw new InputError(
            `Nothing is deployed to ${environment.title}: there is no version to roll back`,
          );
        }
        const succeeded = (
          await store.listVersionDeployments({
            ...place,
            version: fromVersion,
          })
        ).filter(d => d.status === 'succeeded');
        if (!succeeded.some(d => !d.rolledBackAt)) {
          if (succeeded.length > 0) {
            throw new ConflictError(
              `Version ${fromVersion} no longer stands on ${environment.title}: it has already been rolled back`,
            );
          }
          throw new InputError(
            `body.fromVersion: version ${fromVersion} is not deployed to ${environment.title}`,
          );
        }
        // By default, back to the newest other version standing there.
        const toVersion =
          input.toVersion ??
          (
            await store.getStandingDeployment({
              ...place,
              exceptVersion: fromVersion,
            })
          )?.version;

        return this.#parts.store.recordRollback(
          {
            entityRef: flow.entityRef,
            environmentId: environment.id,
            fromVersion,
            toVersion,
            reason: input.reason,
            incidentLink: input.incidentLink,
          },
          audit(),
        );
      },
      ({ value: { rollback } }, { environment }) => ({
        notify: notifier =>
          notifier.rollbackRecorded({
            rollback,
            environmentTitle: environment.title,
            approvers: environment.approval.approvers,
          }),
        inbox: true,
      }),
    );
    const { rollback, revoked } = recorded.value;
    return {
      ...rollback,
      revokedStandingApprovals: revoked,
      incidentReportRequested: !rollback.incidentLink,
    };
  }
}
