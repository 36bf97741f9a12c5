import { Deployment, FlowFacts } from '@promotion/plugin-promotion-common';
import {
  DeploymentRow,
  ReportLinks,
  VerificationFlow,
  VerificationReportTally,
} from './verificationReport';
import {
  verificationCsvHeader,
  verificationCsvLines,
} from './verificationReportCsv';

/** How many deployments the report reads and checks at a time. */
export const REPORT_CHUNK_SIZE = 500;

export type VerificationReportFormat = 'json' | 'csv';

export const VERIFICATION_REPORT_CONTENT_TYPES: Record<
  VerificationReportFormat,
  string
> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

/** A chunk of the range's deployments, oldest first, and what they are checked against. */
export interface VerificationChunk {
  deployments: Deployment[];
  /** By flow: its policy (absent when it no longer opts in) and the facts its deployments of the chunk are checked against. */
  flows: Map<string, VerificationFlow>;
  /** Present when a further chunk may follow. */
  nextCursor?: string;
}

/** Reads the chunk at the cursor; the first one without. */
export type ReadVerificationChunk = (
  cursor?: string,
) => Promise<VerificationChunk>;

/**
 * Whether the deployment is the first successful one of its version into its
 * environment in the range that was not rolled back, the one held to the
 * version's post-deployment checklist: no such deployment precedes it (by
 * time, then id, the order the report reads them in) among the facts, which
 * hold the version's successful deployments there up to the chunk's last.
 */
export function firstOfVersionInRange(
  deployment: Deployment,
  facts: FlowFacts | undefined,
  range: { from: Date; to: Date },
): boolean {
  const at = Date.parse(deployment.reportedAt);
  return !(facts?.deployments ?? []).some(earlier => {
    if (
      earlier.id === deployment.id ||
      earlier.environmentId !== deployment.environmentId ||
      earlier.version !== deployment.version ||
      earlier.status !== 'succeeded' ||
      earlier.rolledBackAt
    ) {
      return false;
    }
    const earlierAt = Date.parse(earlier.reportedAt);
    return (
      earlierAt >= range.from.getTime() &&
      earlierAt <= range.to.getTime() &&
      (earlierAt < at || (earlierAt === at && earlier.id < deployment.id))
    );
  });
}

/** The rows of the range's deployments, a chunk at a time, from the chunk at `cursor` on, with the cursor each chunk was read at. */
async function* chunkRows(options: {
  readChunk: ReadVerificationChunk;
  range: { from: Date; to: Date };
  tally: VerificationReportTally;
  cursor?: string;
}): AsyncGenerator<{ cursor?: string; rows: DeploymentRow[] }> {
  const { readChunk, range, tally } = options;
  let cursor = options.cursor;
  for (;;) {
    const chunk = await readChunk(cursor);
    const rows = chunk.deployments.map(deployment => {
      const flow = chunk.flows.get(deployment.entityRef);
      return tally.check(
        deployment,
        flow,
        firstOfVersionInRange(deployment, flow?.facts, range),
      );
    });
    yield { cursor, rows };
    if (!chunk.nextCursor) {
      return;
    }
    cursor = chunk.nextCursor;
  }
}

/**
 * The verification report over a time range, written a chunk of deployments
 * at a time (see {@link VerificationReportTally}), so that a report over any
 * range holds one chunk in memory and the totals.
 *
 * CSV: a header row, then one line per deployment that failed a check or has
 * pending items, in the order they were reported.
 *
 * JSON: the `VerificationReport` document. Its violations are written as the
 * deployments are checked; its pending rows, a second array, by a second
 * pass from the first chunk that had one (pending items are those not due
 * yet, so that pass reads only the range's last hours or days); the totals
 * (`deploymentsChecked`, `checks`) last.
 *
 * The first chunk is read before anything is yielded, so a failing store
 * surfaces before a response is started.
 */
export async function* streamVerificationReport(options: {
  format: VerificationReportFormat;
  from: Date;
  to: Date;
  now: Date;
  links?: ReportLinks;
  readChunk: ReadVerificationChunk;
}): AsyncGenerator<string> {
  const { format, from, to, now, links, readChunk } = options;
  const range = { from, to };
  const tally = new VerificationReportTally({ now, links });

  if (format === 'csv') {
    let out = verificationCsvHeader();
    for await (const { rows } of chunkRows({ readChunk, range, tally })) {
      out += verificationCsvLines(rows);
      if (out) {
        yield out;
      }
      out = '';
    }
    return;
  }

  let out = `{"from":${JSON.stringify(
    from.toISOString(),
  )},"to":${JSON.stringify(to.toISOString())},"generatedAt":${JSON.stringify(
    now.toISOString(),
  )},"violations":[`;
  let separator = '';
  /** Where the second pass starts: the chunk with the first pending row. */
  let pendingFrom: { cursor?: string } | undefined;
  for await (const { cursor, rows } of chunkRows({ readChunk, range, tally })) {
    for (const { violation, pending } of rows) {
      if (violation) {
        out += separator + JSON.stringify(violation);
        separator = ',';
      }
      if (pending && !pendingFrom) {
        pendingFrom = { cursor };
      }
    }
    if (out) {
      yield out;
    }
    out = '';
  }

  out = '],"pending":[';
  separator = '';
  if (pendingFrom) {
    for await (const { rows } of chunkRows({
      readChunk,
      range,
      // Checked again only to list them: the totals are the first pass's.
      tally: new VerificationReportTally({ now, links }),
      cursor: pendingFrom.cursor,
    })) {
      for (const { pending } of rows) {
        if (pending) {
          out += separator + JSON.stringify(pending);
          separator = ',';
        }
      }
      if (out) {
        yield out;
      }
      out = '';
    }
  }
  yield `${out}],"deploymentsChecked":${
    tally.deploymentsChecked
  },"checks":${JSON.stringify(tally.checks())}}`;
}
