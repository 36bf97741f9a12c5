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
