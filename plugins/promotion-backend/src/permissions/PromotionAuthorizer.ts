import {
  BackstageCredentials,
  PermissionsService,
} from '@backstage/backend-plugin-api';
import { NotAllowedError } from '@backstage/errors';
import {
  AuthorizeResult,
  BasicPermission,
} from '@backstage/plugin-permission-common';
import {
  promotionApprovePermission,
  promotionAuditReadPermission,
  promotionChecklistCompletePermission,
  promotionDeploymentRecordPermission,
  promotionReadPermission,
  promotionRequestPermission,
  promotionRevokePermission,
  promotionRollbackPermission,
  promotionSignOffPermission,
} from '@promotion/plugin-promotion-common';

/**
 * A permission that is checked against the flow's catalog entity: the type
 * common gives every Promotion permission but the audit one.
 */
export type FlowPermission = typeof promotionReadPermission;

/** What each permission lets a person do, in words, for error messages and the UI. */
const ACTIONS: Record<string, string> = {
  [promotionReadPermission.name]: 'see this flow',
  [promotionDeploymentRecordPermission.name]: 'record deployments of this flow',
  [promotionChecklistCompletePermission.name]:
    'complete checklist items of this flow',
  [promotionSignOffPermission.name]: 'sign off environments of this flow',
  [promotionRequestPermission.name]:
    'request, edit or withdraw promotions of this flow',
  [promotionApprovePermission.name]:
    'approve or reject promotions of this flow',
  [promotionRevokePermission.name]: 'revoke standing approvals of this flow',
  [promotionRollbackPermission.name]: 'record rollbacks of this flow',
  [promotionAuditReadPermission.name]:
    'read the audit trail and the verification report',
};

/** The sentence given when the permission policy denies a permission. */
export function deniedReason(permission: { name: string }): string {
  const action = ACTIONS[permission.name] ?? `use ${permission.name}`;
  return `The permission policy does not allow you to ${action} (${permission.name})`;
}

/** The answers of {@link PromotionAuthorizer.decideFlows}. */
export interface FlowDecisions {
  /** Whether the permission was asked about on the flow and allowed; false for a question not asked. */
  allows(permission: FlowPermission, entityRef: string): boolean;
}

/** Questions per call to the permission framework (its body limit is 100 kB). */
export const MAX_QUESTIONS_PER_BATCH = 250;

function questionKey(permission: FlowPermission, entityRef: string): string {
  return `${permission.name} on ${entityRef}`;
}

/**
 * Asks the permission framework before anything happens. Flow permissions are
 * checked against the flow's entity ref, so conditional decisions such as
 * IS_ENTITY_OWNER are resolved by the catalog.
 */
export class PromotionAuthorizer {
  readonly #permissions: PermissionsService;

  constructor(permissions: PermissionsService) {
    this.#permissions = permissions;
  }

  /** Throws NotAllowedError unless the caller holds the permission on the flow. */
  async authorizeFlow(
    permission: FlowPermission,
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<void> {
    const [decision] = await this.#permissions.authorize(
      [{ permission, resourceRef: entityRef }],
      { credentials },
    );
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(deniedReason(permission));
    }
  }

  /** Throws NotAllowedError unless the caller may read the whole audit trail. */
  async authorizeAuditRead(credentials: BackstageCredentials): Promise<void> {
    await this.authorizeBasic(promotionAuditReadPermission, credentials);
  }

  async authorizeBasic(
    permission: BasicPermission,
    credentials: BackstageCredentials,
  ): Promise<void> {
    const [decision] = await this.#permissions.authorize([{ permission }], {
      credentials,
    });
    if (decision.result !== AuthorizeResult.ALLOW) {
      throw new NotAllowedError(deniedReason(permission));
    }
  }

  /**
   * Whether the caller holds each of the given flow permissions, in one round
   * trip to the permission framework.
   */
  async decideFlow<K extends string>(
    permissions: Record<K, FlowPermission>,
    entityRef: string,
    credentials: BackstageCredentials,
  ): Promise<Record<K, boolean>> {
    const keys = Object.keys(permissions) as K[];
    const decisions = await this.#permissions.authorize(
      keys.map(key => ({
        permission: permissions[key],
        resourceRef: entityRef,
      })),
      { credentials },
    );
    const result = {} as Record<K, boolean>;
    keys.forEach((key, index) => {
      result[key] = decisions[index].result === AuthorizeResult.ALLOW;
    });
    return result;
  }

  /**
   * Whether the caller holds each flow permission asked about, on each flow,
   * however many flows a list covers (a question asked twice is asked
   * once). First the policy's decision for each permission, in one request
   * without the flows (`authorizeConditional`): a permission policy decides
   * without seeing the resource, so a decision to allow or to deny answers
   * for every flow. Only a conditional decision is then asked about flow by
   * flow (the permission backend resolves its conditions, IS_ENTITY_OWNER
   * in the catalog), in one batch per MAX_QUESTIONS_PER_BATCH questions.
   */
  async decideFlows(
    questions: Iterable<{ permission: FlowPermission; entityRef: string }>,
    credentials: BackstageCredentials,
  ): Promise<FlowDecisions> {
    const asked = new Map<
      string,
      { permission: FlowPermission; entityRef: string }
    >();
    const permissions = new Map<string, FlowPermission>();
    for (const question of questions) {
      asked.set(questionKey(question.permission, question.entityRef), question);
      permissions.set(question.permission.name, question.permission);
    }
    if (asked.size === 0) {
      return { allows: () => false };
    }
    const policyDecisions = await this.#permissions.authorizeConditional(
      [...permissions.values()].map(permission => ({ permission })),
      { credentials },
    );
    const allowedForAll = new Set<string>();
    const conditional = new Set<string>();
    [...permissions.keys()].forEach((name, index) => {
      const { result } = policyDecisions[index];
      if (result === AuthorizeResult.ALLOW) {
        allowedForAll.add(name);
      } else if (result === AuthorizeResult.CONDITIONAL) {
        conditional.add(name);
      }
    });

    const allowed = new Set<string>();
    const entries = [...asked.entries()].filter(([, { permission }]) =>
      conditional.has(permission.name),
    );
    // One batch per MAX_QUESTIONS_PER_BATCH questions: the permission
    // backend refuses request bodies over 100 kB (about 450 questions).
    const batches: Array<typeof entries> = [];
    for (let i = 0; i < entries.length; i += MAX_QUESTIONS_PER_BATCH) {
      batches.push(entries.slice(i, i + MAX_QUESTIONS_PER_BATCH));
    }
    await Promise.all(
      batches.map(async batch => {
        const decisions = await this.#permissions.authorize(
          batch.map(([, { permission, entityRef }]) => ({
            permission,
            resourceRef: entityRef,
          })),
          { credentials },
        );
        batch.forEach(([key], index) => {
          if (decisions[index].result === AuthorizeResult.ALLOW) {
            allowed.add(key);
          }
        });
      }),
    );
    return {
      allows: (permission, entityRef) => {
        const key = questionKey(permission, entityRef);
        return allowedForAll.has(permission.name)
          ? asked.has(key)
          : allowed.has(key);
      },
    };
  }

  /** Whether the caller may read the audit trail, without throwing. */
  async mayReadAudit(credentials: BackstageCredentials): Promise<boolean> {
    const [decision] = await this.#permissions.authorize(
      [{ permission: promotionAuditReadPermission }],
      { credentials },
    );
    return decision.result === AuthorizeResult.ALLOW;
  }
}
