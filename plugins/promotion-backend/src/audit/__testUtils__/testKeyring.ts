import { AuditKey, AuditKeyring } from '../auditKeyring';

/** A fixed audit signing key for tests: what it signs verifies across store instances. */
export const TEST_AUDIT_KEY: AuditKey = {
  id: 'test',
  secret: Buffer.from('promotion-test-audit-signing-key-0123456789', 'utf8'),
};

/** A keyring of the test key (and any others, which only verify). */
export function testKeyring(...others: AuditKey[]): AuditKeyring {
  return new AuditKeyring([TEST_AUDIT_KEY, ...others]);
}
