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

  /** Sets a column from a payload member, when the event carries it. */
  setFrom(row: RecordedRow | undefined, column: string, key: string): void {
    if (this.has(key)) {
      this.set(row, column, this.payload[key]);
    }
  }

  /** The flow, environment and version of the event. */
  setWhere(row: RecordedRow | undefined, versionColumn?: string): void {
    this.set(row, 'entity_ref', this.event.entityRef);
    this.set(row, 'environment_id', this.event.environmentId ?? null);
    if (versionColumn) {
      this.set(row, versionColumn, this.event.version ?? null);
    }
  }

  /** The request row the event names by `requestId`. */
  request(): RecordedRow | undefined {
    return this.find(TABLES.requests, this.text('requestId'));
  }

  /** A request left pending with this status. */
  endRequest(status: string): void {
    const request = this.request();
    this.set(request, 'status', status);
    this.set(request, 'pending_key', request?.id);
    this.set(request, 'decided_at', this.event.occurredAt);
    this.set(request, 'updated_at', this.event.occurredAt);
  }
}

/** The summary of a `decision.recorded` event is `Approved: <comment>` or `Rejected: <comment>`. */
function commentOfDecisionSummary(summary: string): string {
  return summary.replace(/^(Approved|Rejected): /, '');
}

const REPLAYS: Partial<Record<AuditEvent['type'], (r: EventReplay) => void>> = {
  'deployment.recorded': r => {
    const row = r.create(TABLES.deployments, 'deploymentId');
    r.setWhere(row, 'version');
    r.setFrom(row, 'version', 'version');
    r.setFrom(row, 'status', 'status');
    r.setFrom(row, 'link', 'link');
    r.setFrom(row, 'idempotency_key', 'idempotencyKey');
    r.set(row, 'reported_by', r.event.actor);
    r.set(row, 'reported_at', r.event.occurredAt);
    r.setFrom(row, 'violation', 'violation');
    r.setFrom(row, 'unmet_conditions', 'unmetConditions');
    r.set(row, 'rolled_back_at', null);
    r.set(row, 'rollback_id', null);
  },
  'rollback.recorded': r => {
    const row = r.create(TABLES.rollbacks, 'rollbackId');
    r.setWhere(row, 'from_version');
    r.setFrom(row, 'from_version', 'fromVersion');
    r.setFrom(row, 'to_version', 'toVersion');
    r.setFrom(row, 'reason', 'reason');
    r.setFrom(row, 'incident_link', 'incidentLink');
    r.set(row, 'recorded_by', r.event.actor);
    r.set(row, 'recorded_at', r.event.occurredAt);
    const deploymentIds = r.payload.deploymentIds;
    if (row && Array.isArray(deploymentIds)) {
      for (const id of deploymentIds) {
        const deployment = r.find(TABLES.deployments, String(id));
        r.set(deployment, 'rolled_back_at', r.event.occurredAt);
        r.set(deployment, 'rollback_id', row.id);
      }
    }
  },
  'checklist.completed': r => {
    const row = r.create(TABLES.checklistCompletions, 'completionId');
    r.setWhere(row);
    // '' for flow-scoped items, which have no version.
    r.set(row, 'version', r.event.version ?? '');
    r.setFrom(row, 'kind', 'kind');
    r.setFrom(row, 'item_id', 'itemId');
    r.set(row, 'completed_by', r.event.actor);
    r.set(row, 'completed_at', r.event.occurredAt);
    r.setFrom(row, 'evidence_link', 'evidenceLink');
    r.setFrom(row, 'note', 'note');
    r.set(row, 'undone_at', null);
    r.set(row, 'undone_by', null);
    r.set(row, 'undo_reason', null);
    r.set(row, 'undone_key', '');
  },
  'checklist.undone': r => {
    const row = r.find(TABLES.checklistCompletions, r.text('completionId'));
    r.set(row, 'undone_at', r.event.occurredAt);
    r.set(row, 'undone_by', r.event.actor);
    r.setFrom(row, 'undo_reason', 'reason');
    r.set(row, 'undone_key', row?.id);
  },
  'sign-off.given': r => {
    const row = r.create(TABLES.signOffs, 'signOffId');
    r.setWhere(row, 'version');
    r.set(row, 'signed_off_by', r.event.actor);
    r.set(row, 'signed_off_at', r.event.occurredAt);
    // The summary of a sign-off is its comment (legacy events carry no other).
    r.set(row, 'comment', r.text('comment') ?? r.event.summary);
  },
  'request.created': r => {
    const row = r.create(TABLES.requests, 'requestId');
    r.setWhere(row, 'version');
    r.set(row, 'status', 'pending');
    r.setFrom(row, 'dossier', 'dossier');
    r.setFrom(row, 'dossier_hash', 'dossierHash');
    r.set(row, 'revision', r.payload.revision ?? 1);
    r.set(row, 'requested_by', r.event.actor);
    r.set(row, 'created_at', r.event.occurredAt);
    r.set(row, 'updated_at', r.event.occurredAt);
    r.setFrom(row, 'expires_at', 'expiresAt');
    r.set(row, 'decided_at', null);
    r.set(row, 'pending_key', '');
    r.set(row, 'last_reminded_at', null);
    r.set(row, 'closed_reason', null);
  },
  'request.edited': r => {
    const row = r.request();
    r.setFrom(row, 'dossier', 'dossier');
    r.setFrom(row, 'dossier_hash', 'dossierHash');
    r.setFrom(row, 'revision', 'revision');
    r.set(row, 'updated_at', r.event.occurredAt);
    // An edit voids every decision on the request not voided yet.
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
  'decision.recorded': r => {
    const row = r.create(TABLES.decisions, 'decisionId');
    r.setFrom(row, 'request_id', 'requestId');
    r.setFrom(row, 'request_revision', 'revision');
    r.setFrom(row, 'dossier_hash', 'dossierHash');
    r.setFrom(row, 'decision', 'decision');
    r.set(row, 'decided_by', r.event.actor);
    r.set(row, 'decided_at', r.event.occurredAt);
    r.set(
      row,
      'comment',
      r.text('comment') ?? commentOfDecisionSummary(r.event.summary),
    );
    r.set(row, 'voided_at', null);
    // Every decision takes the request's row lock with an update of updated_at.
    r.set(r.request(), 'updated_at', r.event.occurredAt);
  },
  'request.approved': r => r.endRequest('approved'),
  'request.rejected': r => r.endRequest('rejected'),
  'request.withdrawn': r => r.endRequest('withdrawn'),
  'request.expired': r => r.endRequest('expired'),
  'request.superseded': r => {
    r.endRequest('superseded');
    r.setFrom(r.request(), 'closed_reason', 'reason');
  },
  'request.reminded': r => {
    r.set(r.request(), 'last_reminded_at', r.event.occurredAt);
  },
  'standing-approval.granted': r => {
    const row = r.create(TABLES.standingApprovals, 'standingApprovalId');
    r.setWhere(row);
    r.setFrom(row, 'request_id', 'requestId');
    r.set(row, 'granted_at', r.event.occurredAt);
    r.setFrom(row, 'granted_by', 'grantedBy');
    r.set(row, 'revoked_at', null);
    r.set(row, 'revoked_by', null);
    r.set(row, 'revoke_reason', null);
  },
  'standing-approval.revoked': r => {
    const row = r.find(TABLES.standingApprovals, r.text('standingApprovalId'));
    r.set(row, 'revoked_at', r.event.occurredAt);
    r.set(row, 'revoked_by', r.event.actor);
    r.setFrom(row, 'revoke_reason', 'reason');
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
    if (replay) {
      replay(new EventReplay(this, event));
    }
  }
}
