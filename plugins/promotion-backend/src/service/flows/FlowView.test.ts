import { PermissionsService } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  FlowFacts,
  PromotionRequest,
  readPromotionConfig,
} from '@promotion/plugin-promotion-common';
import { PromotionStore } from '../../database/PromotionStore';
import { PromotionAuthorizer } from '../../permissions/PromotionAuthorizer';
import { FlowResolver } from './FlowResolver';
import { FlowView } from './FlowView';

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

function flowView(facts: Partial<FlowFacts>) {
  const store: Pick<PromotionStore, 'getFlowFacts' | 'listRollbacks'> = {
    async getFlowFacts() {
      return {
        deployments: [],
        checklistCompletions: [],
        signOffs: [],
        standingApprovals: [],
        requests: [],
        ...facts,
      };
    },
    async listRollbacks() {
      return [];
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
    now: () => NOW,
  });
}

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
});
