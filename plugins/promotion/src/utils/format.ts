/** A timestamp in the reader's locale. */
export function formatDateTime(iso: string | undefined): string {
  if (!iso) {
    return '';
  }
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

/** A duration as `m:ss` or `h:mm:ss`, for countdowns. */
export function formatCountdown(milliseconds: number): string {
  const total = Math.max(0, Math.ceil(milliseconds / 1000));
  const hours = Math.floor(total / 3600);
  const minutes = Math.floor((total % 3600) / 60);
  const seconds = total % 60;
  const ss = String(seconds).padStart(2, '0');
  if (hours > 0) {
    return `${hours}:${String(minutes).padStart(2, '0')}:${ss}`;
  }
  return `${minutes}:${ss}`;
}

/** A minimum wait in words: "15 minutes", "1 hour 30 minutes", "45 seconds". */
export function formatWait(seconds: number): string {
  const hours = Math.floor(seconds / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  const parts: string[] = [];
  const unit = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;
  if (hours) parts.push(unit(hours, 'hour'));
  if (minutes) parts.push(unit(minutes, 'minute'));
  if (rest || parts.length === 0) parts.push(unit(rest, 'second'));
  return parts.join(' ');
}

/**
 * A measured duration in words, to its two largest units: "2 h 10 min",
 * "3 d 4 h", "45 s"; "none measured" for null.
 */
export function formatDuration(milliseconds: number | null): string {
  if (milliseconds === null) {
    return 'none measured';
  }
  const total = Math.round(Math.max(0, milliseconds) / 1000);
  const units: Array<[number, string]> = [
    [Math.floor(total / 86400), 'd'],
    [Math.floor((total % 86400) / 3600), 'h'],
    [Math.floor((total % 3600) / 60), 'min'],
    [total % 60, 's'],
  ];
  const first = units.findIndex(([n]) => n > 0);
  if (first === -1) {
    return '0 s';
  }
  return units
    .slice(first, first + 2)
    .filter(([n]) => n > 0)
    .map(([n, unit]) => `${n} ${unit}`)
    .join(' ');
}

/** A share as a whole percentage: "25%"; "none" for null. */
export function formatRate(rate: number | null): string {
  return rate === null ? 'none' : `${Math.round(rate * 100)}%`;
}
