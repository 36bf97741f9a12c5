import { LoggerService } from '@backstage/backend-plugin-api';
import { Config } from '@backstage/config';
import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/*
 * The secret that keys the audit trail. Every link of the chain, every
 * checkpoint and every state row's digest is an HMAC-SHA256 under one of
 * these keys, so someone who can write to the database but does not hold the
 * key cannot forge or recompute them. The key never goes into the database:
 * it comes from configuration (a secret), and each signature names the key id
 * it was made with, so keys can rotate — the first configured key signs, the
 * others still verify what they signed.
 */

/** Config key of the signing keys. */
export const AUDIT_KEYS_CONFIG = 'promotion.audit.signingKeys';

/** Shortest secret accepted: 32 characters (e.g. `openssl rand -base64 32`). */
export const MIN_SECRET_LENGTH = 32;

export interface AuditKey {
  /** Named in every signature: `2026-11`, `k1`. */
  id: string;
  secret: Buffer;
}

export type SignatureCheck = 'valid' | 'invalid' | 'unknown-key';

export class AuditKeyring {
  readonly #keys: Map<string, AuditKey>;
  readonly #current: AuditKey;

  /**
   * Reads `promotion.audit.signingKeys`. Outside production a missing key is
   * replaced by a random one for this process (with a warning: what it signs
   * does not verify after a restart); in production it is a start-up error.
   */
  static fromConfig(
    config: Config,
    options: { logger?: LoggerService; production?: boolean } = {},
  ): AuditKeyring {
    const production =
      options.production ?? process.env.NODE_ENV === 'production';
    const entries = config.getOptionalConfigArray(AUDIT_KEYS_CONFIG) ?? [];
    const keys = entries.map((entry, index) => {
      const path = `${AUDIT_KEYS_CONFIG}[${index}]`;
      const id = entry.getString('id');
      if (!/^[A-Za-z0-9._-]{1,64}$/.test(id)) {
        throw new Error(
          `${path}.id must be 1 to 64 letters, digits, '.', '_' or '-'`,
        );
      }
      const secret = entry.getString('secret');
      if (secret.length < MIN_SECRET_LENGTH) {
        throw new Error(
          `${path}.secret must be at least ${MIN_SECRET_LENGTH} characters; generate one with: openssl rand -base64 32`,
        );
      }
      return { id, secret: Buffer.from(secret, 'utf8') };
    });
    if (keys.length === 0) {
      if (production) {
        throw new Error(
          `${AUDIT_KEYS_CONFIG} is not configured: the audit trail must be keyed with a secret kept outside the database. ` +
            `Set it, e.g. signingKeys: [{ id: k1, secret: \${PROMOTION_AUDIT_SIGNING_KEY} }] with a secret of at least ${MIN_SECRET_LENGTH} characters`,
        );
      }
      options.logger?.warn(
        `${AUDIT_KEYS_CONFIG} is not configured: the audit trail is keyed with a random development key for this process only; ` +
          'what it records will not verify after a restart. Configure a key outside development.',
      );
      keys.push({ id: 'development', secret: randomBytes(32) });
    }
    return new AuditKeyring(keys);
  }

  /** A keyring of the given keys; the first one signs. */
  constructor(keys: AuditKey[]) {
    if (keys.length === 0) {
      throw new Error('An audit keyring needs at least one key');
    }
    this.#keys = new Map();
    for (const key of keys) {
      if (this.#keys.has(key.id)) {
        throw new Error(`Audit signing key id '${key.id}' is configured twice`);
      }
      this.#keys.set(key.id, key);
    }
    this.#current = keys[0];
  }

  /** The id of the key that signs from now on. */
  get currentKeyId(): string {
    return this.#current.id;
  }

  /** HMAC-SHA256 (hex) of `text` under the current key, with that key's id. */
  sign(text: string): { keyId: string; mac: string } {
    return { keyId: this.#current.id, mac: hmac(this.#current, text) };
  }

  /** HMAC-SHA256 (hex) of `text` under the named key; undefined for an unknown key. */
  macWith(keyId: string, text: string): string | undefined {
    const key = this.#keys.get(keyId);
    return key ? hmac(key, text) : undefined;
  }

  /** Checks a signature in constant time. */
  check(text: string, keyId: string, mac: string): SignatureCheck {
    const expected = this.macWith(keyId, text);
    if (expected === undefined) {
      return 'unknown-key';
    }
    const a = Buffer.from(expected, 'hex');
    const b = Buffer.from(mac, 'hex');
    return a.length === b.length && timingSafeEqual(a, b) ? 'valid' : 'invalid';
  }
}

function hmac(key: AuditKey, text: string): string {
  return createHmac('sha256', key.secret).update(text, 'utf8').digest('hex');
}
