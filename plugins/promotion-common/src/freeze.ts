import { CronExpressionParser } from 'cron-parser';
import { DateTime, Duration } from 'luxon';
import {
  EnvironmentDefinition,
  Freeze,
  FreezeWindowDefinition,
  GateCondition,
} from './types';

/*
 * Freeze windows (README, "Freeze windows"): when the gate into an
 * environment is closed whatever else is met. Pure functions of the
 * configured windows and `now`; cron-parser finds a recurring window's
 * starts in its time zone, luxon adds its duration there (a day is a
 * calendar day, so a weekend window ends at the same wall-clock hour
 * across a change to or from daylight saving time).
 */

/** One occurrence of a window: from `start` up to, not including, `end`. */
interface Occurrence {
  window: FreezeWindowDefinition;
  start: DateTime;
  end: DateTime;
}

/**
 * The freeze window in force in an environment at `now`: of those in force,
 * the one that ends last. Undefined when the environment is not frozen.
 */
export function activeFreeze(
  environment: Pick<EnvironmentDefinition, 'id' | 'freezeWindows'>,
  now: Date,
): Freeze | undefined {
  const active = (environment.freezeWindows ?? [])
    .map(window => occurrenceAt(window, now))
    .filter((o): o is Occurrence => o !== undefined)
    .reduce<Occurrence | undefined>(
      (last, o) => (!last || o.end > last.end ? o : last),
      undefined,
    );
  return active && freezeOf(environment.id, active, true, now);
}

/**
 * The freeze window of an environment that starts next after `now`, the
 * earliest; undefined when none is configured to come.
 */
export function nextFreeze(
  environment: Pick<EnvironmentDefinition, 'id' | 'freezeWindows'>,
  now: Date,
): Freeze | undefined {
  const next = (environment.freezeWindows ?? [])
    .map(window => occurrenceAfter(window, now))
    .filter((o): o is Occurrence => o !== undefined)
    .reduce<Occurrence | undefined>(
      (first, o) => (!first || o.start < first.start ? o : first),
      undefined,
    );
  return next && freezeOf(environment.id, next, false, now);
}

/** What the tab shows for an environment: the window in force, or else the next one. */
export function currentOrNextFreeze(
  environment: Pick<EnvironmentDefinition, 'id' | 'freezeWindows'>,
  now: Date,
): Freeze | undefined {
  return activeFreeze(environment, now) ?? nextFreeze(environment, now);
}

/**
 * The gate's sentence for a frozen environment, its end in the window's
 * time zone: "Production is frozen until Mon 06:00 Europe/Paris:
 * quarter-end close". An end more than six days away carries its date.
 */
export function frozenCondition(
  environment: Pick<EnvironmentDefinition, 'id' | 'title'>,
  freeze: Freeze,
  now: Date,
): GateCondition {
  return {
    code: 'frozen',
    message: `${environment.title} is frozen until ${formatFreezeTime(
      freeze.end,
      freeze.timeZone,
      now,
    )}: ${freeze.reason}`,
    environmentId: environment.id,
  };
}

/**
 * A time of a freeze window as people read it, in the window's zone:
 * `Mon 06:00 Europe/Paris` within the next six days, else
 * `Fri 1 Jan 2027 06:00 Europe/Paris`.
 */
export function formatFreezeTime(
  timestamp: string,
  timeZone: string,
  now: Date,
): string {
  const time = DateTime.fromISO(timestamp, { zone: timeZone }).setLocale(
    'en-GB',
  );
  const soon =
    time.toMillis() - now.getTime() < 6 * 24 * 3600_000 &&
    time.toMillis() >= now.getTime() - 24 * 3600_000;
  return `${time.toFormat(
    soon ? 'ccc HH:mm' : 'ccc d LLL yyyy HH:mm',
  )} ${timeZone}`;
}

// ---------------------------------------------------------------------------
// Reading windows (config.ts checks them with these at start-up)
// ---------------------------------------------------------------------------

/** Whether luxon knows an IANA time zone name. */
export function isKnownTimeZone(timeZone: string): boolean {
  return (
    !/^(utc|gmt)?[+-]/i.test(timeZone) &&
    DateTime.now().setZone(timeZone).isValid
  );
}

/**
 * A local date-time (`2026-12-24T18:00`) read in a time zone, as ISO 8601
 * with the zone's offset, or undefined when it is not one.
 */
export function localDateTimeIn(
  text: string,
  timeZone: string,
): string | undefined {
  const time = DateTime.fromISO(text, { zone: timeZone });
  return time.isValid ? time.toISO() ?? undefined : undefined;
}

/** Why a cron expression cannot start freeze windows, or undefined when it can. */
export function cronProblem(
  cron: string,
  timeZone: string,
): string | undefined {
  try {
    CronExpressionParser.parse(cron, { tz: timeZone, strict: false }).next();
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

// ---------------------------------------------------------------------------
// Occurrences
// ---------------------------------------------------------------------------

function occurrenceAt(
  window: FreezeWindowDefinition,
  now: Date,
): Occurrence | undefined {
  const at = DateTime.fromJSDate(now);
  if (window.cron !== undefined) {
    // The latest start at or before now (cron-parser's prev() is strictly before).
    const start = cronStart(window, new Date(now.getTime() + 1), 'prev');
    const occurrence = start && recurring(window, start);
    return occurrence && at < occurrence.end ? occurrence : undefined;
  }
  const occurrence = oneOff(window);
  return occurrence && occurrence.start <= at && at < occurrence.end
    ? occurrence
    : undefined;
}

function occurrenceAfter(
  window: FreezeWindowDefinition,
  now: Date,
): Occurrence | undefined {
  if (window.cron !== undefined) {
    const start = cronStart(window, now, 'next');
    return start && recurring(window, start);
  }
  const occurrence = oneOff(window);
  return occurrence && occurrence.start > DateTime.fromJSDate(now)
    ? occurrence
    : undefined;
}

function cronStart(
  window: FreezeWindowDefinition,
  from: Date,
  direction: 'prev' | 'next',
): DateTime | undefined {
  try {
    const dates = CronExpressionParser.parse(window.cron!, {
      currentDate: from,
      tz: window.timeZone,
      strict: false,
    });
    const date = direction === 'prev' ? dates.prev() : dates.next();
    return DateTime.fromJSDate(date.toDate(), { zone: window.timeZone });
  } catch {
    // No such start (config.ts refuses expressions that never start).
    return undefined;
  }
}

function recurring(
  window: FreezeWindowDefinition,
  start: DateTime,
): Occurrence | undefined {
  const duration = Duration.fromISO(window.duration ?? '');
  if (!duration.isValid) {
    return undefined;
  }
  return { window, start, end: start.plus(duration) };
}

function oneOff(window: FreezeWindowDefinition): Occurrence | undefined {
  if (window.start === undefined || window.end === undefined) {
    return undefined;
  }
  const start = DateTime.fromISO(window.start, { zone: window.timeZone });
  const end = DateTime.fromISO(window.end, { zone: window.timeZone });
  return start.isValid && end.isValid ? { window, start, end } : undefined;
}

function freezeOf(
  environmentId: string,
  occurrence: Occurrence,
  active: boolean,
  now: Date,
): Freeze {
  const { timeZone, reason } = occurrence.window;
  const iso = (time: DateTime) =>
    time.setZone(timeZone).toISO({ suppressMilliseconds: true })!;
  const start = iso(occurrence.start);
  const end = iso(occurrence.end);
  const shown = (timestamp: string) =>
    formatFreezeTime(timestamp, timeZone, now).replace(` ${timeZone}`, '');
  return {
    environmentId,
    reason,
    timeZone,
    start,
    end,
    active,
    message: active
      ? `Frozen until ${formatFreezeTime(end, timeZone, now)}: ${reason}`
      : `Next freeze from ${shown(start)} to ${formatFreezeTime(
          end,
          timeZone,
          now,
        )}: ${reason}`,
  };
}
