import { mockServices } from '@backstage/backend-test-utils';
import { PromotionRequest } from '@promotion/plugin-promotion-common';
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
          'Reminder: component:default/payments-sftp 1.0.0 into Production is waiting for your approval since 1 Jan 2025, 00:00 UTC',
        description:
          'user:default/dev-alice asks to promote 1.0.0 of component:default/payments-sftp to Production. The request expires on 15 Jan 2025, 00:00 UTC. What changed: Retries',
        link: '/catalog/default/component/payments-sftp/promotion',
        severity: 'normal',
        topic: 'promotion-request',
        scope: 'promotion-reminder:r1',
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
        title:
          'Promotion request expired: component:default/payments-sftp 1.0.0 to Production',
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
});
