import { Duration } from 'luxon';

/** `15 minutes`, `1 hour, 2 minutes`: a wait in an error message, at least one second. */
export function formatDuration(milliseconds: number): string {
  const seconds = Math.max(1, Math.ceil(milliseconds / 1000));
  return Duration.fromObject({ seconds })
    .rescale()
    .toHuman({ listStyle: 'long' });
}

/** A reason written to follow other words, made to start a sentence. */
export function capitalise(text: string): string {
  return text.charAt(0).toLocaleUpperCase('en-US') + text.slice(1);
}

/**
 * Text that may or may not end a sentence itself (a comment, a reason, the
 * gate's sentences), ended with exactly one full stop: `1.0.0` and `1.0.0.`
 * both become `1.0.0.`, never `1.0.0..`; a question or exclamation mark is
 * kept.
 */
export function asSentence(text: string): string {
  const trimmed = text.trim().replace(/\.+$/, '');
  if (trimmed === '') {
    return '';
  }
  return /[!?]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/**
 * Text put in the middle of a sentence or before a `:` (an audit summary
 * has no full stop of its own): the trailing full stops a person typed are
 * dropped, so `… 1.0.0.: …` and `… 1.0.0..` cannot occur.
 */
export function withoutFullStop(text: string): string {
  return text.trim().replace(/\.+$/, '');
}

/**
 * A summary that leads with what happened and follows with the person's own
 * words: `Withdrew the promotion request: not needed`. Without words, the
 * lead alone. Deterministic, as audit summaries are hashed into the chain.
 */
export function summaryWithWords(lead: string, words?: string | null): string {
  const said = words?.trim();
  return said ? `${withoutFullStop(lead)}: ${said}` : withoutFullStop(lead);
}

const DECISION_WORDS = { approve: 'Approved', reject: 'Rejected' } as const;

/**
 * The summary of a decision: `Approved: <comment>` or `Rejected: <comment>`,
 * without saying it twice when the comment already starts with the verb
 * (`Approved: looks good` stays as it is, never `Approved: Approved: looks
 * good`; a comment that is only `Approved.` gives `Approved`).
 * Deterministic, as audit summaries are hashed into the chain.
 */
export function decisionSummary(
  decision: 'approve' | 'reject',
  comment: string,
): string {
  const verb = DECISION_WORDS[decision];
  const said = comment.trim();
  const repeated = new RegExp(`^${verb}\\b[\\s.:,;!-]*`, 'i').exec(said);
  if (repeated) {
    const rest = said.slice(repeated[0].length).trim();
    return rest ? `${verb}: ${rest}` : verb;
  }
  return said ? `${verb}: ${said}` : verb;
}
