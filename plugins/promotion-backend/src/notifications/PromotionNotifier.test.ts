import { mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import {
  Decision,
  Deployment,
  PromotionRequest,
} from '@promotion/plugin-promotion-common';
import { CatalogDisplayNames } from '../service/displayNames';
import { flowLink, PromotionNotifier } from './PromotionNotifier';

const request: PromotionRequest = {
  id: 'r1',
  entityRef: 'component:default/payments-sftp',
  environmentId: 'prod',
  version: '1.0.0',
  status: 'pending',
  dossier: {
    whatChanged: 'Retries',
    why: 'Timeouts',
    testResults: '',
    releaseNotes: '',
  },
  dossierHash: 'h',
  revision: 1,
  requestedBy: 'user:default/dev-alice',
  createdAt: '2025-01-01T00:00:00.000Z',
  updatedAt: '2025-01-01T00:00:00.000Z',
  expiresAt: '2025-01-15T00:00:00.000Z',
  decisions: [],
};

describe('PromotionNotifier', () => {
  it('tells the approvers about a new request, not the requester', async () => {
    const send = jest.fn(async () => {});
    const notifier = new PromotionNotifier({
      notifications: { send },
      logger: mockServices.logger.mock(),
    });
    await notifier.requestCreated({
      request,
      environmentTitle: 'Production',
      approvers: ['group:default/directors'],
    });
    expect(send).toHaveBeenCalledWith({
      recipients: {
        type: 'entity',
        entityRef: ['group:default/directors'],
        excludeEntityRef: 'user:default/dev-alice',
      },
      payload: expect.objectContaining({
        title: expect.stringContaining('Approval requested'),
        link: '/catalog/default/component/payments-sftp/promotion',
      }),
    });
  });

  it('logs a delivery failure instead of failing', async () => {
    const logger = mockServices.logger.mock();
    const notifier = new PromotionNotifier({
      notifications: {
        send: async () => {
          throw new Error('notifications backend is down');
        },
      },
      signals: {
        publish: async () => {
          throw new Error('signals down');
        },
      },
      logger,
    });
    await expect(
      notifier.requestCreated({
        request,
        environmentTitle: 'Production',
        approvers: ['group:default/directors'],
      }),
    ).resolves.toBeUndefined();
    await expect(
      notifier.flowChanged(request.entityRef, { inbox: true }),
    ).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledTimes(3);
  });

  it('publishes signals on the flow channel, and the inbox channel when asked', async () => {
    const publish = jest.fn(async () => {});
    const notifier = new PromotionNotifier({
      notifications: { send: jest.fn() },
      signals: { publish },
      logger: mockServices.logger.mock(),
    });
    await notifier.flowChanged(request.entityRef, { inbox: true });
    expect(publish.mock.calls.map(([signal]: any[]) => signal.channel)).toEqual(
      ['promotion:component:default/payments-sftp', 'promotion:inbox'],
    );
    expect(publish).toHaveBeenCalledWith({
      recipients: { type: 'broadcast' },
      channel: 'promotion:inbox',
      message: { entityRef: request.entityRef },
    });
  });

  it('works without the signals service', async () => {
    const notifier = new PromotionNotifier({
      notifications: { send: jest.fn() },
      logger: mockServices.logger.mock(),
    });
    await expect(
      notifier.flowChanged(request.entityRef),
    ).resolves.toBeUndefined();
  });

  it('skips rollback notifications when the environment has no approvers', async () => {
    const send = jest.fn(async () => {});
    const notifier = new PromotionNotifier({
      notifications: { send },
      logger: mockServices.logger.mock(),
    });
    await notifier.rollbackRecorded({
      rollback: {
        id: 'rb1',
        entityRef: request.entityRef,
        environmentId: 'dev',
        fromVersion: '2.0.0',
        reason: 'broken',
        recordedBy: 'user:default/dev-alice',
        recordedAt: '2025-01-01T00:00:00.000Z',
      },
      environmentTitle: 'Dev',
      approvers: [],
    });
    expect(send).not.toHaveBeenCalled();
  });

  it('reminds the approvers, not the requester, of a request still waiting', async () => {
    const send = jest.fn(async () => {});
    const notifier = new PromotionNotifier({
      notifications: { send },
      logger: mockServices.logger.mock(),
    });
    await notifier.reminderDue({
      request,
      environmentTitle: 'Production',
      approvers: ['group:default/directors'],
    });
    expect(send).toHaveBeenCalledWith({
      recipients: {
        type: 'entity',
        entityRef: ['group:default/directors'],
        excludeEntityRef: 'user:default/dev-alice',
      },
      payload: {
        title:
          'Reminder: payments-sftp 1.0.0 into Production is waiting for your approval since 1 Jan 2025, 00:00 UTC',
        description:
          'dev-alice asks to promote 1.0.0 of payments-sftp to Production. The request expires on 15 Jan 2025, 00:00 UTC. What changed: Retries.',
        link: '/catalog/default/component/payments-sftp/promotion',
        severity: 'normal',
        topic: 'promotion-request',
        // The reminder raises the approvers' notification of the request again.
        scope: 'promotion-request:r1',
      },
    });

    send.mockClear();
    await notifier.reminderDue({
      request,
      environmentTitle: 'Production',
      approvers: [],
    });
    expect(send).not.toHaveBeenCalled();
  });

  it('tells the requester that the request expired', async () => {
    const send = jest.fn(async () => {});
    const notifier = new PromotionNotifier({
      notifications: { send },
      logger: mockServices.logger.mock(),
    });
    await notifier.requestExpired({
      request: { ...request, status: 'expired' },
      environmentTitle: 'Production',
    });
    expect(send).toHaveBeenCalledWith({
      recipients: { type: 'entity', entityRef: 'user:default/dev-alice' },
      payload: expect.objectContaining({
        title: 'Promotion request expired: payments-sftp 1.0.0 to Production',
        description:
          'No decision was made by 15 Jan 2025, 00:00 UTC. Request the promotion again if it is still wanted.',
        link: '/catalog/default/component/payments-sftp/promotion',
        scope: 'promotion-request-expired:r1',
      }),
    });
  });

  it('logs a failed reminder or expiry notification instead of failing', async () => {
    const logger = mockServices.logger.mock();
    const notifier = new PromotionNotifier({
      notifications: {
        send: async () => {
          throw new Error('notifications backend is down');
        },
      },
      logger,
    });
    await expect(
      notifier.reminderDue({
        request,
        environmentTitle: 'Production',
        approvers: ['group:default/directors'],
      }),
    ).resolves.toBeUndefined();
    await expect(
      notifier.requestExpired({ request, environmentTitle: 'Production' }),
    ).resolves.toBeUndefined();
    expect(logger.warn).toHaveBeenCalledTimes(2);
  });

  it('links to the Promotion tab of the entity', () => {
    expect(flowLink('component:ns-1/my-flow')).toBe(
      '/catalog/ns-1/component/my-flow/promotion',
    );
  });

  describe('in words', () => {
    const entity = (
      kind: string,
      name: string,
      extra: { title?: string; displayName?: string } = {},
    ): Entity => ({
      apiVersion: 'backstage.io/v1alpha1',
      kind,
      metadata: {
        name,
        namespace: 'default',
        ...(extra.title && { title: extra.title }),
      },
      spec: extra.displayName
        ? { profile: { displayName: extra.displayName } }
        : {},
    });
    const ENTITIES = [
      entity('Component', 'payments-sftp', { title: 'Payments SFTP' }),
      entity('Component', 'ledger'),
      entity('User', 'dev-alice', { displayName: 'Alice Ng' }),
      entity('User', 'director-dana', { displayName: 'Dana Director' }),
      entity('User', 'director-erin'),
      entity('Group', 'directors', { title: 'Production approvers' }),
    ];
    const DANA = 'user:default/director-dana';
    const ERIN = 'user:default/director-erin';
    const DIRECTORS = 'group:default/directors';
    const COMPLIANCE = 'group:default/compliance';

    function setup(options?: { catalogDown?: boolean }) {
      const catalog = catalogServiceMock({ entities: ENTITIES });
      const getEntitiesByRefs = jest.spyOn(catalog, 'getEntitiesByRefs');
      if (options?.catalogDown) {
        getEntitiesByRefs.mockRejectedValue(new Error('catalog is down'));
      }
      const sent: NotificationSendOptions[] = [];
      const logger = mockServices.logger.mock();
      const notifier = new PromotionNotifier({
        notifications: {
          async send(notification) {
            sent.push(notification);
          },
        },
        logger,
        displayNames: new CatalogDisplayNames({
          catalog,
          auth: mockServices.auth(),
          logger,
        }),
      });
      return { notifier, sent, getEntitiesByRefs, logger };
    }

    const decision = (
      decidedBy: string,
      fields: Partial<Decision> = {},
    ): Decision => ({
      id: `d-${decidedBy}`,
      requestId: request.id,
      decision: 'approve',
      decidedBy,
      decidedAt: '2025-01-02T00:00:00.000Z',
      comment: 'Dossier read, tests in order.',
      dossierHash: request.dossierHash,
      ...fields,
    });

    it('names people by display name and flows by title, in one catalog read per notification', async () => {
      const { notifier, sent, getEntitiesByRefs } = setup();
      await notifier.requestCreated({
        request,
        environmentTitle: 'Production',
        approvers: [DIRECTORS],
      });
      expect(sent[0].payload).toMatchObject({
        title: 'Approval requested: Payments SFTP 1.0.0 into Production',
        description:
          'Alice Ng asks to promote 1.0.0 of Payments SFTP to Production. What changed: Retries.',
      });
      expect(getEntitiesByRefs).toHaveBeenCalledTimes(1);
      expect(getEntitiesByRefs.mock.calls[0][0].entityRefs).toEqual([
        'component:default/payments-sftp',
        'user:default/dev-alice',
      ]);
    });

    it('falls back to the entity name without a title or display name, or when the catalog does not know it', async () => {
      const { notifier, sent } = setup();
      await notifier.decisionMade({
        request: {
          ...request,
          entityRef: 'component:default/ledger',
          status: 'approved',
        },
        decision: decision(ERIN),
        environmentTitle: 'Production',
        owners: ['group:default/team-payments'],
      });
      await notifier.rollbackRecorded({
        rollback: {
          id: 'rb1',
          entityRef: 'component:default/unknown-flow',
          environmentId: 'prod',
          fromVersion: '2.0.0',
          toVersion: '1.0.0',
          reason: 'Uploads time out after 2.0.0.',
          recordedBy: 'user:default/somebody-new',
          recordedAt: '2025-01-01T00:00:00.000Z',
        },
        environmentTitle: 'Production',
        approvers: [DIRECTORS],
      });
      expect(sent.map(n => [n.payload.title, n.payload.description])).toEqual([
        [
          'Promotion approved by director-erin: ledger 1.0.0 to Production',
          'director-erin: Dossier read, tests in order.',
        ],
        [
          'Rollback: unknown-flow 2.0.0 on Production',
          'somebody-new rolled 2.0.0 back to 1.0.0: Uploads time out after 2.0.0. An incident report is requested.',
        ],
      ]);
    });

    it('still notifies, with entity names, when the catalog cannot be read', async () => {
      const { notifier, sent, logger } = setup({ catalogDown: true });
      await notifier.requestCreated({
        request,
        environmentTitle: 'Production',
        approvers: [DIRECTORS],
      });
      expect(sent[0].payload.title).toBe(
        'Approval requested: payments-sftp 1.0.0 into Production',
      );
      expect(logger.warn).toHaveBeenCalledWith(
        'Could not read display names from the catalog; entity names are used instead',
        { error: 'Error: catalog is down' },
      );
    });

    describe('a deployment through a closed gate', () => {
      const deployment: Deployment = {
        id: 'dep-1',
        entityRef: request.entityRef,
        environmentId: 'prod',
        version: '1.4.0',
        status: 'succeeded',
        reportedBy: 'service:external:ci',
        reportedAt: '2025-01-03T09:30:00.000Z',
        violation: true,
        unmetConditions: [
          {
            code: 'sign-off-missing',
            message: 'The owner has not signed off Test for version 1.4.0.',
            environmentId: 'test',
          },
          {
            code: 'approval-required',
            message:
              'Production needs a one-time approval: request promotion and wait for an approver.',
            environmentId: 'prod',
          },
        ],
      };
      const production = {
        title: 'Production',
        approval: {
          mode: 'once' as const,
          approvers: [DIRECTORS],
          minApprovers: 1,
          allowSelfApproval: false,
        },
      };

      it('tells the approvers of the environment and the audit readers, with the unmet conditions', async () => {
        const { notifier, sent } = setup();
        await notifier.violationRecorded({
          deployment,
          environment: production,
          auditReaders: [COMPLIANCE, DIRECTORS],
        });
        expect(sent).toEqual([
          {
            recipients: { type: 'entity', entityRef: [DIRECTORS, COMPLIANCE] },
            payload: {
              title:
                'Violation: Payments SFTP 1.4.0 went into Production through a closed gate',
              description:
                'external:ci (service) reported the deployment on 3 Jan 2025, 09:30 UTC while the gate was closed. Unmet conditions: The owner has not signed off Test for version 1.4.0. Production needs a one-time approval: request promotion and wait for an approver.',
              link: '/catalog/default/component/payments-sftp/promotion?deployment=dep-1',
              severity: 'critical',
              topic: 'promotion-violation',
              scope: 'promotion-violation:dep-1',
            },
          },
        ]);
      });

      it('tells only the audit readers where the environment needs no approval, and nobody when there are none', async () => {
        const { notifier, sent } = setup();
        const test = {
          title: 'Test',
          approval: {
            mode: 'none' as const,
            approvers: [],
            minApprovers: 1,
            allowSelfApproval: false,
          },
        };
        await notifier.violationRecorded({
          deployment: {
            ...deployment,
            environmentId: 'test',
            status: 'failed',
          },
          environment: test,
          auditReaders: [COMPLIANCE],
        });
        expect(sent).toHaveLength(1);
        expect(sent[0].recipients).toEqual({
          type: 'entity',
          entityRef: [COMPLIANCE],
        });
        expect(sent[0].payload.title).toBe(
          'Violation: Payments SFTP 1.4.0 failed to deploy to Test through a closed gate',
        );

        await notifier.violationRecorded({
          deployment,
          environment: test,
          auditReaders: [],
        });
        await notifier.violationRecorded({
          deployment: { ...deployment, violation: false, unmetConditions: [] },
          environment: production,
          auditReaders: [COMPLIANCE],
        });
        expect(sent).toHaveLength(1);
      });
    });

    it('tells the approvers whose approval an edit voided, not the editor, in the notification of the request', async () => {
      const { notifier, sent } = setup();
      await notifier.requestCreated({
        request,
        environmentTitle: 'Production',
        approvers: [DIRECTORS],
      });
      await notifier.approvalsVoided({
        request: { ...request, dossierHash: 'h2', revision: 2 },
        voided: [
          decision(DANA, { voidedAt: '2025-01-04T00:00:00.000Z' }),
          decision(ERIN, { voidedAt: '2025-01-04T00:00:00.000Z' }),
          decision(ERIN, {
            id: 'd-erin-2',
            voidedAt: '2025-01-04T00:00:00.000Z',
          }),
        ],
        editedBy: request.requestedBy,
        environmentTitle: 'Production',
      });
      expect(sent[1]).toEqual({
        recipients: {
          type: 'entity',
          entityRef: [DANA, ERIN],
          excludeEntityRef: request.requestedBy,
        },
        payload: {
          title: 'Approval voided: Payments SFTP 1.0.0 into Production',
          description:
            'Your approval of Payments SFTP 1.0.0 into Production was voided because Alice Ng edited the dossier; please review again. What changed: Retries.',
          link: '/catalog/default/component/payments-sftp/promotion',
          severity: 'high',
          topic: 'promotion-request',
          scope: sent[0].payload.scope,
        },
      });

      await notifier.approvalsVoided({
        request,
        voided: [],
        editedBy: request.requestedBy,
        environmentTitle: 'Production',
      });
      expect(sent).toHaveLength(2);
    });

    describe('the end of a request', () => {
      /** The approvers' notifications of the request, created then closed. */
      async function closed(
        closing: Partial<PromotionRequest>,
        reason?: string,
      ) {
        const { notifier, sent } = setup();
        await notifier.requestCreated({
          request,
          environmentTitle: 'Production',
          approvers: [DIRECTORS],
        });
        await notifier.requestClosed({
          request: { ...request, ...closing },
          environmentTitle: 'Production',
          approvers: [DIRECTORS],
          reason,
        });
        const [created, ...rest] = sent;
        for (const notification of rest.filter(
          n =>
            n.recipients.type === 'entity' &&
            n.recipients.entityRef[0] === DIRECTORS,
        )) {
          // The same scope: it replaces "Approval requested", not adds to it.
          expect(notification.payload.scope).toBe(created.payload.scope);
          expect(notification.recipients).toEqual(created.recipients);
          expect(notification.payload.severity).toBe('low');
        }
        return rest;
      }

      it('says who approved it', async () => {
        const sent = await closed({
          status: 'approved',
          decisions: [
            decision(DANA),
            decision(ERIN, {
              comment: 'Looks good',
              decidedAt: '2025-01-02T01:00:00.000Z',
            }),
            decision('user:default/director-old', {
              voidedAt: '2025-01-01T12:00:00.000Z',
            }),
          ],
        });
        expect(sent.map(n => n.payload)).toEqual([
          expect.objectContaining({
            title:
              'Decided: Payments SFTP 1.0.0 into Production was approved by Dana Director and director-erin',
            description:
              'Dana Director: Dossier read, tests in order. director-erin: Looks good. Nothing waits for your approval any more.',
          }),
        ]);
      });

      it('says who rejected it', async () => {
        const sent = await closed({
          status: 'rejected',
          decisions: [
            decision(DANA, {
              decision: 'reject',
              comment: 'Release notes are missing',
            }),
          ],
        });
        expect(sent.map(n => n.payload.title)).toEqual([
          'Decided: Payments SFTP 1.0.0 into Production was rejected by Dana Director',
        ]);
      });

      it('says that the requester withdrew it, and why', async () => {
        const sent = await closed({ status: 'withdrawn' }, 'Not needed.');
        expect(sent.map(n => [n.payload.title, n.payload.description])).toEqual(
          [
            [
              'Withdrawn: Alice Ng withdrew the request to promote Payments SFTP 1.0.0 into Production',
              'Reason: Not needed. Nothing waits for your approval any more.',
            ],
          ],
        );
      });

      it('says that it expired', async () => {
        const sent = await closed({ status: 'expired' });
        expect(sent.map(n => [n.payload.title, n.payload.description])).toEqual(
          [
            [
              'Expired: the request to promote Payments SFTP 1.0.0 into Production expired without a decision',
              'It expired on 15 Jan 2025, 00:00 UTC. Nothing waits for your approval any more.',
            ],
          ],
        );
      });

      it('says why it was superseded, to the approvers and the requester', async () => {
        const sent = await closed({
          status: 'superseded',
          closedReason: 'Superseded by the request for version 1.1.0',
        });
        expect(sent).toEqual([
          expect.objectContaining({
            payload: expect.objectContaining({
              title:
                'Superseded: the request to promote Payments SFTP 1.0.0 into Production was closed',
              description:
                'Superseded by the request for version 1.1.0. Nothing waits for your approval any more.',
            }),
          }),
          {
            recipients: { type: 'entity', entityRef: request.requestedBy },
            payload: {
              title:
                'Your promotion request was superseded: Payments SFTP 1.0.0 into Production',
              description: 'Superseded by the request for version 1.1.0.',
              link: '/catalog/default/component/payments-sftp/promotion',
              severity: 'normal',
              topic: 'promotion-request',
              scope: 'promotion-request-superseded:r1',
            },
          },
        ]);
      });

      it('accepts any closing status, and leaves a pending request alone', async () => {
        const sent = await closed({
          status: 'cancelled' as PromotionRequest['status'],
        });
        expect(sent.map(n => n.payload.title)).toEqual([
          'Closed: the request to promote Payments SFTP 1.0.0 into Production is cancelled',
        ]);
        expect(await closed({ status: 'pending' })).toEqual([]);
      });
    });
  });
});
