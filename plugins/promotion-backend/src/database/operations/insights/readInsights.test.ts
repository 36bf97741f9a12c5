import { GateCondition } from '@promotion/plugin-promotion-common';
import {
  ALICE,
  BOB,
  dossier,
  FLOW,
  PIPELINE,
  setUpTestStore,
} from '../../__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../__testUtils__/testDatabases';
import { DatabasePromotionStore } from '../../DatabasePromotionStore';
import { AuditContext } from '../../PromotionStore';
import { InsightsQuery } from './readInsights';

/*
 * The insights' aggregates on every supported database, over a story with
 * known numbers: the same weeks, counts, medians and 90th percentiles
 * (percentile_cont's linear interpolation) on PostgreSQL, SQLite and MySQL.
 */

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

const databases = createTestDatabases();

const OTHER = 'component:default/billing';
const HOUR = 60 * 60 * 1000;
const DAY = 24 * HOUR;
/** Hours in whole milliseconds, as the insights round them. */
const h = (hours: number) => Math.round(hours * HOUR);
/** A Monday, 00:00 UTC: the first week of the story. */
const W0 = new Date('2026-11-16T00:00:00.000Z');
const at = (ms: number) => new Date(W0.getTime() + ms);
const as = (actor: string, ms: number): AuditContext => ({
  actor,
  now: at(ms),
});

const unmet: GateCondition[] = [
  {
    code: 'approval-required',
    message: 'Production needs an approval',
    environmentId: 'production',
  },
];

/**
 * Two flows over two weeks:
 * - payments-sftp 1.0.0: Dev at 1 h, Production at 25 h (24 h);
 *   2.0.0: Dev at 2 d, Production at 7 d 2 h (122 h), rolled back at 7 d 3 h;
 *   3.0.0: Dev only; 9.0.0: a failed Production deployment.
 * - billing 1.0.0: Dev at 3 h, Production at 4 h (1 h); 2.0.0: Production
 *   through a closed gate at 7 d 4 h, never in Dev (a violation).
 * - Requests decided: 2 h, 30 min (rejected), 10 h; pending: two, made at
 *   7 d 1 h and 7 d 5 h.
 */
async function tellTheStory(store: DatabasePromotionStore) {
  const deploy = (
    entityRef: string,
    environmentId: string,
    version: string,
    ms: number,
    options: { failed?: boolean; violation?: boolean } = {},
  ) =>
    store.recordDeployment(
      {
        entityRef,
        environmentId,
        version,
        status: options.failed ? 'failed' : 'succeeded',
        evaluateGate: () => (options.violation ? unmet : []),
      },
      as(PIPELINE, ms),
    );
  const request = async (
    entityRef: string,
    version: string,
    madeAt: number,
    decision?: { kind: 'approve' | 'reject'; at: number },
  ) => {
    const { value } = await store.createRequest(
      {
        entityRef,
        environmentId: 'production',
        version,
        dossier,
        expiresAt: at(madeAt + 14 * DAY),
      },
      as(ALICE, madeAt),
    );
    if (decision) {
      await store.decide(
        {
          requestId: value.id,
          decision: decision.kind,
          comment: 'Read the dossier',
          minApprovers: 1,
          grantsStandingApproval: false,
        },
        as(BOB, decision.at),
      );
    }
  };

  await deploy(FLOW, 'dev', '1.0.0', 1 * HOUR);
  await request(FLOW, '1.0.0', 2 * HOUR, { kind: 'approve', at: 4 * HOUR });
  await deploy(OTHER, 'dev', '1.0.0', 3 * HOUR);
  await request(OTHER, '1.0.0', 3 * HOUR, {
    kind: 'reject',
    at: 3 * HOUR + 30 * 60 * 1000,
  });
  await deploy(OTHER, 'production', '1.0.0', 4 * HOUR);
  await deploy(FLOW, 'production', '1.0.0', 25 * HOUR);
  await deploy(FLOW, 'dev', '2.0.0', 2 * DAY);
  await request(FLOW, '2.0.0', 6 * DAY, {
    kind: 'approve',
    at: 6 * DAY + 10 * HOUR,
  });
  await deploy(FLOW, 'production', '2.0.0', 7 * DAY + 2 * HOUR);
  await store.recordRollback(
    {
      entityRef: FLOW,
      environmentId: 'production',
      fromVersion: '2.0.0',
      toVersion: '1.0.0',
      reason: 'Uploads fail',
    },
    as(ALICE, 7 * DAY + 3 * HOUR),
  );
  await deploy(FLOW, 'dev', '3.0.0', 7 * DAY + 1 * HOUR);
  await deploy(FLOW, 'production', '9.0.0', 7 * DAY + 1 * HOUR, {
    failed: true,
  });
  await deploy(OTHER, 'production', '2.0.0', 7 * DAY + 4 * HOUR, {
    violation: true,
  });
  await request(FLOW, '3.0.0', 7 * DAY + 1 * HOUR);
  await request(OTHER, '3.0.0', 7 * DAY + 5 * HOUR);
}

const query = (overrides: Partial<InsightsQuery> = {}): InsightsQuery => ({
  from: W0,
  to: at(8 * DAY),
  now: at(8 * DAY),
  weekZero: W0,
  productionEnvironments: ['production'],
  firstEnvironments: ['dev'],
  ...overrides,
});

describe.each(databases.eachSupportedId())('readInsights on %p', databaseId => {
  let store: DatabasePromotionStore;
  setUpTestStore(databases, databaseId, 'all', made => {
    store = made.store;
  });
  beforeAll(async () => {
    await tellTheStory(store);
  }, DATABASE_TEST_TIMEOUT_MS);

  it('counts per week and measures the whole portal', async () => {
    const facts = await store.readInsights(query());

    expect(Object.fromEntries(facts.productionDeployments)).toEqual({
      0: 2,
      1: 2,
    });
    expect(Object.fromEntries(facts.rollbacks)).toEqual({ 1: 1 });
    expect(Object.fromEntries(facts.violations)).toEqual({ 1: 1 });
    // 30 min, 2 h, 10 h.
    expect(facts.approvalLeadTime).toEqual({
      count: 3,
      medianMs: 2 * HOUR,
      p90Ms: h(8.4),
    });
    // 1 h, 24 h, 122 h; billing 2.0.0 never ran in Dev.
    expect(facts.devToProduction).toMatchObject({
      count: 3,
      medianMs: 24 * HOUR,
      p90Ms: h(102.4),
    });
    expect(
      facts.devToProduction.versions.map(v => [
        v.entityRef,
        v.version,
        v.durationMs,
      ]),
    ).toEqual([
      [FLOW, '2.0.0', 122 * HOUR],
      [FLOW, '1.0.0', 24 * HOUR],
      [OTHER, '1.0.0', 1 * HOUR],
    ]);
    expect(facts.devToProduction.versions[0]).toMatchObject({
      devAt: at(2 * DAY).toISOString(),
      productionAt: at(7 * DAY + 2 * HOUR).toISOString(),
    });
    // Made 23 h and 19 h before now.
    expect(facts.waiting).toEqual({
      count: 2,
      oldestMs: 23 * HOUR,
      medianMs: 21 * HOUR,
      p90Ms: h(22.6),
    });
  });

  it('measures one flow', async () => {
    const facts = await store.readInsights(query({ entityRef: FLOW }));

    expect(Object.fromEntries(facts.productionDeployments)).toEqual({
      0: 1,
      1: 1,
    });
    expect(Object.fromEntries(facts.rollbacks)).toEqual({ 1: 1 });
    expect(facts.violations.size).toBe(0);
    expect(facts.approvalLeadTime).toEqual({
      count: 2,
      medianMs: 6 * HOUR,
      p90Ms: h(9.2),
    });
    expect(facts.devToProduction).toMatchObject({
      count: 2,
      medianMs: 73 * HOUR,
      p90Ms: h(112.2),
    });
    expect(facts.waiting).toMatchObject({ count: 1, oldestMs: 23 * HOUR });
  });

  it('counts only what falls in the range, in the weeks of the range', async () => {
    // From Thursday of the first week: its Production deployments are before.
    const facts = await store.readInsights(
      query({ from: at(3 * DAY), to: at(7 * DAY + 2 * HOUR) }),
    );

    expect(Object.fromEntries(facts.productionDeployments)).toEqual({ 1: 1 });
    expect(facts.rollbacks.size).toBe(0);
    expect(facts.violations.size).toBe(0);
    expect(facts.approvalLeadTime).toEqual({
      count: 1,
      medianMs: 10 * HOUR,
      p90Ms: 10 * HOUR,
    });
    expect(facts.devToProduction.count).toBe(1);
  });

  it('answers nulls where nothing was measured', async () => {
    const facts = await store.readInsights(
      query({
        from: at(20 * DAY),
        to: at(21 * DAY),
        entityRef: 'component:default/nothing',
      }),
    );

    expect(facts.productionDeployments.size).toBe(0);
    expect(facts.approvalLeadTime).toEqual({
      count: 0,
      medianMs: null,
      p90Ms: null,
    });
    expect(facts.devToProduction).toEqual({
      count: 0,
      medianMs: null,
      p90Ms: null,
      versions: [],
    });
    expect(facts.waiting).toEqual({
      count: 0,
      medianMs: null,
      p90Ms: null,
      oldestMs: null,
    });
  });
});
