import { parseEntityRef } from '@backstage/catalog-model';
import { InputError } from '@backstage/errors';
import { Insights, InsightsWeek } from '@promotion/plugin-promotion-common';
import { DateTime } from 'luxon';
import { WEEK_MS } from '../../database/operations/insights/readInsights';
import { CallContext } from '../callContext';
import { ServiceParts } from '../serviceParts';
import { toCsv } from './csv';

const DAY_MS = 24 * 60 * 60 * 1000;
const DEFAULT_INSIGHTS_DAYS = 30;
const DEFAULT_PRODUCTION_ENVIRONMENTS = ['production'];
const DEFAULT_MAX_RANGE_DAYS = 366;

export type InsightsFormat = 'json' | 'csv';

export const INSIGHTS_CONTENT_TYPES: Record<InsightsFormat, string> = {
  json: 'application/json; charset=utf-8',
  csv: 'text/csv; charset=utf-8',
};

type InsightsParts = Pick<
  ServiceParts,
  'store' | 'flows' | 'authorizer' | 'config' | 'now'
>;

/** The Monday 00:00 UTC of the ISO week `date` falls in. */
export function isoWeekStart(date: Date): Date {
  return DateTime.fromJSDate(date, { zone: 'utc' }).startOf('week').toJSDate();
}

/**
 * The governance insights over a time range, for the whole portal or one
 * flow: approval lead time, Dev to Production time per version, Production
 * deployments, rollbacks and the change failure rate, violations and
 * break-glass uses per ISO week, and the requests waiting now. The database
 * computes them with aggregate queries (`readInsights`): nothing read grows
 * with the range but the number of weeks, which the range's bound caps.
 *
 * Who may read them: the whole portal, those who may read the audit trail
 * and the verification report (`promotion.audit.read`); one flow, those who
 * may see the flow (`promotion.read` on its entity).
 */
export class GovernanceInsights {
  readonly #parts: InsightsParts;

  constructor(parts: InsightsParts) {
    this.#parts = parts;
  }

  async getInsights(
    query: { from?: Date; to?: Date; flow?: string },
    ctx: CallContext,
  ): Promise<Insights> {
    const { store, flows, authorizer, config } = this.#parts;
    const productionEnvironments =
      config.insights?.productionEnvironments ??
      DEFAULT_PRODUCTION_ENVIRONMENTS;
    const maxRangeDays =
      config.insights?.maxRangeDays ?? DEFAULT_MAX_RANGE_DAYS;

    let entityRef: string | undefined;
    if (query.flow !== undefined) {
      const flow = await flows.readable(parseEntityRef(query.flow), ctx);
      entityRef = flow.entityRef;
    } else {
      await authorizer.authorizeAuditRead(ctx.credentials);
    }

    const now = this.#parts.now();
    const to = query.to ?? now;
    const from =
      query.from ?? new Date(to.getTime() - DEFAULT_INSIGHTS_DAYS * DAY_MS);
    if (from.getTime() > to.getTime()) {
      throw new InputError('query.from: must not be after query.to');
    }
    if (to.getTime() - from.getTime() > maxRangeDays * DAY_MS) {
      throw new InputError(
        `query.from: the range may cover at most ${maxRangeDays} days (promotion.insights.maxRangeDays)`,
      );
    }

    const weekZero = isoWeekStart(from);
    const firstEnvironments = [
      ...new Set(
        Object.values(config.policies).flatMap(policy =>
          policy.environments.length > 0 ? [policy.environments[0].id] : [],
        ),
      ),
    ];
    const facts = await store.readInsights({
      from,
      to,
      now,
      weekZero,
      entityRef,
      productionEnvironments,
      firstEnvironments,
    });

    const weekCount =
      Math.floor((to.getTime() - weekZero.getTime()) / WEEK_MS) + 1;
    const weeks: InsightsWeek[] = [];
    for (let index = 0; index < weekCount; index += 1) {
      const productionDeployments = facts.productionDeployments.get(index) ?? 0;
      const rollbacks = facts.rollbacks.get(index) ?? 0;
      weeks.push({
        weekStart: new Date(weekZero.getTime() + index * WEEK_MS)
          .toISOString()
          .slice(0, 10),
        productionDeployments,
        rollbacks,
        changeFailureRate: rate(rollbacks, productionDeployments),
        violations: facts.violations.get(index) ?? 0,
        breakGlass: facts.breakGlass.get(index) ?? 0,
      });
    }
    const sum = (
      key: 'productionDeployments' | 'rollbacks' | 'violations' | 'breakGlass',
    ) => weeks.reduce((total, week) => total + week[key], 0);
    const productionDeployments = sum('productionDeployments');
    const rollbacks = sum('rollbacks');

    return {
      from: from.toISOString(),
      to: to.toISOString(),
      generatedAt: now.toISOString(),
      ...(entityRef !== undefined && { flow: entityRef }),
      productionEnvironments,
      approvalLeadTime: facts.approvalLeadTime,
      devToProduction: {
        count: facts.devToProduction.count,
        medianMs: facts.devToProduction.medianMs,
        p90Ms: facts.devToProduction.p90Ms,
        versions: facts.devToProduction.versions,
      },
      weeks,
      totals: {
        productionDeployments,
        rollbacks,
        changeFailureRate: rate(rollbacks, productionDeployments),
        violations: sum('violations'),
        breakGlass: sum('breakGlass'),
      },
      waiting: {
        count: facts.waiting.count,
        oldestMs: facts.waiting.oldestMs,
        medianAgeMs: facts.waiting.medianMs,
      },
    };
  }
}

function rate(part: number, whole: number): number | null {
  return whole === 0 ? null : part / whole;
}

const WEEK_COLUMNS = [
  'productionDeployments',
  'rollbacks',
  'changeFailureRate',
  'violations',
  'breakGlass',
] as const;

/**
 * The insights as CSV: a line per ISO week, a line with the range's totals,
 * then one `metric,value` line per duration (milliseconds, empty when
 * nothing was measured) and count.
 */
export function insightsToCsv(insights: Insights): string {
  const cell = (value: number | null) => (value === null ? '' : value);
  const weekLines = [
    ['weekStart', ...WEEK_COLUMNS],
    ...insights.weeks.map(week => [
      week.weekStart,
      ...WEEK_COLUMNS.map(column => cell(week[column])),
    ]),
    ['total', ...WEEK_COLUMNS.map(column => cell(insights.totals[column]))],
  ];
  const metrics: Array<[string, number | null]> = [
    ['approvalLeadTimeCount', insights.approvalLeadTime.count],
    ['approvalLeadTimeMedianMs', insights.approvalLeadTime.medianMs],
    ['approvalLeadTimeP90Ms', insights.approvalLeadTime.p90Ms],
    ['devToProductionCount', insights.devToProduction.count],
    ['devToProductionMedianMs', insights.devToProduction.medianMs],
    ['devToProductionP90Ms', insights.devToProduction.p90Ms],
    ['waitingCount', insights.waiting.count],
    ['waitingOldestMs', insights.waiting.oldestMs],
    ['waitingMedianAgeMs', insights.waiting.medianAgeMs],
  ];
  return (
    toCsv(weekLines) +
    toCsv([['metric', 'value'], ...metrics.map(([name, v]) => [name, cell(v)])])
  );
}
