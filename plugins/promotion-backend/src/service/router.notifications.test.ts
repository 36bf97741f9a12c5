import { Entity } from '@backstage/catalog-model';
import { NotificationSendOptions } from '@backstage/plugin-notifications-node';
import { PromotionRequest } from '@promotion/plugin-promotion-common';
import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
} from '../database/__testUtils__/testDatabases';
import {
  BASE,
  bodyOf,
  dossier,
  flowPath,
  promotionApi,
  TestServer,
} from './__testUtils__/apiHelpers';
import {
  ENTITIES,
  PROMOTION_CONFIG,
  Recordings,
  startPromotionBackend,
  USERS,
} from './__testUtils__/promotionTestBackend';

jest.setTimeout(60_000);

/*
 * The notifications people get, through the real plugin and database: a
 * deployment through a closed gate reaches the environment's approvers and
 * the audit readers; an edit that voids approvals reaches their approvers;
 * the end of a request replaces the approvers' notification of it. Every
 * one names people and flows as the catalog does.
 */

const COMPLIANCE = 'group:default/compliance';
const DIRECTORS = 'group:default/directors';

const user = (name: string, displayName?: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'User',
  metadata: { name, namespace: 'default' },
  spec: displayName ? { profile: { displayName } } : {},
});

/** The test catalog, with titles for two flows and the people's display names. */
const CATALOG: Entity[] = [
  ...ENTITIES.map(entity =>
    ['ledger', 'billing', 'reports'].includes(entity.metadata.name)
      ? {
          ...entity,
          metadata: {
            ...entity.metadata,
            title: `${entity.metadata.name[0].toUpperCase()}${entity.metadata.name.slice(
              1,
            )} service`,
          },
        }
      : entity,
  ),
  user('dev-alice', 'Alice Ng'),
  user('director-dave', 'Dave Director'),
  // No display name: named by the entity's name.
  user('director-erin'),
];

const databases = createTestDatabases(['POSTGRES_15', 'SQLITE_3']);

describe.each(databases.eachSupportedId())(
  'Promotion notifications through the API on %p',
  databaseId => {
    let server: TestServer;
    let recordings: Recordings;
    beforeAll(async () => {
      const knex = await databases.init(databaseId);
      ({ server, recordings } = await startPromotionBackend({
        knex,
        config: {
          ...PROMOTION_CONFIG,
          notifications: { violationRecipients: [COMPLIANCE] },
        },
        entities: CATALOG,
      }));
    }, DATABASE_HOOK_TIMEOUT_MS);
    const { api, deploy } = promotionApi(() => server);

    /** The notifications sent while `act` ran. */
    async function sentDuring(
      act: () => Promise<unknown>,
    ): Promise<NotificationSendOptions[]> {
      const before = recordings.notifications.length;
      await act();
      return recordings.notifications.slice(before);
    }

    /** The summaries of the flow's audit events of `type`, sorted. */
    async function summariesOf(flow: string, type: string): Promise<string[]> {
      const page = await bodyOf(
        api(USERS.dave).get(`${flowPath(flow)}/events?limit=100`),
        200,
      );
      return page.items
        .filter((e: { type: string }) => e.type === type)
        .map((e: { summary: string }) => e.summary)
        .sort();
    }

    /** No notification shows a raw entity ref. */
    function expectWords(notifications: NotificationSendOptions[]) {
      for (const { payload } of notifications) {
        expect(`${payload.title} ${payload.description}`).not.toMatch(
          /(user|group|component):default\//,
        );
      }
    }

    it('tells the approvers and the audit readers of a deployment through a closed gate, with the unmet conditions', async () => {
      // Through an open gate: nobody is told.
      expect(await sentDuring(() => deploy('ledger', 'dev', '1.0.0'))).toEqual(
        [],
      );

      let deploymentId = '';
      let unmetConditions: Array<{ message: string }> = [];
      const sent = await sentDuring(async () => {
        const deployment = await deploy('ledger', 'prod', '1.0.0');
        expect(deployment.violation).toBe(true);
        deploymentId = deployment.id;
        unmetConditions = deployment.unmetConditions;
      });
      expect(unmetConditions.length).toBeGreaterThan(1);
      expect(sent).toEqual([
        {
          recipients: { type: 'entity', entityRef: [DIRECTORS, COMPLIANCE] },
          payload: {
            title:
              'Violation: Ledger service 1.0.0 went into Production through a closed gate',
            description: expect.stringMatching(
              /^[^ ]+ \(service\) reported the deployment on .+ UTC while the gate was closed\. Unmet conditions: /,
            ),
            link: `/catalog/default/component/ledger/promotion?deployment=${deploymentId}`,
            severity: 'critical',
            topic: 'promotion-violation',
            scope: `promotion-violation:${deploymentId}`,
          },
        },
      ]);
      const description = sent[0].payload.description!;
      for (const { message } of unmetConditions) {
        // Each of the gate's sentences, once, with its own full stop.
        expect(description).toContain(message);
        expect(description).not.toContain(`${message}.`);
      }
      expectWords(sent);
    });

    it('asks the approvers whose approval an edit voided to review again, then closes their notification on withdrawal', async () => {
      await deploy('billing', 'dev', '2.0.0');
      let created: PromotionRequest | undefined;
      const requested = await sentDuring(async () => {
        created = await bodyOf(
          api(USERS.alice).post(`${flowPath('billing')}/requests`, {
            environment: 'prod',
            version: '2.0.0',
            dossier: dossier(),
          }),
        );
      });
      const id = created!.id;
      const scope = requested.find(n => n.payload.topic === 'promotion-request')
        ?.payload.scope;
      expect(requested).toEqual([
        {
          recipients: {
            type: 'entity',
            entityRef: [USERS.dave, USERS.erin],
            excludeEntityRef: USERS.alice,
          },
          payload: expect.objectContaining({
            title: 'Approval requested: Billing service 2.0.0 into Production',
            description: expect.stringMatching(
              /^Alice Ng asks to promote 2\.0\.0 of Billing service to Production\. /,
            ),
            scope,
          }),
        },
      ]);

      await bodyOf(
        api(USERS.dave).post(`${BASE}/requests/${id}/decisions`, {
          decision: 'approve',
          comment: 'Fine by me',
        }),
        200,
      );

      const edited = await sentDuring(() =>
        bodyOf(
          api(USERS.alice).patch(`${BASE}/requests/${id}`, {
            dossier: dossier('Also fixes the report header'),
            revision: created!.revision,
          }),
          200,
        ),
      );
      expect(edited).toEqual([
        {
          recipients: {
            type: 'entity',
            entityRef: [USERS.dave],
            excludeEntityRef: USERS.alice,
          },
          payload: {
            title: 'Approval voided: Billing service 2.0.0 into Production',
            description:
              'Your approval of Billing service 2.0.0 into Production was voided because Alice Ng edited the dossier; please review again. What changed: Retries failed transfers.',
            link: '/catalog/default/component/billing/promotion',
            severity: 'high',
            topic: 'promotion-request',
            scope,
          },
        },
      ]);

      const withdrawn = await sentDuring(() =>
        bodyOf(
          api(USERS.alice).post(`${BASE}/requests/${id}/withdraw`, {
            reason: 'Wrong build..',
          }),
          200,
        ),
      );
      expect(withdrawn).toEqual([
        {
          recipients: requested[0].recipients,
          payload: expect.objectContaining({
            title:
              'Withdrawn: Alice Ng withdrew the request to promote Billing service 2.0.0 into Production',
            description:
              'Reason: Wrong build. Nothing waits for your approval any more.',
            severity: 'low',
            scope,
          }),
        },
      ]);
      expectWords([...requested, ...edited, ...withdrawn]);

      // The audit summary says the full stop once.
      expect(await summariesOf('billing', 'request.withdrawn')).toEqual([
        'Withdrew the promotion request: Wrong build.',
      ]);
    });

    it("replaces the approvers' notification of a request when it is decided, naming who decided", async () => {
      await deploy('reports', 'dev', '3.0.0');
      const created: PromotionRequest = await bodyOf(
        api(USERS.alice).post(`${flowPath('reports')}/requests`, {
          environment: 'prod',
          version: '3.0.0',
          dossier: dossier(),
        }),
      );
      const requested = recordings.notifications.find(n =>
        n.payload.title.startsWith('Approval requested: Reports service'),
      )!;

      await bodyOf(
        api(USERS.dave).post(`${BASE}/requests/${created.id}/decisions`, {
          decision: 'approve',
          comment: 'Approved: dossier read.',
        }),
        200,
      );
      const decided = await sentDuring(() =>
        bodyOf(
          api(USERS.erin).post(`${BASE}/requests/${created.id}/decisions`, {
            decision: 'approve',
            comment: 'Tests in order',
          }),
          200,
        ),
      );
      const closing = decided.filter(
        n => n.payload.scope === requested.payload.scope,
      );
      expect(closing).toEqual([
        {
          recipients: requested.recipients,
          payload: expect.objectContaining({
            title:
              'Decided: Reports service 3.0.0 into Production was approved by Dave Director and director-erin',
            description:
              'Dave Director: Approved: dossier read. director-erin: Tests in order. Nothing waits for your approval any more.',
            severity: 'low',
          }),
        },
      ]);
      // The audit summary of Dave's decision says "Approved" once.
      expect(await summariesOf('reports', 'decision.recorded')).toEqual([
        'Approved: Tests in order',
        'Approved: dossier read.',
      ]);
      // The requester hears of the decision in words too.
      expect(
        decided.find(n => n.payload.topic === 'promotion-decision')?.payload
          .title,
      ).toBe(
        'Promotion approved by director-erin: Reports service 3.0.0 to Production',
      );
      expectWords(decided);
    });
  },
);
