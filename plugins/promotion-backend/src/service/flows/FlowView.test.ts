import { PermissionsService } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  Deployment,
  FlowFacts,
  PromotionRequest,
  readPromotionConfig,
  Rollback,
} from '@promotion/plugin-promotion-common';
import {
  FlowStateFactsQuery,
  GateFactsQuery,
  PromotionStore,
} from '../../database/PromotionStore';
import { PromotionAuthorizer } from '../../permissions/PromotionAuthorizer';
import { DisplayNames, fallbackName } from '../displayNames';
import { FlowResolver } from './FlowResolver';
import { FLOW_STATE_ROLLBACKS, FlowView } from './FlowView';

/*
 * The flow as the caller sees it, over the real flow lookup on the
 * catalog's in-memory mock; the store is a stand-in holding the facts.
 */

const NOW = new Date('2024-05-10T12:00:00.000Z');
const FLOW = 'component:default/payments-sftp';

const config = readPromotionConfig({
  policies: {
    standard: {
      environments: [
        { id: 'dev', title: 'Dev' },
        {
          id: 'prod',
          title: 'Production',
          approval: { mode: 'every', approvers: ['group:default/directors'] },
        },
        {
          id: 'dr',
          title: 'DR',
          approval: { mode: 'once', approvers: ['group:default/directors'] },
        },
      ],
    },
  },
});

function request(id: string, expiresAt: string): PromotionRequest {
  return {
    id,
    entityRef: FLOW,
    environmentId: 'prod',
    version: '1.4.0',
    status: 'pending',
    dossier: { whatChanged: '', why: '', testResults: '', releaseNotes: '' },
    dossierHash: 'hash',
    revision: 1,
    requestedBy: 'user:default/alice',
    createdAt: '2024-05-09T09:00:00.000Z',
    updatedAt: '2024-05-09T09:00:00.000Z',
    expiresAt,
    decisions: [],
  };
}

function deployment(environmentId: string, version: string): Deployment {
  return {
    id: `${environmentId}-${version}`,
    entityRef: FLOW,
    environmentId,
    version,
    status: 'succeeded',
    reportedBy: 'service:ci',
    reportedAt: '2024-05-08T09:00:00.000Z',
    violation: false,
    unmetConditions: [],
  };
}

/** The catalog's names of the people in the facts, recording each lookup's refs. */
function catalogNames(names: Record<string, string>) {
  const lookups: string[][] = [];
  const displayNames: DisplayNames = {
    async lookup(refs) {
      const asked = [...refs].filter((ref): ref is string => !!ref);
      lookups.push(asked);
      return ref => (asked.includes(ref) && names[ref]) || fallbackName(ref);
    },
  };
  return { displayNames, lookups };
}

/** The reads a flow view asks of the store, in order. */
type StoreRead =
  | ['getFlowFacts', string]
  | ['getGateFacts', GateFactsQuery]
  | ['getFlowStateFacts', Omit<FlowStateFactsQuery, 'nextStep'>];

function flowView(
  facts: Partial<FlowFacts>,
  displayNames: DisplayNames = catalogNames({}).displayNames,
  reads: StoreRead[] = [],
) {
  // The whole history answers every bounded read (it holds all they read).
  const all = async (): Promise<FlowFacts> => ({
    deployments: [],
    checklistCompletions: [],
    signOffs: [],
    standingApprovals: [],
    requests: [],
    rollbacks: [],
    ...facts,
  });
  const store: Pick<
    PromotionStore,
    'getFlowFacts' | 'getGateFacts' | 'getFlowStateFacts'
  > = {
    getFlowFacts: async entityRef => {
      reads.push(['getFlowFacts', entityRef]);
      return all();
    },
    getGateFacts: async query => {
      reads.push(['getGateFacts', query]);
      return all();
    },
    getFlowStateFacts: async query => {
      const { nextStep, ...asked } = query;
      reads.push(['getFlowStateFacts', asked]);
      const whole = await all();
      const next = nextStep?.(whole.deployments);
      return { facts: whole, ...(next && { nextStep: next }) };
    },
  };
  const permissions: PermissionsService = {
    async authorize(requests) {
      return requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any;
    },
    async authorizeConditional() {
      throw new Error('not used by the flow view');
    },
  };
  const authorizer = new PromotionAuthorizer(permissions);
  return new FlowView({
    store: store as PromotionStore,
    flows: new FlowResolver({
      config,
      catalog: catalogServiceMock({
        entities: [
          {
            apiVersion: 'backstage.io/v1alpha1',
            kind: 'Component',
            metadata: {
              name: 'payments-sftp',
              namespace: 'default',
              annotations: { 'promotion.io/policy': 'standard' },
            },
            spec: { type: 'service', owner: 'group:default/payments' },
          },
        ],
      }),
      auth: mockServices.auth(),
      authorizer,
    }),
    authorizer,
    auth: mockServices.auth(),
    userInfo: mockServices.userInfo(),
    displayNames,
    now: () => NOW,
  });
}

const REF = { kind: 'component', namespace: 'default', name: 'payments-sftp' };
const CTX = { credentials: mockCredentials.user('user:default/alice') };

describe('FlowView', () => {
  it('no longer lists a request as pending once its deadline has passed, before the expiry task runs', async () => {
    const state = await flowView({
      requests: [
        request('past', '2024-05-10T11:59:59.000Z'),
        request('at-deadline', NOW.toISOString()),
        request('open', '2024-05-10T12:00:01.000Z'),
      ],
    }).getFlowState(
      { kind: 'component', namespace: 'default', name: 'payments-sftp' },
      { credentials: mockCredentials.user('user:default/alice') },
    );

    expect(state.pendingRequests.map(r => r.id)).toEqual(['open']);
  });

  it('names the requester of the pending request on the next gate by the display name, read in one lookup', async () => {
    const { displayNames, lookups } = catalogNames({
      'user:default/alice': 'Alice Ng',
    });
    const state = await flowView(
      {
        deployments: [deployment('dev', '1.4.0')],
        requests: [request('open', '2024-05-20T12:00:00.000Z')],
      },
      displayNames,
    ).getFlowState(REF, CTX);

    expect(state.nextGate?.unmetConditions).toEqual([
      {
        code: 'approval-pending',
        environmentId: 'prod',
        requestId: 'open',
        message:
          'Waiting for approval: 0 of 1 approval on the request by Alice Ng of 2024-05-09 09:00 UTC for version 1.4.0 into Production.',
      },
    ]);
    expect(lookups).toEqual([['user:default/alice']]);
  });

  it("names who revoked a standing approval by the display name in the pipeline's gate answer", async () => {
    const { displayNames, lookups } = catalogNames({
      'user:default/dana': 'Dana Director',
    });
    const gate = await flowView(
      {
        deployments: [deployment('dev', '1.4.0'), deployment('prod', '1.4.0')],
        standingApprovals: [
          {
            id: 'standing-1',
            entityRef: FLOW,
            environmentId: 'dr',
            grantedBy: ['user:default/dana'],
            grantedAt: '2024-05-01T09:00:00.000Z',
            revokedAt: '2024-05-09T10:00:00.000Z',
            revokedBy: 'user:default/dana',
          },
        ],
      },
      displayNames,
    ).getGate(REF, { environment: 'dr', version: '1.4.0' }, CTX);

    expect(gate.unmetConditions).toEqual([
      expect.objectContaining({
        code: 'approval-revoked',
        message:
          'The standing approval for DR was revoked on 2024-05-09 10:00 UTC by Dana Director: request promotion again and wait for an approver.',
      }),
    ]);
    expect(lookups).toEqual([['user:default/dana']]);
  });

  it("lists the flow's rollbacks from its facts", async () => {
    const rollback: Rollback = {
      id: 'rollback-1',
      entityRef: FLOW,
      environmentId: 'prod',
      fromVersion: '1.4.0',
      toVersion: '1.3.0',
      reason: 'Transfers failing',
      recordedBy: 'user:default/alice',
      recordedAt: '2024-05-09T11:00:00.000Z',
    };
    const state = await flowView({ rollbacks: [rollback] }).getFlowState(
      REF,
      CTX,
    );
    expect(state.rollbacks).toEqual([rollback]);
  });

  it("reads the gate's facts for the version and the ladder up to the environment, and the flow state's (with its next gate's) for the whole ladder: never the flow's whole history", async () => {
    const reads: StoreRead[] = [];
    const view = flowView(
      { deployments: [deployment('dev', '1.4.0')] },
      catalogNames({}).displayNames,
      reads,
    );

    await view.getGate(REF, { environment: 'prod', version: '1.5.0' }, CTX);
    const state = await view.getFlowState(REF, CTX);

    expect(state.nextGate).toMatchObject({
      environmentId: 'prod',
      version: '1.4.0',
    });
    expect(reads).toEqual([
      [
        'getGateFacts',
        // With the break-glass declarations in play for the version.
        {
          entityRef: FLOW,
          version: '1.5.0',
          environmentIds: ['dev', 'prod'],
          breakGlasses: true,
        },
      ],
      [
        'getFlowStateFacts',
        {
          entityRef: FLOW,
          environmentIds: ['dev', 'prod', 'dr'],
          rollbackLimit: FLOW_STATE_ROLLBACKS,
        },
      ],
    ]);
  });
});
