/**
 * One break verification found: what (`kind`), in words (`message`, naming
 * the table and row or the event seq), and where. The same shape as the
 * chain's breaks, so the service merges both into one list.
 *
 * The kinds found here: `state-altered` (a field of a state row differs from
 * what the events recorded), `state-missing` (an event recorded a row that
 * is gone), `state-unrecorded` (a row no event recorded).
 */
export interface AuditBreak {
  kind: string;
  message: string;
  /** The audit event concerned, if any. */
  seq?: number;
  /** The flow. */
  entityRef?: string;
  /** The state table. */
  table?: string;
  rowId?: string;
}
