/*
 * The words of audit summaries. A summary is hashed into the chain with its
 * event, so it is made from the event's own facts only (entity refs stay
 * entity refs, no display names are looked up) and the same facts always
 * give the same summary.
 */

/** Exactly two full stops in a row: not an ellipsis (`...`). */
const DOUBLED_FULL_STOP = /(?<!\.)\.\.(?!\.)/g;

/**
 * A summary as the chain records it: a full stop a person typed at the end
 * of their words and the one a summary adds after them become one
 * (`… for 1.0.0..` → `… for 1.0.0.`); an ellipsis is left alone.
 */
export function tidySummary(summary: string): string {
  return summary.replace(DOUBLED_FULL_STOP, '.');
}

const DECISION_WORDS = { approve: 'Approved', reject: 'Rejected' } as const;

/**
 * The summary of a decision: `Approved: <comment>` or `Rejected: <comment>`,
 * without saying it twice when the comment already starts with the verb: a
 * comment `Approved: looks good` gives `Approved: looks good`, never
 * `Approved: Approved: looks good`, and a comment that is only `Approved.`
 * gives `Approved`.
 */
export function decisionSummary(
  decision: 'approve' | 'reject',
  comment: string,
): string {
  const verb = DECISION_WORDS[decision];
  const said = comment.trim();
  const repeated = new RegExp(`^${verb}\\b[\\s.:,;!-]*`, 'i').exec(said);
  const rest = repeated ? said.slice(repeated[0].length).trim() : said;
  return rest ? `${verb}: ${rest}` : verb;
}
