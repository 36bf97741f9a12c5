/*
 * The tamper-evident audit trail: every audit event carries the hash of the
 * event before it, and its own hash covers everything it says. Editing or
 * deleting a stored event breaks the chain, which `verifyChain` detects.
 *
 * Pure functions, no I/O.
 */
import { createHash } from 'node:crypto';
import { AuditEvent, Dossier } from '@promotion/plugin-promotion-common';

/** The previous hash of the first event in the chain. */
export const GENESIS_HASH = '0'.repeat(64);

/**
 * Deterministic JSON: object keys sorted at every level, no whitespace,
 * `undefined` object members left out (as `JSON.stringify` does).
 * Arrays keep their order; `undefined` inside arrays becomes `null`.
 */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value));
}

function sortKeys(value: unknown): unknown {
  if (value === null || typeof value !== 'object') {
    return value;
  }
  if (value instanceof Date) {
    return value.toISOString();
  }
  if (Array.isArray(value)) {
    return value.map(item => (item === undefined ? null : sortKeys(item)));
  }
  const sorted: Record<string, unknown> = {};
  for (const key of Object.keys(value).sort()) {
    const member = (value as Record<string, unknown>)[key];
    if (member !== undefined) {
      sorted[key] = sortKeys(member);
    }
  }
  return sorted;
}

function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The fields of an audit event that its hash covers: all of them but the hash itself. */
export type HashedAuditEventFields = Omit<AuditEvent, 'hash'>;

/**
 * sha256 (hex) of the canonical JSON of the event's fields:
 * `{ seq, id, type, entityRef, environmentId, version, actor, occurredAt,
 * summary, payload, previousHash }`. `occurredAt` must be the ISO 8601 string
 * with milliseconds, exactly as stored and returned.
 */
export function computeEventHash(event: HashedAuditEventFields): string {
  return sha256(
    canonicalJson({
      seq: event.seq,
      id: event.id,
      type: event.type,
      entityRef: event.entityRef,
      environmentId: event.environmentId,
      version: event.version,
      actor: event.actor,
      occurredAt: event.occurredAt,
      summary: event.summary,
      payload: event.payload,
      previousHash: event.previousHash,
    }),
  );
}

/** sha256 (hex) of the canonical JSON of a dossier; approvals bind to it. */
export function dossierHash(dossier: Dossier): string {
  return sha256(canonicalJson(dossier));
}
