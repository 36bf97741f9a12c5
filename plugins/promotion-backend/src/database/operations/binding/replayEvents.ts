import { AuditEvent } from '@promotion/plugin-promotion-common';
import { TABLES } from '../../tables';
import { recordedValue, StateTable } from './stateFields';

/** A column's value as the events recorded it, and the event that did. */
export interface RecordedField {
  value: string | null;
  seq: number;
  type: string;
}

/** A state row as the events of its flow recorded it. */
export interface RecordedRow {
  table: StateTable;
  id: string;
  entityRef: string;
  /** The event that recorded the row. */
  seq: number;
  type: string;
  /** The columns the events recorded; legacy events leave some out. */
  fields: Map<string, RecordedField>;
}

/** One event being applied: reads its payload, writes recorded fields. */
class EventReplay {
  readonly payload: Record<string, unknown>;

  constructor(
    private readonly state: RecordedState,
    readonly event: AuditEvent,
  ) {
    this.payload = event.payload ?? {};
  }

  /** The payload member, if it is a string. */
  text(key: string): string | undefined {
    const value = this.payload[key];
    return typeof value === 'string' ? value : undefined;
  }

  has(key: string): boolean {
    return Object.prototype.hasOwnProperty.call(this.payload, key);
  }

  /** Starts a row this event recorded; undefined when the payload names none. */
  create(table: StateTable, idKey: string): RecordedRow | undefined {
    const id = this.text(idKey);
    if (id === undefined) {
      return undefined;
    }
    const row: RecordedRow = {
      table,
      id,
      entityRef: this.event.entityRef,
      seq: this.event.seq,
      type: this.event.type,
      fields: new Map(),
    };
    this.state.rows(table).set(id, row);
    return row;
  }

  /** A row an earlier event of the flow recorded, if any. */
  find(table: StateTable, id: string | undefined): RecordedRow | undefined {
    return id === undefined ? undefined : this.state.rows(table).get(id);
  }

  rows(table: StateTable): Iterable<RecordedRow> {
    return this.state.rows(table).values();
  }

  set(row: RecordedRow | undefined, column: string, value: unknown): void {
    row?.fields.set(column, {
      value: recordedValue(row.table, column, value),
      seq: this.event.seq,
      type: this.event.type,
    });
  }

  /** The request row the event names by `requestId`. */
  request(): RecordedRow | undefined {
    return this.find(TABLES.requests, this.text('requestId'));
  }
}

/** What a column of a recorded row is set to; {@link UNRECORDED} leaves it as it was. */
type ColumnValue = (r: EventReplay, row: RecordedRow) => unknown;

/** An event that does not carry a column's value: the column is not recorded. */
const UNRECORDED = Symbol('unrecorded');

/** The payload member, when the event carries it; otherwise `fallback`, if any. */
const payload =
  (key: string, fallback?: ColumnValue): ColumnValue =>
  (r, row) => {
    if (r.has(key)) {
      return r.payload[key];
    }
    return fallback ? fallback(r, row) : UNRECORDED;
  };
/** Who recorded the event. */
const actor: ColumnValue = r => r.event.actor;
/** When the event was recorded. */
const occurredAt: ColumnValue = r => r.event.occurredAt;
/** The event's version; null when it has none. */
const eventVersion: ColumnValue = r => r.event.version ?? null;
/** A fixed value. */
const always =
  (value: unknown): ColumnValue =>
  () =>
    value;
const NULL = always(null);

/** The flow and environment of the event. */
const WHERE: Record<string, ColumnValue> = {
  entity_ref: r => r.event.entityRef,
  environment_id: r => r.event.environmentId ?? null,
};

/** The summary of a `decision.recorded` event is `Approved: <comment>` or `Rejected: <comment>`. */
function commentOfDecisionSummary(summary: string): string {
  return summary.replace(/^(Approved|Rejected): /, '');
}

/**
 * How an event records a state row: the row (a new one, or one an earlier
 * event recorded) named by the payload member `id`, the columns it sets, in
 * order, and what else it changes.
 */
type Replay = ({ creates: StateTable } | { changes: StateTable }) & {
  id: string;
  columns: Record<string, ColumnValue>;
  /** Runs after the columns are set, also when the event names no known row. */
  also?: (r: EventReplay, row: RecordedRow | undefined) => void;
};

/** A request that is no longer pending, with this status (and `columns`). */
const endRequest = (
  status: string,
  columns: Record<string, ColumnValue> = {},
): Replay => ({
  changes: TABLES.requests,
  id: 'requestId',
  columns: {
    status: always(status),
    pending_key: (_, row) => row.id,
    decided_at: occurredAt,
    updated_at: occurredAt,
    ...columns,
  },
});

/** A break-glass declaration an approver approved or rejected. */
const breakGlassDecided = (status: string): Replay => ({
  changes: TABLES.breakGlasses,
  id: 'breakGlassId',
  columns: {
    status: always(status),
    decided_by: actor,
    decided_at: occurredAt,
    decision_comment: payload('comment'),
  },
});

const REPLAYS: Partial<Record<AuditEvent['type'], Replay>> = {
  'deployment.recorded': {
    creates: TABLES.deployments,
    id: 'deploymentId',
    columns: {
      ...WHERE,
      version: payload('version', eventVersion),
      status: payload('status'),
      link: payload('link'),
      idempotency_key: payload('idempotencyKey'),
      reported_by: actor,
      reported_at: occurredAt,
      violation: payload('violation'),
      unmet_conditions: payload('unmetConditions'),
      rolled_back_at: NULL,
      rollback_id: NULL,
      // Recorded since break-glass (migration 20261201000000_break_glass).
      break_glass_id: payload('breakGlassId'),
    },
  },
  'rollback.recorded': {
    creates: TABLES.rollbacks,
    id: 'rollbackId',
    columns: {
      ...WHERE,
      from_version: payload('fromVersion', eventVersion),
      to_version: payload('toVersion'),
      reason: payload('reason'),
      incident_link: payload('incidentLink'),
      recorded_by: actor,
      recorded_at: occurredAt,
    },
    also: (r, row) => {
      const deploymentIds = r.payload.deploymentIds;
      if (row && Array.isArray(deploymentIds)) {
        for (const id of deploymentIds) {
          const deployment = r.find(TABLES.deployments, String(id));
          r.set(deployment, 'rolled_back_at', r.event.occurredAt);
          r.set(deployment, 'rollback_id', row.id);
        }
      }
    },
  },
  'checklist.completed': {
    creates: TABLES.checklistCompletions,
    id: 'completionId',
    columns: {
      ...WHERE,
      // '' for flow-scoped items, which have no version.
      version: r => r.event.version ?? '',
      kind: payload('kind'),
      item_id: payload('itemId'),
      completed_by: actor,
      completed_at: occurredAt,
      evidence_link: payload('evidenceLink'),
      note: payload('note'),
      // Absent from the events recorded before attestations: null.
      result: payload('result', NULL),
      undone_at: NULL,
      undone_by: NULL,
      undo_reason: NULL,
      undone_key: always(''),
    },
  },
  'checklist.undone': {
    changes: TABLES.checklistCompletions,
    id: 'completionId',
    columns: {
      undone_at: occurredAt,
      undone_by: actor,
      undo_reason: payload('reason'),
      undone_key: (_, row) => row.id,
    },
  },
  'sign-off.given': {
    creates: TABLES.signOffs,
    id: 'signOffId',
    columns: {
      ...WHERE,
      version: eventVersion,
      signed_off_by: actor,
      signed_off_at: occurredAt,
      // The summary of a sign-off is its comment (legacy events carry no other).
      comment: r => r.text('comment') ?? r.event.summary,
    },
  },
  'request.created': {
    creates: TABLES.requests,
    id: 'requestId',
    columns: {
      ...WHERE,
      version: eventVersion,
      status: always('pending'),
      dossier: payload('dossier'),
      dossier_hash: payload('dossierHash'),
      revision: r => r.payload.revision ?? 1,
      requested_by: actor,
      created_at: occurredAt,
      updated_at: occurredAt,
      expires_at: payload('expiresAt'),
      decided_at: NULL,
      pending_key: always(''),
      last_reminded_at: NULL,
      closed_reason: NULL,
    },
  },
  'request.edited': {
    changes: TABLES.requests,
    id: 'requestId',
    columns: {
      dossier: payload('dossier'),
      dossier_hash: payload('dossierHash'),
      revision: payload('revision'),
      updated_at: occurredAt,
    },
    // An edit voids every decision on the request not voided yet.
    also: (r, row) => {
      for (const decision of r.rows(TABLES.decisions)) {
        if (
          row &&
          decision.fields.get('request_id')?.value === row.id &&
          decision.fields.get('voided_at')?.value === null
        ) {
          r.set(decision, 'voided_at', r.event.occurredAt);
        }
      }
    },
  },
  'decision.recorded': {
    creates: TABLES.decisions,
    id: 'decisionId',
    columns: {
      request_id: payload('requestId'),
      request_revision: payload('revision'),
      dossier_hash: payload('dossierHash'),
      decision: payload('decision'),
      decided_by: actor,
      decided_at: occurredAt,
      comment: r =>
        r.text('comment') ?? commentOfDecisionSummary(r.event.summary),
      voided_at: NULL,
    },
    // Every decision takes the request's row lock with an update of updated_at.
    also: r => r.set(r.request(), 'updated_at', r.event.occurredAt),
  },
  'request.approved': endRequest('approved'),
  'request.rejected': endRequest('rejected'),
  'request.withdrawn': endRequest('withdrawn'),
  'request.expired': endRequest('expired'),
  'request.superseded': endRequest('superseded', {
    closed_reason: payload('reason'),
  }),
  'request.reminded': {
    changes: TABLES.requests,
    id: 'requestId',
    columns: { last_reminded_at: occurredAt },
  },
  'standing-approval.granted': {
    creates: TABLES.standingApprovals,
    id: 'standingApprovalId',
    columns: {
      ...WHERE,
      request_id: payload('requestId'),
      granted_at: occurredAt,
      granted_by: payload('grantedBy'),
      revoked_at: NULL,
      revoked_by: NULL,
      revoke_reason: NULL,
    },
  },
  'break-glass.declared': {
    creates: TABLES.breakGlasses,
    id: 'breakGlassId',
    columns: {
      ...WHERE,
      version: eventVersion,
      status: payload('status'),
      reason: payload('reason'),
      incident_link: payload('incidentLink'),
      declared_by: actor,
      declared_at: occurredAt,
      approvals_needed: payload('approvalsNeeded'),
      expires_at: payload('expiresAt'),
      decided_by: NULL,
      decided_at: NULL,
      decision_comment: NULL,
      deployment_id: NULL,
      used_at: NULL,
      overridden_conditions: NULL,
      review_closed_by: NULL,
      review_closed_at: NULL,
      review_comment: NULL,
    },
  },
  'break-glass.approved': breakGlassDecided('approved'),
  'break-glass.rejected': breakGlassDecided('rejected'),
  'break-glass.used': {
    changes: TABLES.breakGlasses,
    id: 'breakGlassId',
    columns: {
      status: always('used'),
      deployment_id: payload('deploymentId'),
      used_at: occurredAt,
      overridden_conditions: payload('overriddenConditions'),
    },
  },
  'break-glass.review-closed': {
    changes: TABLES.breakGlasses,
    id: 'breakGlassId',
    columns: {
      review_closed_by: actor,
      review_closed_at: occurredAt,
      review_comment: payload('comment'),
    },
  },
  'standing-approval.revoked': {
    changes: TABLES.standingApprovals,
    id: 'standingApprovalId',
    columns: {
      revoked_at: occurredAt,
      revoked_by: actor,
      revoke_reason: payload('reason'),
    },
  },
};

/**
 * The state rows of one flow as its audit events recorded them, built by
 * replaying the events in seq order.
 *
 * Every event that creates or changes a state row names the row by id in its
 * payload and carries the fields the reads expose; who and when come from
 * the event itself (its actor and occurredAt). Optional fields are recorded
 * as null when absent, so a field missing from a payload means an event
 * recorded before the payloads carried it (legacy): that field is not
 * checked. `request.reminded` and `request.expired` carry only the id: what
 * they change follows from their type and time.
 */
export class RecordedState {
  readonly #rows = new Map<StateTable, Map<string, RecordedRow>>();

  /** The rows recorded in a table. */
  rows(table: StateTable): Map<string, RecordedRow> {
    let rows = this.#rows.get(table);
    if (!rows) {
      rows = new Map();
      this.#rows.set(table, rows);
    }
    return rows;
  }

  /** Applies one event of the flow (in seq order); events of other kinds change nothing. */
  apply(event: AuditEvent): void {
    const replay = REPLAYS[event.type];
    if (!replay) {
      return;
    }
    const r = new EventReplay(this, event);
    const row =
      'creates' in replay
        ? r.create(replay.creates, replay.id)
        : r.find(replay.changes, r.text(replay.id));
    if (row) {
      for (const [column, valueOf] of Object.entries(replay.columns)) {
        const value = valueOf(r, row);
        if (value !== UNRECORDED) {
          r.set(row, column, value);
        }
      }
    }
    replay.also?.(r, row);
  }
}
