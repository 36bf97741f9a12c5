import {
  AuditEvent,
  AuditEventRef,
  AuditEventType,
  ChecklistCompletion,
  Deployment,
  FlowFacts,
  Page,
  PromotionPolicy,
} from '@promotion/plugin-promotion-common';

/*
 * The audit events of a deployment trail: which of the flow's events it may
 * cite, up to when they are read, reading them page by page, and finding
 * the event that recorded each fact.
 */

/** How many audit events are read from the store per page while looking for the trail's. */
export const TRAIL_EVENTS_PAGE_SIZE = 500;

/**
 * Which of the flow's audit events the trail of a deployment may cite: the
 * deployment's own, the requests, decisions, standing approvals and
 * rollbacks of its environment, the previous environment's validation checklist and sign-offs
 * for the version (and its flow-scoped items), and the environment's
 * post-deployment checklist for the version. Pages of events are filtered
 * with it, so that only these are held.
 */
export function trailEventFilter(
  policy: PromotionPolicy,
  deployment: Deployment,
): (event: AuditEvent) => boolean {
  const { environmentId, version } = deployment;
  const index = policy.environments.findIndex(e => e.id === environmentId);
  const previousId = index > 0 ? policy.environments[index - 1].id : undefined;
  return event => {
    switch (event.type) {
      case 'deployment.recorded':
        return event.payload.deploymentId === deployment.id;
      case 'request.created':
      case 'request.edited':
      case 'request.approved':
      case 'decision.recorded':
      case 'standing-approval.granted':
      case 'rollback.recorded':
        return event.environmentId === environmentId;
      case 'checklist.completed':
      case 'checklist.undone':
        return (
          (event.environmentId === previousId &&
            event.payload.kind === 'validation' &&
            (event.version === undefined || event.version === version)) ||
          (event.environmentId === environmentId &&
            event.payload.kind === 'post-deployment' &&
            event.version === version)
        );
      case 'sign-off.given':
        return event.environmentId === previousId && event.version === version;
      case 'break-glass.declared':
      case 'break-glass.approved':
      case 'break-glass.used':
        return (
          deployment.breakGlassId !== undefined &&
          event.payload.breakGlassId === deployment.breakGlassId
        );
      default:
        return false;
    }
  };
}

/**
 * Up to when the trail's audit events must be read: the deployment, or the
 * latest fact recorded after it that the trail lists (a validation
 * completion or sign-off given later, a post-deployment completion).
 */
export function trailEventsUntil(
  policy: PromotionPolicy,
  facts: FlowFacts,
  deployment: Deployment,
): Date {
  const { environmentId, version } = deployment;
  const index = policy.environments.findIndex(e => e.id === environmentId);
  const previousId = index > 0 ? policy.environments[index - 1].id : undefined;
  const times = [
    deployment.reportedAt,
    ...facts.checklistCompletions
      .filter(
        c =>
          (c.environmentId === previousId &&
            c.kind === 'validation' &&
            (isFlowScoped(c) || c.version === version)) ||
          (c.environmentId === environmentId &&
            c.kind === 'post-deployment' &&
            c.version === version),
      )
      .map(c => c.completedAt),
    ...facts.signOffs
      .filter(s => s.environmentId === previousId && s.version === version)
      .map(s => s.signedOffAt),
  ].map(time => Date.parse(time));
  return new Date(Math.max(...times));
}

/**
 * Reads the pages of audit events `fetchPage` returns, oldest first, keeping
 * only the events `keep` accepts, until the last page.
 */
export async function readTrailEvents(
  fetchPage: (cursor?: string) => Promise<Page<AuditEvent>>,
  keep: (event: AuditEvent) => boolean,
): Promise<AuditEvent[]> {
  const kept: AuditEvent[] = [];
  let cursor: string | undefined;
  do {
    const page = await fetchPage(cursor);
    kept.push(...page.items.filter(keep));
    cursor = page.nextCursor;
  } while (cursor);
  return kept;
}

/** The audit events by type and by the id of the fact each records. */
export interface EventIndex {
  /** The events of a type about one fact, oldest first. */
  all(type: AuditEventType, subjectId: string): AuditEvent[];
  first(type: AuditEventType, subjectId: string): AuditEvent | undefined;
  /** The events of a type, oldest first. */
  ofType(type: AuditEventType): AuditEvent[];
}

export function indexEvents(events: AuditEvent[]): EventIndex {
  const bySubject = new Map<string, AuditEvent[]>();
  const byType = new Map<AuditEventType, AuditEvent[]>();
  const add = <K>(map: Map<K, AuditEvent[]>, key: K, event: AuditEvent) =>
    map.set(key, [...(map.get(key) ?? []), event]);
  for (const event of [...events].sort((a, b) => a.seq - b.seq)) {
    const subject = subjectOf(event);
    if (subject !== undefined) {
      add(bySubject, `${event.type}|${subject}`, event);
    }
    add(byType, event.type, event);
  }
  const all = (type: AuditEventType, subjectId: string) =>
    bySubject.get(`${type}|${subjectId}`) ?? [];
  return {
    all,
    first: (type, subjectId) => all(type, subjectId)[0],
    ofType: type => byType.get(type) ?? [],
  };
}

/** The id of the fact an audit event records, from its payload. */
function subjectOf(event: AuditEvent): string | undefined {
  const key: Partial<Record<AuditEventType, string>> = {
    'deployment.recorded': 'deploymentId',
    'checklist.completed': 'completionId',
    'checklist.undone': 'completionId',
    'sign-off.given': 'signOffId',
    'request.created': 'requestId',
    'request.edited': 'requestId',
    'request.approved': 'requestId',
    'decision.recorded': 'decisionId',
    'standing-approval.granted': 'standingApprovalId',
    'rollback.recorded': 'rollbackId',
    'break-glass.declared': 'breakGlassId',
    'break-glass.approved': 'breakGlassId',
    'break-glass.used': 'breakGlassId',
  };
  const field = key[event.type];
  const value = field ? event.payload?.[field] : undefined;
  return typeof value === 'string' ? value : undefined;
}

/** A completion as its `checklist.completed` event recorded it. */
export function completionFromEvent(
  event: AuditEvent,
): ChecklistCompletion | undefined {
  const { completionId, kind, itemId, evidenceLink, note, result } =
    event.payload;
  if (
    typeof completionId !== 'string' ||
    (kind !== 'validation' && kind !== 'post-deployment') ||
    typeof itemId !== 'string' ||
    !event.environmentId
  ) {
    return undefined;
  }
  return {
    id: completionId,
    entityRef: event.entityRef,
    environmentId: event.environmentId,
    kind,
    itemId,
    ...(event.version !== undefined && { version: event.version }),
    completedBy: event.actor,
    completedAt: event.occurredAt,
    ...(typeof evidenceLink === 'string' && { evidenceLink }),
    ...(typeof note === 'string' && { note }),
    ...(typeof result === 'string' && { result }),
  };
}

/** Flow-scoped completions carry no version (null when read from a database). */
export function isFlowScoped(completion: ChecklistCompletion): boolean {
  return completion.version === undefined || completion.version === null;
}

export function refOf(event: AuditEvent): AuditEventRef {
  return {
    seq: event.seq,
    id: event.id,
    type: event.type,
    occurredAt: event.occurredAt,
  };
}
