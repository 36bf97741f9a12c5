import { mockServices } from '@backstage/backend-test-utils';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import {
  AuditEvent,
  Decision,
  PromotionPolicy,
  PromotionRequest,
} from '@promotion/plugin-promotion-common';
import { EventNotifications } from './eventNotifications';
import { PromotionNotifier } from './PromotionNotifier';

const FLOW = 'component:default/payments-sftp';
const ALICE = 'user:default/dev-alice';
const DAVE = 'user:default/director-dave';
const ERIN = 'user:default/director-erin';
const DIRECTORS = 'group:default/directors';
const COMPLIANCE = 'group:default/compliance';

const POLICY: PromotionPolicy = {
  name: 'standard',
  environments: [
    {
      id: 'test',
      title: 'Test',
      checklist: [],
      signOff: { required: true },
      approval: {
        mode: 'none',
        approvers: [],
        minApprovers: 1,
        allowSelfApproval: false,
      },
      postDeployment: [],
      postDeploymentRules: { blocksNextVersion: false, dueWithinSeconds: 0 },
      rollback: { earlierVersionsDeployable: false },
    },
    {
      id: 'prod',
      title: 'Production',
      checklist: [],
      signOff: { required: false },
      approval: {
        mode: 'every',
        approvers: [DIRECTORS],
        minApprovers: 2,
        allowSelfApproval: false,
      },
      postDeployment: [],
      postDeploymentRules: { blocksNextVersion: false, dueWithinSeconds: 0 },
      rollback: { earlierVersionsDeployable: false },
    },
  ],
};

const EDITED_AT = '2025-01-05T10:00:00.000Z';

const decision = (decidedBy: string, fields: Partial<Decision>): Decision => ({
  id: `d-${decidedBy}-${fields.dossierHash}`,
  requestId: 'r1',
  decision: 'approve',
  decidedBy,
  decidedAt: '2025-01-02T00:00:00.000Z',
  comment: 'Fine',
  dossierHash: 'h1',
  ...fields,
});

const request: PromotionRequest = {
  id: 'r1',
  entityRef: FLOW,
  environmentId: 'prod',
  version: '1.4.0',
  status: 'pending',
  dossier: {
    whatChanged: 'Retries',
    why: 'Timeouts',
    testResults: 'Green',
    releaseNotes: 'Retries',
  },
  dossierHash: 'h3',
  revision: 3,
  requestedBy: ALICE,
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: EDITED_AT,
  expiresAt: '2025-01-15T00:00:00.000Z',
  decisions: [
    // Voided by this edit, from the dossier it replaced (h2).
    decision(DAVE, { dossierHash: 'h2', voidedAt: EDITED_AT }),
    // Voided by the earlier edit, from the first dossier: told then, not now.
    decision(ERIN, { dossierHash: 'h1', voidedAt: '2025-01-03T00:00:00.000Z' }),
  ],
};

let seq = 0;
const event = (
  type: AuditEvent['type'],
  payload: Record<string, unknown>,
  fields: Partial<AuditEvent> = {},
): AuditEvent => {
  seq += 1;
  return {
    seq,
    id: `e${seq}`,
    type,
    entityRef: FLOW,
    environmentId: 'prod',
    version: '1.4.0',
    actor: ALICE,
    occurredAt: EDITED_AT,
    summary: type,
    payload,
    previousHash: `h${seq - 1}`,
    hash: `h${seq}`,
    ...fields,
  };
};

function setup(options?: {
  requests?: PromotionRequest[];
  catalogDown?: boolean;
}) {
  const sent: NotificationSendOptions[] = [];
  const logger = mockServices.logger.mock();
  const notifier = new PromotionNotifier({
    notifications: {
      async send(notification) {
        sent.push(notification);
      },
    },
    logger,
  });
  const requests = new Map(
    (options?.requests ?? [request]).map(r => [r.id, r]),
  );
  const eventNotifications = new EventNotifications({
    getRequest: async id => requests.get(id),
    policiesOf: async entityRefs => {
      if (options?.catalogDown) {
        throw new Error('catalog is down');
      }
      return new Map(
        entityRefs.map(ref => [ref, ref === FLOW ? POLICY : undefined]),
      );
    },
    violationRecipients: [COMPLIANCE],
    logger,
  });
  return {
    sent,
    logger,
    send: (...events: AuditEvent[]) =>
      eventNotifications.send(events, notifier),
  };
}

describe('EventNotifications', () => {
  const violation = {
    deploymentId: 'dep-1',
    version: '1.4.0',
    status: 'succeeded',
    link: null,
    idempotencyKey: null,
    reportedBy: 'service:external:ci',
    violation: true,
    unmetConditions: [
      {
        code: 'approval-pending',
        message: 'Waiting for approval: 1 of 2 approvals.',
        environmentId: 'prod',
      },
    ],
  };

  it('tells the approvers and the audit readers of a deployment through a closed gate', async () => {
    const { sent, send } = setup();
    await send(
      event('deployment.recorded', violation, {
        actor: 'service:external:ci',
      }),
    );
    expect(sent).toEqual([
      {
        recipients: { type: 'entity', entityRef: [DIRECTORS, COMPLIANCE] },
        payload: expect.objectContaining({
          title:
            'Violation: payments-sftp 1.4.0 went into Production through a closed gate',
          description: expect.stringContaining(
            'Unmet conditions: Waiting for approval: 1 of 2 approvals.',
          ),
          link: '/catalog/default/component/payments-sftp/promotion?deployment=dep-1',
        }),
      },
    ]);
  });

  it('tells nobody of a deployment through an open gate', async () => {
    const { sent, send } = setup();
    await send(
      event('deployment.recorded', {
        ...violation,
        violation: false,
        unmetConditions: [],
      }),
      event('sign-off.given', { signOffId: 's1' }, { environmentId: 'test' }),
    );
    expect(sent).toEqual([]);
  });

  it('asks the approvers whose approval the edit voided to review again, not those voided before', async () => {
    const { sent, send } = setup();
    await send(
      event('request.edited', {
        requestId: 'r1',
        status: 'pending',
        revision: 3,
        dossierHash: 'h3',
        previousDossierHash: 'h2',
        voidedDecisions: 1,
      }),
    );
    expect(sent).toEqual([
      {
        recipients: {
          type: 'entity',
          entityRef: [DAVE],
          excludeEntityRef: ALICE,
        },
        payload: expect.objectContaining({
          title: 'Approval voided: payments-sftp 1.4.0 into Production',
          scope: 'promotion-request:r1',
        }),
      },
    ]);

    sent.length = 0;
    await send(
      event('request.edited', {
        requestId: 'r1',
        status: 'pending',
        previousDossierHash: 'h3',
        voidedDecisions: 0,
      }),
    );
    expect(sent).toEqual([]);
  });

  it('tells the approvers once how the request ended, whatever the closing status', async () => {
    const approved: PromotionRequest = {
      ...request,
      status: 'approved',
      decisions: [
        decision(DAVE, { dossierHash: 'h3' }),
        decision(ERIN, { dossierHash: 'h3' }),
      ],
    };
    const cancelled = {
      ...request,
      id: 'r2',
      status: 'cancelled' as PromotionRequest['status'],
    };
    const { sent, send } = setup({ requests: [approved, cancelled] });
    await send(
      event('decision.recorded', { requestId: 'r1', decisionId: 'd' }),
      event('request.approved', { requestId: 'r1', status: 'approved' }),
      event('standing-approval.granted', { requestId: 'r1' }),
      // A closing status this code does not know yet.
      event('request.superseded', { requestId: 'r2', status: 'cancelled' }),
    );
    expect(
      sent.map(n => [n.recipients, n.payload.title, n.payload.scope]),
    ).toEqual([
      [
        { type: 'entity', entityRef: [DIRECTORS], excludeEntityRef: ALICE },
        'Decided: payments-sftp 1.4.0 into Production was approved by director-dave and director-erin',
        'promotion-request:r1',
      ],
      [
        { type: 'entity', entityRef: [DIRECTORS], excludeEntityRef: ALICE },
        'Closed: the request to promote payments-sftp 1.4.0 into Production is cancelled',
        'promotion-request:r2',
      ],
    ]);
  });

  it('passes the reason of a withdrawal and skips a request that is still pending', async () => {
    const withdrawn: PromotionRequest = { ...request, status: 'withdrawn' };
    const { sent, send } = setup({
      requests: [withdrawn, { ...request, id: 'r3' }],
    });
    await send(
      event('request.withdrawn', {
        requestId: 'r1',
        status: 'withdrawn',
        reason: 'Wrong build',
      }),
      event('request.expired', { requestId: 'r3' }),
    );
    expect(sent.map(n => n.payload.description)).toEqual([
      'Reason: Wrong build. Nothing waits for your approval any more.',
    ]);
  });

  it('logs instead of failing when the flows cannot be read, or the environment is gone', async () => {
    const down = setup({ catalogDown: true });
    await expect(
      down.send(event('request.withdrawn', { requestId: 'r1' })),
    ).resolves.toBeUndefined();
    expect(down.sent).toEqual([]);
    expect(down.logger.error).toHaveBeenCalledWith(
      'Could not read what the notifications of 1 audit event(s) need; they are not sent',
      { error: 'Error: catalog is down' },
    );

    const gone = setup();
    await gone.send(
      event('request.withdrawn', { requestId: 'r1' }, { environmentId: 'dr' }),
    );
    expect(gone.sent).toEqual([]);
    expect(gone.logger.warn).toHaveBeenCalledWith(
      expect.stringMatching(
        /^No notification for audit event \d+ \(request\.withdrawn\): the environment dr of component:default\/payments-sftp could not be found$/,
      ),
    );
  });
});
