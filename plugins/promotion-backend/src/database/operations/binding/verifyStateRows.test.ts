import { TestDatabaseId } from '@backstage/backend-test-utils';
import { Knex } from 'knex';
import { randomUUID } from 'node:crypto';
import {
  ALICE,
  as,
  at,
  BOB,
  dossier,
  FLOW,
  PIPELINE,
  setUpTestStore,
} from '../../__testUtils__/storeFixture';
import {
  createTestDatabases,
  DATABASE_HOOK_TIMEOUT_MS,
  DATABASE_TEST_TIMEOUT_MS,
} from '../../__testUtils__/testDatabases';
import { DatabasePromotionStore } from '../../DatabasePromotionStore';
import { TABLES } from '../../tables';
import { AuditBreak } from './auditBreak';
import { StateRowsVerification, verifyStateRows } from './verifyStateRows';

jest.setTimeout(DATABASE_TEST_TIMEOUT_MS);

const databases = createTestDatabases();

const OTHER_FLOW = 'component:default/ledger';
const DANA = 'user:default/dana';
const ERIN = 'user:default/erin';

/** The ids of the rows the recorded flow left, one or more per state table. */
interface Recorded {
  approvedRequestId: string;
  withdrawnRequestId: string;
  expiredRequestId: string;
  /** Superseded by the deployment of its version. */
  supersededRequestId: string;
  /** Superseded by the request for a newer version. */
  replacedRequestId: string;
  danaDecisionId: string;
  voidedDecisionId: string;
  standingApprovalId: string;
  rolledBackDeploymentId: string;
  standingDeploymentId: string;
  completionId: string;
  undoneCompletionId: string;
  signOffId: string;
  rollbackId: string;
}

/**
 * A real flow recorded through the store, touching every state table and
 * every kind of change: requests created, edited, reminded, approved,
 * withdrawn, expired and superseded (by a deployment and by a newer
 * request); decisions made and voided; a standing approval
 * granted and revoked; deployments recorded and rolled back; checklist items
 * completed and undone; a sign-off.
 */
async function recordFlow(store: DatabasePromotionStore): Promise<Recorded> {
  const approved = await store.createRequest(
    {
      entityRef: FLOW,
      environmentId: 'production',
      version: '1.0.0',
      dossier,
      expiresAt: at(600),
    },
    as(ALICE, 0),
  );
  await store.claimReminders(
    { olderThan: at(1), now: at(2), limit: 10 },
    { actor: 'service:promotion' },
  );
  const decided = await store.decide(
    {
      requestId: approved.value.id,
      decision: 'approve',
      comment: 'Test results validated',
      minApprovers: 1,
      grantsStandingApproval: true,
    },
    as(DANA, 3),
  );

  const withdrawn = await store.createRequest(
    {
      entityRef: FLOW,
      environmentId: 'test',
      version: '1.1.0',
      dossier,
      expiresAt: at(600),
    },
    as(ALICE, 4),
  );
  const voided = await store.decide(
    {
      requestId: withdrawn.value.id,
      decision: 'approve',
      comment: 'Fine by me',
      minApprovers: 2,
      grantsStandingApproval: false,
    },
    as(BOB, 5),
  );
  await store.editRequest(
    {
      requestId: withdrawn.value.id,
      expectedRevision: 1,
      dossier: { ...dossier, releaseNotes: 'Faster uploads, fewer retries' },
    },
    as(ALICE, 6),
  );
  await store.withdrawRequest(withdrawn.value.id, {
    ...as(ALICE, 7),
    reason: 'Superseded',
  });

  const expired = await store.createRequest(
    {
      entityRef: OTHER_FLOW,
      environmentId: 'production',
      version: '3.0.0',
      dossier,
      expiresAt: at(8),
    },
    as(BOB, 7),
  );
  await store.expireRequests(as('service:promotion', 9));

  const deploy = (version: string, minutes: number, link?: string) =>
    store.recordDeployment(
      {
        entityRef: FLOW,
        environmentId: 'production',
        version,
        status: 'succeeded',
        link,
        idempotencyKey: `run-${version}`,
        evaluateGate: () =>
          version === '0.9.0'
            ? [
                {
                  code: 'approval-required',
                  message: 'Production needs an approval',
                  environmentId: 'production',
                },
              ]
            : [],
      },
      as(PIPELINE, minutes),
    );
  // Deployed through the closed gate while its request waits: superseded.
  const superseded = await store.createRequest(
    {
      entityRef: FLOW,
      environmentId: 'production',
      version: '0.9.0',
      dossier,
      expiresAt: at(600),
    },
    as(ALICE, 9),
  );
  const standing = await deploy('0.9.0', 10);
  expect(standing.superseded.map(r => r.id)).toEqual([superseded.value.id]);
  const rolledBack = await deploy('1.0.0', 11, 'https://ci.example.com/1');

  const completion = await store.completeChecklistItem(
    {
      entityRef: FLOW,
      environmentId: 'production',
      kind: 'post-deployment',
      itemId: 'smoke-tests',
      version: '1.0.0',
      evidenceLink: 'https://ci.example.com/smoke',
      note: 'All green',
      // As a pipeline attests an item: the short result is bound too.
      result: '42 smoke tests passed',
    },
    as(BOB, 12),
  );
  const undone = await store.completeChecklistItem(
    {
      entityRef: FLOW,
      environmentId: 'production',
      kind: 'validation',
      itemId: 'release-notes',
    },
    as(BOB, 13),
  );
  await store.undoChecklistItem(
    {
      entityRef: FLOW,
      environmentId: 'production',
      kind: 'validation',
      itemId: 'release-notes',
      reason: 'Wrong document',
    },
    as(BOB, 14),
  );
  const signOff = await store.createSignOff(
    {
      entityRef: FLOW,
      environmentId: 'production',
      version: '1.0.0',
      comment: 'Customer validated the test results',
    },
    as(ERIN, 15),
  );
  const rollback = await store.recordRollback(
    {
      entityRef: FLOW,
      environmentId: 'production',
      fromVersion: '1.0.0',
      toVersion: '0.9.0',
      reason: 'Uploads fail for large files',
    },
    as(ALICE, 16),
  );
  expect(rollback.value.revoked).toHaveLength(1);

  const replaced = await store.createRequest(
    {
      entityRef: OTHER_FLOW,
      environmentId: 'test',
      version: '3.1.0',
      dossier,
      expiresAt: at(600),
    },
    as(BOB, 17),
  );
  const newer = await store.createRequest(
    {
      entityRef: OTHER_FLOW,
      environmentId: 'test',
      version: '3.2.0',
      dossier,
      expiresAt: at(600),
      supersedeOlderRequests: true,
    },
    as(BOB, 18),
  );
  expect(newer.superseded.map(r => r.id)).toEqual([replaced.value.id]);

  const standingApproval = (await store.getFlowFacts(FLOW))
    .standingApprovals[0];
  return {
    approvedRequestId: approved.value.id,
    withdrawnRequestId: withdrawn.value.id,
    expiredRequestId: expired.value.id,
    supersededRequestId: superseded.value.id,
    replacedRequestId: replaced.value.id,
    danaDecisionId: decided.value.decision.id,
    voidedDecisionId: voided.value.decision.id,
    standingApprovalId: standingApproval.id,
    rolledBackDeploymentId: rolledBack.value.id,
    standingDeploymentId: standing.value.id,
    completionId: completion.value.id,
    undoneCompletionId: undone.value.id,
    signOffId: signOff.value.id,
    rollbackId: rollback.value.rollback.id,
  };
}

/** Which break, without the wording. */
const where = (b: AuditBreak) => ({
  kind: b.kind,
  table: b.table,
  rowId: b.rowId,
});

describe.each(databases.eachSupportedId())(
  'verifyStateRows on %s',
  (databaseId: TestDatabaseId) => {
    let knex: Knex;
    let store: DatabasePromotionStore;
    let recorded: Recorded;
    let totalRows: number;

    setUpTestStore(databases, databaseId, 'all', made => {
      ({ knex, store } = made);
    });

    beforeAll(async () => {
      recorded = await recordFlow(store);
      totalRows = 0;
      for (const table of [
        TABLES.deployments,
        TABLES.checklistCompletions,
        TABLES.signOffs,
        TABLES.requests,
        TABLES.decisions,
        TABLES.standingApprovals,
        TABLES.rollbacks,
      ]) {
        const [{ count }] = await knex(table).count({ count: '*' });
        totalRows += Number(count);
      }
    }, DATABASE_HOOK_TIMEOUT_MS);

    /** Tampers with the rows inside a transaction, verifies in it, and rolls it back. */
    async function verifyAfter(
      tamper: (tx: Knex.Transaction) => Promise<unknown>,
    ): Promise<StateRowsVerification> {
      const tx = await knex.transaction();
      try {
        await tamper(tx);
        return await verifyStateRows(tx);
      } finally {
        await tx.rollback();
      }
    }

    it('finds no break in a store written only through the store', async () => {
      for (const pageSize of [undefined, 1, 2]) {
        const result = await verifyAfter(async () => {});
        expect(result).toEqual({
          rowsChecked: totalRows,
          breaks: [],
          breaksTruncated: false,
        });
        const paged = await knex.transaction(tx =>
          verifyStateRows(tx, { pageSize }),
        );
        expect(paged).toEqual(result);
      }
      // Every state table has rows: 6 requests, 2 decisions, 1 standing
      // approval, 2 deployments, 2 completions, 1 sign-off, 1 rollback.
      expect(totalRows).toBe(15);
    });

    it('names the decision whose decider was changed from dana to erin', async () => {
      const result = await verifyAfter(tx =>
        tx(TABLES.decisions)
          .where({ id: recorded.danaDecisionId })
          .update({ decided_by: ERIN }),
      );
      expect(result.breaks).toEqual([
        {
          kind: 'state-altered',
          message: expect.stringMatching(
            new RegExp(
              `^promotion_decisions row ${recorded.danaDecisionId} says decided_by is "${ERIN}", but audit event #\\d+ \\(decision\\.recorded\\) recorded "${DANA}"$`,
            ),
          ),
          seq: expect.any(Number),
          entityRef: FLOW,
          table: TABLES.decisions,
          rowId: recorded.danaDecisionId,
        },
      ]);
    });

    it('makes the verification of the store report what was intact before', async () => {
      expect(await store.verifyStateRows()).toEqual({
        rowsChecked: totalRows,
        breaks: [],
        breaksTruncated: false,
      });
      const before = await store.verifyChain();
      expect(before).toMatchObject({ intact: true, rowsChecked: totalRows });

      // The database writer changes who decided; the events are untouched.
      await knex(TABLES.decisions)
        .where({ id: recorded.danaDecisionId })
        .update({ decided_by: ERIN });
      try {
        const after = await store.verifyChain();
        expect(after.intact).toBe(false);
        expect(after.breaks).toEqual([
          expect.objectContaining({
            kind: 'state-altered',
            table: TABLES.decisions,
            rowId: recorded.danaDecisionId,
          }),
        ]);
        expect(after.problem).toContain(
          `says decided_by is "${ERIN}", but audit event`,
        );
        expect((await store.verifyStateRows()).breaks).toEqual(after.breaks);
      } finally {
        await knex(TABLES.decisions)
          .where({ id: recorded.danaDecisionId })
          .update({ decided_by: DANA });
      }
    });

    /** One edited field per state table, with a value the events did not record. */
    const edits: [string, keyof Recorded, string, unknown][] = [
      [TABLES.requests, 'approvedRequestId', 'requested_by', ERIN],
      [TABLES.requests, 'withdrawnRequestId', 'status', 'approved'],
      [TABLES.requests, 'approvedRequestId', 'revision', 7],
      [TABLES.requests, 'withdrawnRequestId', 'dossier', '{"why":"forged"}'],
      [TABLES.requests, 'approvedRequestId', 'last_reminded_at', null],
      [TABLES.requests, 'expiredRequestId', 'expires_at', at(900)],
      [TABLES.requests, 'supersededRequestId', 'status', 'withdrawn'],
      [TABLES.requests, 'supersededRequestId', 'closed_reason', 'Forged'],
      [TABLES.requests, 'replacedRequestId', 'closed_reason', null],
      [TABLES.requests, 'replacedRequestId', 'status', 'pending'],
      [TABLES.decisions, 'danaDecisionId', 'comment', 'Never looked'],
      [TABLES.decisions, 'voidedDecisionId', 'voided_at', null],
      [TABLES.decisions, 'danaDecisionId', 'decision', 'reject'],
      [TABLES.decisions, 'voidedDecisionId', 'request_id', 'approvedRequestId'],
      [TABLES.deployments, 'rolledBackDeploymentId', 'link', 'https://evil'],
      [TABLES.deployments, 'standingDeploymentId', 'violation', false],
      [TABLES.deployments, 'standingDeploymentId', 'unmet_conditions', '[]'],
      [TABLES.deployments, 'rolledBackDeploymentId', 'rolled_back_at', null],
      [TABLES.deployments, 'standingDeploymentId', 'reported_at', at(99)],
      [TABLES.checklistCompletions, 'completionId', 'completed_by', ERIN],
      [TABLES.checklistCompletions, 'completionId', 'evidence_link', null],
      [TABLES.checklistCompletions, 'completionId', 'result', '0 failed'],
      [TABLES.checklistCompletions, 'undoneCompletionId', 'result', 'Forged'],
      [TABLES.checklistCompletions, 'undoneCompletionId', 'undo_reason', 'x'],
      [TABLES.signOffs, 'signOffId', 'signed_off_by', DANA],
      [TABLES.signOffs, 'signOffId', 'comment', 'Looks fine'],
      [TABLES.standingApprovals, 'standingApprovalId', 'granted_by', '[]'],
      [TABLES.standingApprovals, 'standingApprovalId', 'revoked_at', null],
      [TABLES.rollbacks, 'rollbackId', 'reason', 'Routine'],
      [TABLES.rollbacks, 'rollbackId', 'recorded_by', BOB],
    ];

    it.each(edits)(
      'names an edited %s row (%s, %s)',
      async (table, idOf, column, value) => {
        const id = recorded[idOf];
        // A decision moved to another request of the flow.
        const moved =
          column === 'request_id' && recorded[value as keyof Recorded];
        const result = await verifyAfter(tx =>
          tx(table)
            .where({ id })
            .update({ [column]: moved || value }),
        );
        expect(result.breaks.map(where)).toEqual([
          { kind: 'state-altered', table, rowId: id },
        ]);
        expect(result.breaks[0].message).toContain(
          `${table} row ${id} says ${column} is `,
        );
        expect(result.breaks[0].seq).toEqual(expect.any(Number));
      },
    );

    const deletions: [string, keyof Recorded][] = [
      [TABLES.requests, 'withdrawnRequestId'],
      [TABLES.decisions, 'danaDecisionId'],
      [TABLES.deployments, 'rolledBackDeploymentId'],
      [TABLES.checklistCompletions, 'undoneCompletionId'],
      [TABLES.signOffs, 'signOffId'],
      [TABLES.standingApprovals, 'standingApprovalId'],
      [TABLES.rollbacks, 'rollbackId'],
    ];

    it.each(deletions)('names a deleted %s row', async (table, idOf) => {
      const id = recorded[idOf];
      const result = await verifyAfter(tx => tx(table).where({ id }).delete());
      const expected = [{ kind: 'state-missing', table, rowId: id }];
      if (idOf === 'withdrawnRequestId') {
        // Its decisions go with it (on delete cascade).
        expected.push({
          kind: 'state-missing',
          table: TABLES.decisions,
          rowId: recorded.voidedDecisionId,
        });
      }
      expect(result.breaks.map(where)).toEqual(expected);
      expect(result.breaks[0].message).toMatch(
        new RegExp(
          `^${table} row ${id} is gone, but audit event #\\d+ \\(.+\\) recorded it$`,
        ),
      );
      expect(result.rowsChecked).toBe(totalRows - expected.length);
    });

    /** Inserts a copy of a row under a new id, with its unique keys changed. */
    const insertions: [string, keyof Recorded, Record<string, unknown>][] = [
      [TABLES.requests, 'approvedRequestId', { version: '6.6.6' }],
      [TABLES.decisions, 'danaDecisionId', { decided_by: ERIN }],
      [TABLES.deployments, 'standingDeploymentId', { idempotency_key: null }],
      [
        TABLES.checklistCompletions,
        'undoneCompletionId',
        { undone_key: 'forged' },
      ],
      [TABLES.signOffs, 'signOffId', {}],
      [TABLES.standingApprovals, 'standingApprovalId', { revoked_at: null }],
      [TABLES.rollbacks, 'rollbackId', {}],
    ];

    it.each(insertions)(
      'names a %s row inserted behind the store',
      async (table, idOf, changes) => {
        const id = randomUUID();
        const result = await verifyAfter(async tx => {
          const original = await tx(table)
            .where({ id: recorded[idOf] })
            .first();
          await tx(table).insert({ ...original, ...changes, id });
        });
        expect(result.breaks.map(where)).toEqual([
          { kind: 'state-unrecorded', table, rowId: id },
        ]);
        expect(result.breaks[0].message).toBe(
          `${table} row ${id} of ${FLOW} was recorded by no audit event: it was written behind the store`,
        );
        expect(result.rowsChecked).toBe(totalRows + 1);
      },
    );

    it('lists breaks up to the limit and says more were found', async () => {
      const tx = await knex.transaction();
      try {
        await tx(TABLES.signOffs).update({ signed_off_by: BOB, comment: 'x' });
        await tx(TABLES.rollbacks).update({ reason: 'x' });
        expect(await verifyStateRows(tx, { maxBreaks: 2 })).toEqual({
          rowsChecked: totalRows,
          breaks: [
            expect.objectContaining({ table: TABLES.signOffs }),
            expect.objectContaining({ table: TABLES.signOffs }),
          ],
          breaksTruncated: true,
        });
        expect((await verifyStateRows(tx)).breaks).toHaveLength(3);
      } finally {
        await tx.rollback();
      }
    });

    it('checks only the fields a legacy event carried', async () => {
      const id = recorded.rolledBackDeploymentId;
      const result = await verifyAfter(async tx => {
        // A deployment recorded before the payloads carried every field:
        // the link was left out when there was none.
        const events = await tx(TABLES.auditEvents).where({
          type: 'deployment.recorded',
        });
        const event = events.find(
          e => JSON.parse(e.payload).deploymentId === id,
        );
        await tx(TABLES.auditEvents)
          .where({ id: event.id })
          .update({
            payload: JSON.stringify({
              deploymentId: id,
              status: 'succeeded',
              violation: false,
              unmetConditions: [],
            }),
          });
        await tx(TABLES.deployments)
          .where({ id })
          .update({ link: 'https://ci.example.com/other', reported_by: BOB });
      });
      // Who reported it comes from the event's actor, recorded all along.
      expect(result.breaks.map(b => b.message)).toEqual([
        expect.stringContaining(
          `${TABLES.deployments} row ${id} says reported_by is "${BOB}", but audit event`,
        ),
      ]);
    });
  },
);
