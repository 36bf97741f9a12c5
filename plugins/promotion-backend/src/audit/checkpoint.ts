/*
 * Signed checkpoints of the audit trail: the head of every flow chain at one
 * moment, with a digest and an HMAC under the audit signing key. An auditor
 * keeps the checkpoint JSON outside the database; verifying against it later
 * shows whether any chain was truncated, rewound or rewritten since, which a
 * database writer could otherwise hide by deleting a flow's newest events
 * together with its head.
 *
 * Pure functions, no I/O.
 */
import {
  AuditChainHead,
  AuditCheckpoint,
} from '@promotion/plugin-promotion-common';
import { AuditKeyring, SignatureCheck } from './auditKeyring';
import { canonicalJson, sha256Hex } from './hashChain';

/** The digest of a checkpoint: sha256 of the canonical JSON of what it records. */
export function checkpointDigest(
  checkpoint: Pick<AuditCheckpoint, 'id' | 'createdAt' | 'createdBy' | 'heads'>,
): string {
  return sha256Hex(
    canonicalJson({
      checkpoint: 'promotion-audit-checkpoint/v1',
      id: checkpoint.id,
      createdAt: checkpoint.createdAt,
      createdBy: checkpoint.createdBy,
      heads: checkpoint.heads.map(head => ({
        entityRef: head.entityRef,
        chainSeq: head.chainSeq,
        seq: head.seq,
        link: head.link,
      })),
    }),
  );
}

function macText(digest: string): string {
  return canonicalJson({ checkpoint: 'promotion-audit-checkpoint/v1', digest });
}

/** A signed checkpoint of the given heads (sorted by flow). */
export function signCheckpoint(
  keyring: AuditKeyring,
  fields: {
    id: string;
    createdAt: string;
    createdBy: string;
    heads: AuditChainHead[];
  },
): AuditCheckpoint {
  const heads = [...fields.heads].sort((a, b) =>
    a.entityRef < b.entityRef ? -1 : 1,
  );
  const digest = checkpointDigest({ ...fields, heads });
  const { keyId, mac } = keyring.sign(macText(digest));
  return {
    ...fields,
    heads,
    flows: heads.length,
    events: heads.reduce((sum, head) => sum + head.chainSeq, 0),
    digest,
    keyId,
    mac,
  };
}

/**
 * Whether a checkpoint is one the keyring signed and unchanged since:
 * `altered` when its digest no longer matches its heads.
 */
export function checkCheckpoint(
  keyring: AuditKeyring,
  checkpoint: AuditCheckpoint,
): SignatureCheck | 'altered' {
  if (checkpointDigest(checkpoint) !== checkpoint.digest) {
    return 'altered';
  }
  return keyring.check(
    macText(checkpoint.digest),
    checkpoint.keyId,
    checkpoint.mac,
  );
}
