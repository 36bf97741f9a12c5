import {
  BackstageCredentials,
  PermissionsService,
  UserInfoService,
} from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  currentVersionIn,
  Deployment,
  FlowFacts,
  PromotionRequest,
  readPromotionConfig,
  SignOff,
} from '@promotion/plugin-promotion-common';
import { PromotionStore } from '../../database/PromotionStore';
import { PromotionAuthorizer } from '../../permissions/PromotionAuthorizer';
import { FlowResolver } from '../flows/FlowResolver';
import { ApprovalInbox, REQUESTER_CANNOT_DECIDE } from './ApprovalInbox';

/*
 * The approver's inbox over the real gate, the real flow lookup on the
 * catalog's in-memory mock and the real permission wrapper; the store is a
 * stand-in holding the recorded facts of each flow.
 */

const NOW = new Date('2024-05-10T12:00:00.000Z');
const DIRECTOR = 'user:default/dana';
const DEVELOPER = 'user:default/alice';
const OWNER = 'user:default/carol';

const config = readPromotionConfig({
  policies: {
    standard: {
      environments: [
        { id: 'dev', title: 'Dev' },
        {
          id: 'test',
          title: 'Test',
          checklist: [{ id: 'e2e', title: 'End-to-end tests passed' }],
          signOff: { required: true },
        },
        {
          id: 'prod',
          title: 'Production',
          approval: { mode: 'once', approvers: ['group:default/directors'] },
        },
      ],
    },
  },
});

const component = (
  name: string,
  options: { annotated?: boolean; dependsOn?: string[] } = {},
): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name,
    namespace: 'default',
    annotations:
      options.annotated === false ? {} : { 'promotion.io/policy': 'standard' },
  },
  spec: { type: 'service', owner: 'group:default/payments' },
  relations: (options.dependsOn ?? []).map(targetRef => ({
    type: 'dependsOn',
    targetRef,
  })),
});

const ENTITIES = [
  component('payments-sftp', {
    dependsOn: [
      'component:default/ledger',
      'component:default/audit-log',
      'component:default/unmanaged',
      'resource:default/payments-db',
    ],
  }),
  component('ledger'),
  component('audit-log'),
  component('unmanaged', { annotated: false }),
];

const FLOW = 'component:default/payments-sftp';

function deployment(
  entityRef: string,
  environmentId: string,
  version: string,
): Deployment {
  return {
    id: `${entityRef}-${environmentId}-${version}`,
    entityRef,
    environmentId,
    version,
    status: 'succeeded',
    reportedBy: 'service:ci',
    reportedAt: '2024-05-01T10:00:00.000Z',
    violation: false,
    unmetConditions: [],
  };
}

function request(overrides: Partial<PromotionRequest> = {}): PromotionRequest {
  return {
    id: 'r1',
    entityRef: FLOW,
    environmentId: 'prod',
    version: '1.4.0',
    status: 'pending',
    dossier: {
      whatChanged: 'Retries',
      why: 'Timeouts',
      testResults: 'Green',
      releaseNotes: 'Retries failed uploads',
    },
    dossierHash: 'hash',
    revision: 1,
    requestedBy: DEVELOPER,
    createdAt: '2024-05-09T09:00:00.000Z',
    updatedAt: '2024-05-09T09:00:00.000Z',
    expiresAt: '2024-05-23T09:00:00.000Z',
    decisions: [],
    ...overrides,
  };
}

const signOff: SignOff = {
  id: 's1',
  entityRef: FLOW,
  environmentId: 'test',
  version: '1.4.0',
  signedOffBy: OWNER,
  signedOffAt: '2024-05-08T16:00:00.000Z',
  comment: 'Results confirmed with the partners',
};

const noFacts = (): FlowFacts => ({
  deployments: [],
  checklistCompletions: [],
  signOffs: [],
  standingApprovals: [],
  requests: [],
});

/**
 * The recorded facts of each flow, as the store would return them: the
 * whole history for each gate (the gate answers the same on it as on the
 * bounded facts), what stands in an environment as `currentVersionIn` reads
 * it there.
 */
function storeWith(factsByFlow: Record<string, Partial<FlowFacts>>) {
  const factsOf = (entityRef: string): FlowFacts => ({
    ...noFacts(),
    ...factsByFlow[entityRef],
  });
  const store: Pick<
    PromotionStore,
    'listRequests' | 'getManyGateFacts' | 'getStandingDeployments'
  > = {
    async listRequests(options) {
      return Object.keys(factsByFlow)
        .flatMap(ref => factsOf(ref).requests)
        .filter(r => !options.status || options.status.includes(r.status));
    },
    async getManyGateFacts(queries) {
      return queries.map(query => factsOf(query.entityRef));
    },
    async getStandingDeployments(queries) {
      return queries.map(query =>
        currentVersionIn(factsOf(query.entityRef), query.environmentId),
      );
    },
  };
  return store as PromotionStore;
}

/**
 * Directors approve; everyone reads every flow but the `unreadable` ones in
 * Promotion, and every entity but the `hidden` ones in the catalog.
 */
function permissions(
  unreadable: string[] = [],
  hidden: string[] = [],
): PermissionsService {
  const decide = (
    name: string,
    resourceRef: string | undefined,
    credentials: BackstageCredentials,
  ) => {
    const user = (credentials.principal as { userEntityRef?: string })
      .userEntityRef;
    if (name === 'promotion.flow.read') {
      return resourceRef && unreadable.includes(resourceRef)
        ? AuthorizeResult.DENY
        : AuthorizeResult.ALLOW;
    }
    if (name === 'catalog.entity.read') {
      return resourceRef && hidden.includes(resourceRef)
        ? AuthorizeResult.DENY
        : AuthorizeResult.ALLOW;
    }
    if (name === 'promotion.request.decide') {
      return user === DIRECTOR ? AuthorizeResult.ALLOW : AuthorizeResult.DENY;
    }
    return AuthorizeResult.ALLOW;
  };
  return {
    async authorize(requests, options) {
      return requests.map(r => ({
        result: decide(
          r.permission.name,
          (r as { resourceRef?: string }).resourceRef,
          options.credentials,
        ),
      })) as any;
    },
    // As a policy decides without the resource: reading flows, in the
    // catalog and in Promotion, on a condition resolved flow by flow
    // (`authorize`); deciding for the Director alone.
    async authorizeConditional(requests, options) {
      return requests.map(r =>
        r.permission.name === 'promotion.flow.read' ||
        r.permission.name === 'catalog.entity.read'
          ? {
              result: AuthorizeResult.CONDITIONAL,
              pluginId: 'catalog',
              resourceType: 'catalog-entity',
              conditions: {
                rule: 'IS_READABLE',
                resourceType: 'catalog-entity',
                params: {},
              },
            }
          : {
              result: decide(r.permission.name, undefined, options.credentials),
            },
      ) as any;
    },
  };
}

const userInfo: UserInfoService = {
  async getUserInfo(credentials) {
    const ref = (credentials.principal as { userEntityRef: string })
      .userEntityRef;
    return {
      userEntityRef: ref,
      ownershipEntityRefs:
        ref === DIRECTOR || ref === DEVELOPER
          ? [ref, 'group:default/directors']
          : [ref],
    };
  },
};

function inbox(
  factsByFlow: Record<string, Partial<FlowFacts>>,
  options: { unreadable?: string[]; hidden?: string[] } = {},
) {
  const authorizer = new PromotionAuthorizer(
    permissions(options.unreadable, options.hidden),
  );
  return new ApprovalInbox({
    store: storeWith(factsByFlow),
    flows: new FlowResolver({
      config,
      catalog: catalogServiceMock({ entities: ENTITIES }),
      auth: mockServices.auth(),
      authorizer,
    }),
    authorizer,
    userInfo,
    now: () => NOW,
  });
}

const asUser = (userEntityRef: string) => ({
  credentials: mockCredentials.user(userEntityRef),
});

describe('ApprovalInbox', () => {
  it('shows what else the gate waits for, besides the approval the approver is asked for', async () => {
    const { items } = await inbox({
      [FLOW]: {
        deployments: [
          deployment(FLOW, 'dev', '1.4.0'),
          deployment(FLOW, 'test', '1.4.0'),
        ],
        requests: [request()],
      },
    }).getInbox(asUser(DIRECTOR));

    expect(items).toHaveLength(1);
    const { gate } = items[0];
    expect(gate.openOnceApproved).toBe(false);
    expect(gate.otherConditions.map(c => c.code)).toEqual([
      'checklist-incomplete',
      'sign-off-missing',
    ]);
    expect(gate.otherConditions[0].message).toContain(
      'End-to-end tests passed',
    );
    // The approval itself is what the approver gives: not listed.
    expect(gate.otherConditions.some(c => c.code.startsWith('approval-'))).toBe(
      false,
    );
  });

  it('says the gate opens once approved, and names the Test sign-off: who, when, what they said', async () => {
    const { items } = await inbox({
      [FLOW]: {
        deployments: [
          deployment(FLOW, 'dev', '1.4.0'),
          deployment(FLOW, 'test', '1.4.0'),
        ],
        checklistCompletions: [
          {
            id: 'c1',
            entityRef: FLOW,
            environmentId: 'test',
            kind: 'validation',
            itemId: 'e2e',
            version: '1.4.0',
            completedBy: DEVELOPER,
            completedAt: '2024-05-08T10:00:00.000Z',
          },
        ],
        signOffs: [
          signOff,
          // Another version's sign-off does not count for this request.
          { ...signOff, id: 's0', version: '1.3.0' },
        ],
        requests: [request()],
      },
    }).getInbox(asUser(DIRECTOR));

    expect(items[0].gate).toEqual({
      openOnceApproved: true,
      otherConditions: [],
    });
    expect(items[0].previousSignOff).toEqual({
      environmentId: 'test',
      environmentTitle: 'Test',
      required: true,
      signOffs: [signOff],
    });
  });

  it('warns of a dependsOn flow with no version in the target environment yet', async () => {
    const { items } = await inbox({
      [FLOW]: {
        deployments: [deployment(FLOW, 'dev', '1.4.0')],
        requests: [request()],
      },
      // In Production: no warning.
      'component:default/ledger': {
        deployments: [deployment('component:default/ledger', 'prod', '2.0.0')],
      },
      // Only in Test so far: a warning.
      'component:default/audit-log': {
        deployments: [
          deployment('component:default/audit-log', 'test', '0.9.0'),
        ],
      },
    }).getInbox(asUser(DIRECTOR));

    // Not the component outside Promotion, nor the resource.
    expect(items[0].dependencyWarnings).toEqual([
      { entityRef: 'component:default/audit-log', environmentId: 'prod' },
    ]);
  });

  it('warns only of dependencies the approver may read', async () => {
    const { items } = await inbox(
      { [FLOW]: { requests: [request()] } },
      { unreadable: ['component:default/ledger'] },
    ).getInbox(asUser(DIRECTOR));

    expect(items[0].dependencyWarnings).toEqual([
      { entityRef: 'component:default/audit-log', environmentId: 'prod' },
    ]);
  });

  it('leaves out a flow, and warns of no dependency, the approver may not read in the catalog', async () => {
    const facts = {
      [FLOW]: { requests: [request()] },
      'component:default/ledger': {
        requests: [
          {
            ...request(),
            id: 'r-ledger',
            entityRef: 'component:default/ledger',
          },
        ],
      },
    };
    const shown = await inbox(facts).getInbox(asUser(DIRECTOR));
    expect(shown.items.map(item => item.request.entityRef).sort()).toEqual([
      'component:default/ledger',
      FLOW,
    ]);

    // catalog.entity.read denied on the ledger: its request is not listed,
    // nor is it warned of as a dependency of the flow.
    const { items } = await inbox(facts, {
      hidden: ['component:default/ledger'],
    }).getInbox(asUser(DIRECTOR));
    expect(items.map(item => item.request.entityRef)).toEqual([FLOW]);
    expect(items[0].dependencyWarnings).toEqual([
      { entityRef: 'component:default/audit-log', environmentId: 'prod' },
    ]);
  });

  it('gives the requester one reason, for Approve and Reject alike', async () => {
    const { items } = await inbox({
      [FLOW]: { requests: [request()] },
    }).getInbox(asUser(DEVELOPER));

    expect(items[0].cannotDecideReason).toBe(REQUESTER_CANNOT_DECIDE);
  });

  it('leaves out a pending request once its deadline has passed, before the expiry task runs', async () => {
    const { items } = await inbox({
      [FLOW]: {
        requests: [
          request({ id: 'past', expiresAt: '2024-05-10T11:59:59.000Z' }),
          request({ id: 'at-deadline', expiresAt: NOW.toISOString() }),
          request({ id: 'open', expiresAt: '2024-05-10T12:00:01.000Z' }),
        ],
      },
    }).getInbox(asUser(DIRECTOR));

    expect(items.map(i => i.request.id)).toEqual(['open']);
  });
});
