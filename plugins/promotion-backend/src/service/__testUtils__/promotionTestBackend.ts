import {
  AuditorService,
  AuditorServiceCreateEventOptions,
  BackstageCredentials,
  coreServices,
  createServiceFactory,
  PermissionsService,
  SchedulerServiceTaskInvocationDefinition,
  SchedulerServiceTaskScheduleDefinition,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import {
  mockCredentials,
  mockServices,
  startTestBackend,
} from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { InputError, NotAllowedError } from '@backstage/errors';
import { catalogServiceRef } from '@backstage/plugin-catalog-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  NotificationSendOptions,
  notificationService,
} from '@backstage/plugin-notifications-node';
import {
  AuthorizePermissionRequest,
  AuthorizeResult,
} from '@backstage/plugin-permission-common';
import {
  SignalPayload,
  signalsServiceRef,
} from '@backstage/plugin-signals-node';
import type { Knex } from 'knex';
import { promotionPlugin } from '../../plugin';

type JsonObject = NonNullable<
  NonNullable<Parameters<typeof mockServices.rootConfig.factory>[0]>['data']
>;

/*
 * A real Promotion backend for tests: the real plugin, a real database, the
 * catalog's in-memory mock, and stand-ins for what other plugins provide
 * (permission policy, group membership, notifications, signals, auditor)
 * that record what they were asked.
 */

export const USERS = {
  alice: 'user:default/dev-alice',
  carol: 'user:default/customer-carol',
  dave: 'user:default/director-dave',
  erin: 'user:default/director-erin',
  gary: 'user:default/guest-gary',
  ann: 'user:default/auditor-ann',
} as const;

/** Group membership, as the catalog would resolve it for userInfo. */
const GROUPS: Record<string, string[]> = {
  [USERS.alice]: ['group:default/team-payments'],
  [USERS.carol]: ['group:default/customers'],
  [USERS.dave]: ['group:default/directors'],
  [USERS.erin]: ['group:default/directors'],
  [USERS.gary]: [],
  [USERS.ann]: ['group:default/auditors'],
};

export const userHeader = (ref: string) => mockCredentials.user.header(ref);
export const serviceHeader = () => mockCredentials.service.header();
export const noneHeader = () => mockCredentials.none.header();

const component = (name: string, annotations: Record<string, string>) =>
  ({
    apiVersion: 'backstage.io/v1alpha1',
    kind: 'Component',
    metadata: { name, namespace: 'default', annotations },
    spec: { type: 'service', lifecycle: 'production', owner: 'team-payments' },
  } satisfies Entity);

export const ENTITIES: Entity[] = [
  component('payments-sftp', { 'promotion.io/policy': 'standard' }),
  component('ledger', { 'promotion.io/policy': 'standard' }),
  component('billing', { 'promotion.io/policy': 'regulated' }),
  component('reports', { 'promotion.io/policy': 'regulated' }),
  component('no-annotation', {}),
  component('odd-policy', { 'promotion.io/policy': 'nonexistent' }),
];

/** The standard ladder from the governance documents, and a stricter one. */
export const PROMOTION_CONFIG: JsonObject = {
  requestExpiry: { days: 14 },
  policies: {
    standard: {
      title: 'Standard',
      environments: [
        {
          id: 'dev',
          title: 'Dev',
          checklist: [
            { id: 'code-reviewed', title: 'Code reviewed and merged' },
            {
              id: 'release-notes',
              title: 'Release notes prepared',
              scope: 'flow',
            },
          ],
        },
        {
          id: 'test',
          title: 'Test',
          checklist: [
            {
              id: 'e2e',
              title: 'End-to-end tests passed',
              evidenceRequired: true,
            },
          ],
          signOff: { required: true },
        },
        {
          id: 'prod',
          title: 'Production',
          approval: { mode: 'once', approvers: ['group:default/directors'] },
          postDeployment: {
            checklist: [
              {
                id: 'monitor-logs',
                title: 'Monitor logs',
                minimumWait: { minutes: 15 },
              },
              { id: 'uptime-green', title: 'Uptime monitoring green' },
            ],
          },
        },
      ],
    },
    regulated: {
      title: 'Regulated',
      environments: [
        { id: 'dev', title: 'Dev' },
        {
          id: 'prod',
          title: 'Production',
          approval: {
            mode: 'every',
            approvers: [
              'user:default/director-dave',
              'user:default/director-erin',
            ],
            minApprovers: 2,
          },
        },
      ],
    },
  },
};

/**
 * The catalog's in-memory mock, refusing external service principals the
 * way the real catalog refuses a pipeline token whose `accessRestrictions`
 * name only the promotion plugin.
 */
function pipelineRestrictedCatalog(
  entities: Entity[],
  calls: Recordings['catalogCalls'],
) {
  const catalog = catalogServiceMock({ entities });
  return createServiceFactory({
    service: catalogServiceRef,
    deps: {},
    factory: () =>
      new Proxy(catalog, {
        get(target, key, receiver) {
          const value = Reflect.get(target, key, receiver);
          if (typeof value !== 'function') {
            return value;
          }
          return async (...args: unknown[]) => {
            calls.push({ method: String(key), request: args[0] });
            const options = args.at(-1) as
              | { credentials?: BackstageCredentials }
              | undefined;
            const principal = options?.credentials?.principal as
              | { type?: string; subject?: string }
              | undefined;
            if (
              principal?.type === 'service' &&
              principal.subject?.startsWith('external:')
            ) {
              throw new NotAllowedError(
                "Access to target plugin 'catalog' is not included in token's access restrictions",
              );
            }
            return value.apply(target, args);
          };
        },
      }),
  });
}

/**
 * A small permission policy: pipelines may do everything; the guest may only
 * read the catalog and flows; only auditors and directors read the whole
 * audit trail.
 */
class TestPermissionPolicy implements PermissionsService {
  async authorize(
    requests: AuthorizePermissionRequest[],
    options: { credentials: BackstageCredentials },
  ) {
    return requests.map(request => ({
      result: this.#decide(request.permission.name, options.credentials),
    }));
  }

  async authorizeConditional(
    requests: Array<{ permission: { name: string } }>,
    options: { credentials: BackstageCredentials },
  ) {
    return requests.map(request => ({
      result: this.#decide(request.permission.name, options.credentials),
    })) as any;
  }

  #decide(
    permission: string,
    credentials: BackstageCredentials,
  ): AuthorizeResult.ALLOW | AuthorizeResult.DENY {
    const principal = credentials.principal as {
      type: string;
      userEntityRef?: string;
    };
    if (principal.type === 'service') {
      return AuthorizeResult.ALLOW;
    }
    const user = principal.userEntityRef;
    if (user === USERS.gary) {
      // The guest reads the catalog and the flows, and does nothing else.
      return permission === 'promotion.flow.read' ||
        permission === 'catalog.entity.read'
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY;
    }
    if (permission === 'promotion.audit.read') {
      return user === USERS.ann || user === USERS.dave
        ? AuthorizeResult.ALLOW
        : AuthorizeResult.DENY;
    }
    return AuthorizeResult.ALLOW;
  }
}

class TestUserInfo implements UserInfoService {
  async getUserInfo(credentials: BackstageCredentials) {
    const principal = credentials.principal as {
      type: string;
      userEntityRef?: string;
    };
    if (principal.type !== 'user' || !principal.userEntityRef) {
      throw new InputError('User info is only available for users');
    }
    const ref = principal.userEntityRef;
    return {
      userEntityRef: ref,
      ownershipEntityRefs: [ref, ...(GROUPS[ref] ?? [])],
    };
  }
}

/** What the stand-ins were asked to do. */
export interface Recordings {
  notifications: NotificationSendOptions[];
  signals: SignalPayload[];
  auditorEvents: AuditorServiceCreateEventOptions[];
  /** The calls to the catalog, in order: the method and its first argument. */
  catalogCalls: Array<{ method: string; request: unknown }>;
  /** Scheduled tasks; a test runs them by calling `fn`. */
  tasks: Array<
    SchedulerServiceTaskInvocationDefinition &
      SchedulerServiceTaskScheduleDefinition
  >;
}

export async function startPromotionBackend(options?: {
  knex?: Knex;
  config?: JsonObject;
  failNotifications?: boolean;
  /** The catalog's entities; {@link ENTITIES} by default. */
  entities?: Entity[];
  /**
   * Wraps the test's permission policy, e.g. to count the calls the plugin
   * makes or to deny more; the policy as it is by default.
   */
  permissions?: (policy: PermissionsService) => PermissionsService;
}) {
  const recordings: Recordings = {
    notifications: [],
    signals: [],
    auditorEvents: [],
    catalogCalls: [],
    tasks: [],
  };
  const auditor: AuditorService = {
    async createEvent(event) {
      recordings.auditorEvents.push(event);
      return { success: async () => {}, fail: async () => {} };
    },
  };

  const backend = await startTestBackend({
    features: [
      promotionPlugin,
      pipelineRestrictedCatalog(
        options?.entities ?? ENTITIES,
        recordings.catalogCalls,
      ),
      mockServices.rootConfig.factory({
        data: { promotion: options?.config ?? PROMOTION_CONFIG },
      }),
      ...(options?.knex
        ? [mockServices.database.factory({ knex: options.knex })]
        : []),
      createServiceFactory({
        service: coreServices.permissions,
        deps: {},
        factory: () => {
          const policy = new TestPermissionPolicy();
          return options?.permissions ? options.permissions(policy) : policy;
        },
      }),
      createServiceFactory({
        service: coreServices.userInfo,
        deps: {},
        factory: () => new TestUserInfo(),
      }),
      mockServices.scheduler.mock({
        async scheduleTask(task) {
          recordings.tasks.push(task);
        },
      }).factory,
      createServiceFactory({
        service: coreServices.auditor,
        deps: {},
        factory: () => auditor,
      }),
      createServiceFactory({
        service: notificationService,
        deps: {},
        factory: () => ({
          async send(notification: NotificationSendOptions) {
            if (options?.failNotifications) {
              throw new Error('notifications backend is down');
            }
            recordings.notifications.push(notification);
          },
        }),
      }),
      createServiceFactory({
        service: signalsServiceRef,
        deps: {},
        factory: () => ({
          async publish(signal: SignalPayload<any>) {
            recordings.signals.push(signal);
          },
        }),
      }),
    ],
  });
  return { backend, server: backend.server, recordings };
}
