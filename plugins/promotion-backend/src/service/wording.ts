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
