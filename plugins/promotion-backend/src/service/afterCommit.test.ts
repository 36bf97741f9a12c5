import { AuditorService } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import {
  AuditEvent,
  PromotionRequest,
} from '@promotion/plugin-promotion-common';
import type { Request } from 'express';
import { EventNotifications } from '../notifications/eventNotifications';
import { PromotionNotifier } from '../notifications/PromotionNotifier';
import { AfterCommit } from './afterCommit';

const FLOW = 'component:default/payments-sftp';
const OTHER_FLOW = 'component:default/ledger';
/** The signal channels the Promotion tab and the approvals inbox subscribe to. */
const flowChannel = (entityRef: string) => `promotion:${entityRef}`;
const INBOX_CHANNEL = 'promotion:inbox';

const event = (seq: number): AuditEvent => ({
  seq,
  id: `e${seq}`,
  type: 'sign-off.given',
  entityRef: FLOW,
  environmentId: 'test',
  version: '1.0.0',
  actor: 'user:default/alice',
  occurredAt: new Date(Date.UTC(2025, 0, 1, 0, 0, seq)).toISOString(),
  summary: 'Signed off',
  payload: {},
  previousHash: `h${seq - 1}`,
  hash: `h${seq}`,
});

/** An AfterCommit over a real notifier whose services write, in order, into one log. */
function setup(options?: { failAuditEvent?: number }) {
  const log: string[] = [];
  const auditor: AuditorService = {
    async createEvent(auditorEvent) {
      if (auditorEvent.meta?.seq === options?.failAuditEvent) {
        throw new Error('auditor is down');
      }
      return {
        success: async () => {
          log.push(`auditor ${auditorEvent.eventId} ${auditorEvent.meta?.seq}`);
        },
        fail: async () => {},
      };
    },
  };
  const logger = mockServices.logger.mock();
  const notifier = new PromotionNotifier({
    notifications: {
      async send(notification) {
        log.push(`notification ${notification.payload.title}`);
      },
    },
    signals: {
      async publish(signal) {
        log.push(`signal ${signal.channel}`);
      },
    },
    logger,
  });
  return {
    log,
    logger,
    afterCommit: new AfterCommit({ auditor, notifier, logger }),
  };
}

describe('AfterCommit', () => {
  it('hands the events to the auditor, then notifies people, then refreshes screens', async () => {
    const { log, afterCommit } = setup();
    await afterCommit.publish({
      events: [event(1), event(2)],
      notify: async notifier => {
        log.push('notify');
        // What the notify step sends goes through the same notifier.
        await notifier.flowChanged(OTHER_FLOW);
      },
      changedFlows: [FLOW],
    });
    expect(log).toEqual([
      'auditor sign-off.given 1',
      'auditor sign-off.given 2',
      'notify',
      `signal ${flowChannel(OTHER_FLOW)}`,
      `signal ${flowChannel(FLOW)}`,
    ]);
  });

  it("tells what the events call for after the change's own notifications, before refreshing screens", async () => {
    const log: string[] = [];
    const logger = mockServices.logger.mock();
    const notifier = new PromotionNotifier({
      notifications: {
        async send(notification) {
          log.push(`notification ${notification.payload.title}`);
        },
      },
      signals: {
        async publish(signal) {
          log.push(`signal ${signal.channel}`);
        },
      },
      logger,
    });
    const withdrawn = {
      ...event(1),
      type: 'request.withdrawn' as const,
      environmentId: 'prod',
      payload: { requestId: 'r1', status: 'withdrawn' },
    };
    const request: PromotionRequest = {
      id: 'r1',
      entityRef: FLOW,
      environmentId: 'prod',
      version: '1.0.0',
      status: 'withdrawn',
      dossier: { whatChanged: '', why: '', testResults: '', releaseNotes: '' },
      dossierHash: 'h',
      revision: 1,
      requestedBy: 'user:default/alice',
      createdAt: '2025-01-01T00:00:00.000Z',
      updatedAt: '2025-01-01T00:00:00.000Z',
      expiresAt: '2025-01-15T00:00:00.000Z',
      decisions: [],
    };
    const afterCommit = new AfterCommit({
      auditor: {
        async createEvent() {
          return { success: async () => {}, fail: async () => {} };
        },
      },
      notifier,
      eventNotifications: new EventNotifications({
        getRequest: async () => request,
        policiesOf: async refs =>
          new Map(
            refs.map(ref => [
              ref,
              {
                name: 'p',
                environments: [
                  {
                    id: 'prod',
                    title: 'Production',
                    checklist: [],
                    signOff: { required: false },
                    approval: {
                      mode: 'once' as const,
                      approvers: ['group:default/directors'],
                      minApprovers: 1,
                      allowSelfApproval: false,
                    },
                    postDeployment: [],
                    postDeploymentRules: {
                      blocksNextVersion: false,
                      dueWithinSeconds: 0,
                    },
                    rollback: { earlierVersionsDeployable: false },
                  },
                ],
              },
            ]),
          ),
        violationRecipients: [],
        logger,
      }),
      logger,
    });
    const told =
      'notification Withdrawn: alice withdrew the request to promote payments-sftp 1.0.0 into Production';
    await afterCommit.publish({
      events: [withdrawn],
      notify: async () => {
        log.push('notify');
      },
      changedFlows: [FLOW],
    });
    expect(log).toEqual(['notify', told, `signal ${flowChannel(FLOW)}`]);

    // The change's own step told the end of the request: its event does not tell it again.
    log.length = 0;
    await afterCommit.publish({
      events: [withdrawn],
      notify: async changeNotifier => {
        await changeNotifier.requestClosed({
          request,
          environmentTitle: 'Production',
          approvers: ['group:default/directors'],
        });
      },
    });
    expect(log).toEqual([told]);
  });

  it('refreshes the approvals inbox with each changed flow when asked', async () => {
    const { log, afterCommit } = setup();
    await afterCommit.publish({
      events: [],
      changedFlows: new Set([FLOW, OTHER_FLOW]),
      inbox: true,
    });
    expect(log).toEqual([
      `signal ${flowChannel(FLOW)}`,
      `signal ${INBOX_CHANNEL}`,
      `signal ${flowChannel(OTHER_FLOW)}`,
      `signal ${INBOX_CHANNEL}`,
    ]);
  });

  it('sends nothing but the audit events when no flow changed', async () => {
    const { log, afterCommit } = setup();
    await afterCommit.publish({ events: [event(1)], changedFlows: [] });
    expect(log).toEqual(['auditor sign-off.given 1']);
  });

  it('logs an event the auditor refuses and carries on with the rest', async () => {
    const { log, logger, afterCommit } = setup({ failAuditEvent: 1 });
    await afterCommit.publish({
      events: [event(1), event(2)],
      changedFlows: [FLOW],
    });
    expect(log).toEqual([
      'auditor sign-off.given 2',
      `signal ${flowChannel(FLOW)}`,
    ]);
    expect(logger.error).toHaveBeenCalledWith(
      'Could not send audit event 1 (sign-off.given) to the auditor service',
      { error: 'Error: auditor is down' },
    );
  });

  it('describes the HTTP request of the call to the auditor', async () => {
    const created: Parameters<AuditorService['createEvent']>[0][] = [];
    const logger = mockServices.logger.mock();
    const afterCommit = new AfterCommit({
      auditor: {
        async createEvent(auditorEvent) {
          created.push(auditorEvent);
          return { success: async () => {}, fail: async () => {} };
        },
      },
      notifier: new PromotionNotifier({
        notifications: { send: async () => {} },
        logger,
      }),
      logger,
    });
    const request = { method: 'POST' } as Request;
    await afterCommit.publish({
      events: [event(3)],
      ctx: { credentials: mockCredentials.user(), request },
    });
    expect(created).toEqual([
      {
        eventId: 'sign-off.given',
        severityLevel: 'medium',
        request,
        meta: {
          seq: 3,
          eventId: 'e3',
          entityRef: FLOW,
          environmentId: 'test',
          version: '1.0.0',
          actor: 'user:default/alice',
          summary: 'Signed off',
          hash: 'h3',
        },
      },
    ]);
  });
});
