import { PermissionsService } from '@backstage/backend-plugin-api';
import { mockCredentials, mockServices } from '@backstage/backend-test-utils';
import { Entity } from '@backstage/catalog-model';
import { catalogServiceMock } from '@backstage/plugin-catalog-node/testUtils';
import { AuthorizeResult } from '@backstage/plugin-permission-common';
import {
  GateCondition,
  readPromotionConfig,
  VerificationReport,
  verificationReportSchema,
} from '@promotion/plugin-promotion-common';
import {
  as,
  at,
  BOB,
  CAROL,
  dossier,
  PIPELINE,
  setUpTestStore,
  TestStore,
} from '../../database/__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../database/__testUtils__/testDatabases';
import { DatabasePromotionStore } from '../../database/DatabasePromotionStore';
import { PromotionAuthorizer } from '../../permissions/PromotionAuthorizer';
import { FlowResolver } from '../flows/FlowResolver';
import { AuditTrail } from './AuditTrail';
import {
  buildVerificationReport,
  VerificationFlow,
} from './verificationReport';
import { verificationReportToCsv } from './verificationReportCsv';

/*
 * The verification report and the audit export over the real store, a
 * chunk (a page) at a time: the report gives the rows the whole-history
 * report gave (buildVerificationReport over every flow's facts, as the
 * service computed it before), and no query returns more rows than a chunk
 * brings, however many deployments the range holds.
 */

const databases = createTestDatabases();

/** Small, so that the fixture's range spans many chunks and pages. */
const REPORT_CHUNK = 7;
const EXPORT_PAGE = 20;
/** The most post-deployment items an environment of the fixture has: the most rows one deployment brings. */
const ITEMS_PER_DEPLOYMENT = 3;

const EVERY = 'component:default/every-flow';
const ONCE = 'component:default/once-flow';
const DOSSIER_ONLY = 'component:default/dossier-only-flow';
/** A flow that no longer opts in: not in the catalog. */
const GONE = 'component:default/gone-flow';

const ladder = (
  mode: 'once' | 'every',
  options: { releaseNotesItem: boolean },
) => ({
  environments: [
    { id: 'test', title: 'Test', checklist: [{ id: 'e2e', title: 'E2E' }] },
    {
      id: 'prod',
      title: 'Production',
      approval: { mode, approvers: ['group:default/directors'] },
      postDeployment: {
        dueWithin: 'PT30M',
        checklist: [
          {
            id: 'monitor-logs',
            title: 'Monitor logs',
            minimumWait: { minutes: 15 },
          },
          { id: 'tickets', title: 'Tickets closed' },
          ...(options.releaseNotesItem
            ? [{ id: 'release-notes-delivered', title: 'Release notes sent' }]
            : []),
        ],
      },
    },
  ],
});

const config = readPromotionConfig({
  policies: {
    every: ladder('every', { releaseNotesItem: true }),
    once: ladder('once', { releaseNotesItem: true }),
    dossierOnly: ladder('every', { releaseNotesItem: false }),
  },
});

const entity = (ref: string, policy: string): Entity => ({
  apiVersion: 'backstage.io/v1alpha1',
  kind: 'Component',
  metadata: {
    name: ref.split('/')[1],
    namespace: 'default',
    annotations: { 'promotion.io/policy': policy },
  },
  spec: { type: 'service', owner: 'group:default/payments' },
});

const allowAll: PermissionsService = {
  async authorize(requests) {
    return requests.map(() => ({ result: AuthorizeResult.ALLOW }));
  },
  async authorizeConditional(requests) {
    return requests.map(() => ({ result: AuthorizeResult.ALLOW })) as any;
  },
};

const condition = (code: GateCondition['code']): GateCondition => ({
  code,
  message: `${code} message.`,
});

/**
 * Records the fixture: on each flow, versions that pass every check and
 * versions that fail each of them, redeployments of a rollback target,
 * failed deployments, a standing approval revoked and granted again, and
 * deployments too recent for their post-deployment items to be due.
 * Returns the minutes (after the clock's start) the range starts at and of
 * the last change.
 */
async function recordFixture(
  store: DatabasePromotionStore,
): Promise<{ rangeStart: number; last: number }> {
  let minute = 0;
  const tick = () => (minute += 1);

  const deploy = (
    entityRef: string,
    environmentId: string,
    version: string,
    unmet: GateCondition['code'][] = [],
    status: 'succeeded' | 'failed' = 'succeeded',
  ) =>
    store.recordDeployment(
      {
        entityRef,
        environmentId,
        version,
        status,
        evaluateGate: () => unmet.map(condition),
      },
      as(PIPELINE, tick()),
    );
  const approve = async (
    entityRef: string,
    version: string,
    releaseNotes: string,
    grantsStandingApproval = false,
  ) => {
    const { value: request } = await store.createRequest(
      {
        entityRef,
        environmentId: 'prod',
        version,
        dossier: { ...dossier, releaseNotes },
        expiresAt: at(100_000),
      },
      as(BOB, tick()),
    );
    await store.decide(
      {
        requestId: request.id,
        decision: 'approve',
        comment: 'Fine',
        minApprovers: 1,
        grantsStandingApproval,
      },
      as(CAROL, tick()),
    );
  };
  const complete = async (
    entityRef: string,
    version: string,
    itemIds: string[],
  ) => {
    for (const itemId of itemIds) {
      await store.completeChecklistItem(
        {
          entityRef,
          environmentId: 'prod',
          kind: 'post-deployment',
          itemId,
          version,
        },
        as(BOB, tick()),
      );
    }
  };
  const ALL_ITEMS = ['monitor-logs', 'tickets', 'release-notes-delivered'];

  // Before the range: 0.9.0 of each flow, approved and completed.
  for (const flow of [EVERY, DOSSIER_ONLY]) {
    await approve(flow, '0.9.0', 'Notes');
    await deploy(flow, 'prod', '0.9.0');
    await complete(flow, '0.9.0', ALL_ITEMS);
  }
  await approve(ONCE, '0.9.0', 'Notes', true);
  await deploy(ONCE, 'prod', '0.9.0');
  await complete(ONCE, '0.9.0', ALL_ITEMS);
  const rangeStart = tick();

  for (let i = 1; i <= 8; i++) {
    for (const flow of [EVERY, DOSSIER_ONLY, ONCE]) {
      const version = `1.${i}.0`;
      await deploy(flow, 'test', version);
      switch (i) {
        case 1: // Passes every check.
          if (flow !== ONCE) {
            await approve(flow, version, 'Notes');
          }
          await deploy(flow, 'prod', version);
          await complete(flow, version, ALL_ITEMS);
          break;
        case 2: // Without approval.
          await deploy(flow, 'prod', version, ['approval-required']);
          await complete(flow, version, ALL_ITEMS);
          break;
        case 3: // Not validated before, and an earlier environment skipped.
          if (flow !== ONCE) {
            await approve(flow, version, 'Notes');
          }
          await deploy(flow, 'prod', version, [
            'checklist-incomplete',
            'sign-off-missing',
            'previous-deployment-missing',
          ]);
          await complete(flow, version, ALL_ITEMS);
          break;
        case 4: // Release notes missing from the dossier.
          if (flow === ONCE) {
            await store.revokeStandingApproval(
              { entityRef: ONCE, environmentId: 'prod', reason: 'Audit' },
              as(CAROL, tick()),
            );
          }
          await approve(flow, version, '  ', flow === ONCE);
          await deploy(flow, 'prod', version);
          await complete(flow, version, ALL_ITEMS);
          break;
        case 5: // The post-deployment checklist left open; a failed attempt first.
          if (flow !== ONCE) {
            await approve(flow, version, 'Notes');
          }
          await deploy(flow, 'prod', version, ['approval-pending'], 'failed');
          await deploy(flow, 'prod', version);
          await complete(flow, version, ['tickets']);
          break;
        case 6: // Rolled back to 1.5.0, which goes back in with no approval.
          if (flow !== ONCE) {
            await approve(flow, version, 'Notes');
          }
          await deploy(flow, 'prod', version);
          await store.recordRollback(
            {
              entityRef: flow,
              environmentId: 'prod',
              fromVersion: version,
              toVersion: '1.5.0',
              reason: 'Errors',
            },
            as(BOB, tick()),
          );
          await deploy(flow, 'prod', '1.5.0');
          if (flow === ONCE) {
            await approve(ONCE, version, 'Notes again', true);
          }
          break;
        case 7: // Deployed twice: the first deployment is held to the checklist.
          if (flow !== ONCE) {
            await approve(flow, version, 'Notes');
          }
          await deploy(flow, 'prod', version);
          await deploy(flow, 'prod', version);
          await complete(flow, version, ['monitor-logs']);
          break;
        default: // 1.8.0: too recent for its items to be due when the report is made.
          if (flow !== ONCE) {
            await approve(flow, version, 'Notes');
          }
          await deploy(flow, 'prod', version);
          break;
      }
    }
  }
  // A flow that left Promotion since.
  await deploy(GONE, 'prod', '3.0.0', ['approval-required']);
  // A deployment on break-glass, whose retrospective review stays open.
  await store.declareBreakGlass(
    {
      entityRef: EVERY,
      environmentId: 'prod',
      version: '1.9.0',
      reason: 'Bank down',
      incidentLink: 'https://incidents.example.com/1',
      approvalsNeeded: 0,
      expiresAt: at(100_000),
    },
    as(BOB, tick()),
  );
  await store.recordDeployment(
    {
      entityRef: EVERY,
      environmentId: 'prod',
      version: '1.9.0',
      status: 'succeeded',
      evaluateGate: facts => ({
        unmetConditions: [],
        breakGlassId: facts.breakGlasses?.[0]?.id,
        overriddenConditions: [condition('approval-required')],
      }),
    },
    as(PIPELINE, tick()),
  );
  await complete(EVERY, '1.9.0', ALL_ITEMS);
  return { rangeStart, last: minute };
}

describe.each(databases.eachSupportedId())(
  'The verification report and the audit export, a chunk at a time, on %p',
  databaseId => {
    let made: TestStore;
    setUpTestStore(databases, databaseId, 'all', m => {
      made = m;
    });

    const flows = new FlowResolver({
      config,
      catalog: catalogServiceMock({
        entities: [
          entity(EVERY, 'every'),
          entity(ONCE, 'once'),
          entity(DOSSIER_ONLY, 'dossierOnly'),
        ],
      }),
      auth: mockServices.auth(),
      authorizer: new PromotionAuthorizer(allowAll),
    });
    const ctx = { credentials: mockCredentials.user('user:default/ann') };
    const links = { appBaseUrl: 'https://portal.example.com' };

    let range: { from: Date; to: Date };
    let now: Date;
    beforeAll(async () => {
      const { rangeStart, last } = await recordFixture(made.store);
      // 1.8.0's items (due 30 and 45 minutes after it) are pending.
      now = at(last + 20);
      range = { from: at(rangeStart), to: now };
    }, DATABASE_TEST_TIMEOUT_MS);

    const trail = (sizes: { reportChunk?: number; exportPage?: number }) =>
      new AuditTrail(
        {
          store: made.store,
          flows,
          authorizer: new PromotionAuthorizer(allowAll),
          now: () => now,
        },
        links,
        sizes,
      );

    /** The report as the service made it before: every flow's whole history, every deployment of the range at once. */
    async function wholeHistoryReport(): Promise<VerificationReport> {
      const deployments = await made.store.listDeployments(range);
      const refs = [...new Set(deployments.map(d => d.entityRef))];
      const policies = await flows.policiesOf(refs);
      const byFlow = new Map<string, VerificationFlow>();
      for (const [entityRef, policy] of policies) {
        byFlow.set(entityRef, {
          policy,
          facts: {
            ...(await made.store.getFlowFacts(entityRef)),
            breakGlasses: await made.store.listBreakGlasses({ entityRef }),
          },
        });
      }
      return buildVerificationReport({
        ...range,
        now,
        deployments,
        flows: byFlow,
        links,
      });
    }

    /** The rows each query returned while `run` ran, with its SQL. */
    async function queriesDuring(run: () => Promise<unknown>) {
      const queries: Array<{ sql: string; rows: number }> = [];
      const listener = (response: unknown, query: { sql: string }) => {
        queries.push({
          sql: query.sql,
          rows: Array.isArray(response) ? response.length : 0,
        });
      };
      made.knex.on('query-response', listener);
      try {
        await run();
      } finally {
        made.knex.removeListener('query-response', listener);
      }
      return queries;
    }

    const read = async (chunks: AsyncIterable<string>) => {
      let text = '';
      for await (const chunk of chunks) {
        text += chunk;
      }
      return text;
    };

    it(
      'gives the rows and totals of the whole-history report, with a failure of every check',
      async () => {
        const before = await wholeHistoryReport();
        // The fixture fails every check, and has rows pending.
        expect(
          before.checks.map(c => [c.kind, c.failedDeployments > 0]),
        ).toEqual(before.checks.map(c => [c.kind, true]));
        expect(before.pending.length).toBeGreaterThan(0);
        expect(before.deploymentsChecked).toBeGreaterThan(REPORT_CHUNK * 8);

        // Chunk boundaries anywhere: one deployment at a time, a few, all at once.
        for (const reportChunk of [1, 3, REPORT_CHUNK, 500]) {
          const json = await read(
            await trail({ reportChunk }).getVerificationReport(
              { ...range, format: 'json' },
              ctx,
            ),
          );
          const report = verificationReportSchema.parse(JSON.parse(json));
          expect(report).toEqual(before);

          const csv = await read(
            await trail({ reportChunk }).getVerificationReport(
              { ...range, format: 'csv' },
              ctx,
            ),
          );
          expect(csv).toBe(verificationReportToCsv(before));
        }
      },
      DATABASE_TEST_TIMEOUT_MS,
    );

    it(
      'never reads more than a chunk of deployments, nor more rows than a chunk brings, in any query',
      async () => {
        const { deploymentsChecked } = await wholeHistoryReport();
        let csv = '';
        const queries = await queriesDuring(async () => {
          csv = await read(
            await trail({ reportChunk: REPORT_CHUNK }).getVerificationReport(
              { ...range, format: 'csv' },
              ctx,
            ),
          );
        });
        expect(csv).not.toBe('');
        const chunkReads = queries.filter(
          q => /promotion_deployments/.test(q.sql) && /limit/i.test(q.sql),
        );
        // A chunk at a time, the last one short (or empty).
        expect(chunkReads).toHaveLength(
          Math.floor(deploymentsChecked / REPORT_CHUNK) + 1,
        );
        expect(Math.max(...chunkReads.map(q => q.rows))).toBe(REPORT_CHUNK);
        expect(chunkReads.reduce((sum, q) => sum + q.rows, 0)).toBe(
          deploymentsChecked,
        );
        // Every other query reads what the chunk's deployments are checked
        // against: at most their post-deployment items each.
        expect(Math.max(...queries.map(q => q.rows))).toBeLessThanOrEqual(
          REPORT_CHUNK * ITEMS_PER_DEPLOYMENT,
        );
        expect(Math.max(...queries.map(q => q.rows))).toBeLessThan(
          deploymentsChecked,
        );
      },
      DATABASE_TEST_TIMEOUT_MS,
    );

    it(
      'exports N events as N lines (NDJSON) and N lines after the header (CSV), a page at a time',
      async () => {
        const [{ count }] = await made
          .knex('promotion_audit_events')
          .count({ count: '*' });
        const events = Number(count);
        expect(events).toBeGreaterThan(EXPORT_PAGE * 4);

        let ndjson = '';
        const queries = await queriesDuring(async () => {
          ndjson = await read(
            await trail({ exportPage: EXPORT_PAGE }).exportAudit(
              { format: 'ndjson' },
              ctx,
            ),
          );
        });
        const lines = ndjson.trimEnd().split('\n');
        expect(lines).toHaveLength(events);
        expect(lines.map(line => JSON.parse(line).seq)).toEqual(
          [...lines.map(line => JSON.parse(line).seq)].sort((a, b) => a - b),
        );
        // A page at a time: the page and the one event that tells another follows.
        expect(Math.max(...queries.map(q => q.rows))).toBe(EXPORT_PAGE + 1);
        expect(queries).toHaveLength(Math.ceil(events / EXPORT_PAGE));

        const csv = await read(
          await trail({ exportPage: EXPORT_PAGE }).exportAudit(
            { format: 'csv' },
            ctx,
          ),
        );
        expect(csv.trimEnd().split('\n')).toHaveLength(events + 1);
      },
      DATABASE_TEST_TIMEOUT_MS,
    );
  },
);
