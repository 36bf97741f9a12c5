/*
 * The tamper-evident audit trail: every flow has its own chain of audit
 * events; every event carries the link of the event before it in its flow
 * (`previousHash`) and its own link (`hash`), an HMAC-SHA256 under the audit
 * signing key (see `auditKeyring.ts`) of everything it says. Editing,
 * deleting or forging a stored event breaks the chain, which `verifyChain`
 * detects; without the key, a database writer cannot recompute the links.
 *
 * Events recorded before the keyed chain (key id `sha256-legacy`) carry the
 * unkeyed sha256 of `computeEventHash`, chained globally: they are verified
 * with that algorithm as a legacy prefix.
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

/** The key id of the events and heads recorded before the keyed chain: unkeyed sha256. */
export const LEGACY_KEY_ID = 'sha256-legacy';

/** The fields of an audit event that its keyed link covers. */
export interface LinkedAuditEventFields extends HashedAuditEventFields {
  /** Position in the chain of its flow, from 1. */
  chainSeq: number;
  /** The signing key of the link. */
  keyId: string;
}

/**
 * The text an event's keyed link is the HMAC of: the canonical JSON of
 * `{ link: 'promotion-audit-event/v1', seq, chainSeq, keyId, id, type,
 * entityRef, environmentId, version, actor, occurredAt, summary, payload,
 * previousHash }`. The `link` member keeps it apart from any other signed text.
 */
export function eventLinkText(event: LinkedAuditEventFields): string {
  return canonicalJson({
    link: 'promotion-audit-event/v1',
    seq: event.seq,
    chainSeq: event.chainSeq,
    keyId: event.keyId,
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
  });
}

/** The head of a flow chain: its last event. */
export interface ChainHead {
  entityRef: string;
  chainSeq: number;
  seq: number;
  link: string;
}

/** The text a flow chain head's HMAC is of. */
export function chainHeadText(head: ChainHead): string {
  return canonicalJson({
    head: 'promotion-audit-chain/v1',
    entityRef: head.entityRef,
    chainSeq: head.chainSeq,
    seq: head.seq,
    link: head.link,
  });
}

/** sha256 (hex) of a text: a checkpoint's digest. */
export function sha256Hex(text: string): string {
  return sha256(text);
}

/** sha256 (hex) of the canonical JSON of a dossier; approvals bind to it. */
export function dossierHash(dossier: Dossier): string {
  return sha256(canonicalJson(dossier));
}
