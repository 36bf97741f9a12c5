import { mockServices } from '@backstage/backend-test-utils';
import { ConfigReader } from '@backstage/config';
import { AuditKeyring } from './auditKeyring';

const SECRET_1 = 'a'.repeat(32);
const SECRET_2 = 'b'.repeat(40);

const config = (signingKeys?: unknown) =>
  new ConfigReader(
    signingKeys === undefined ? {} : { promotion: { audit: { signingKeys } } },
  );

describe('AuditKeyring', () => {
  it('signs with the first key and verifies with every configured one', () => {
    const old = AuditKeyring.fromConfig(
      config([{ id: 'k1', secret: SECRET_1 }]),
    );
    const rotated = AuditKeyring.fromConfig(
      config([
        { id: 'k2', secret: SECRET_2 },
        { id: 'k1', secret: SECRET_1 },
      ]),
    );
    const signed = old.sign('event 1');
    expect(signed.keyId).toBe('k1');
    expect(signed.mac).toMatch(/^[0-9a-f]{64}$/);
    expect(rotated.currentKeyId).toBe('k2');
    expect(rotated.check('event 1', signed.keyId, signed.mac)).toBe('valid');
    expect(rotated.check('event 2', signed.keyId, signed.mac)).toBe('invalid');
    expect(rotated.check('event 1', 'k9', signed.mac)).toBe('unknown-key');
  });

  it('gives a different MAC under a different secret (a recomputed hash is not enough)', () => {
    const a = new AuditKeyring([{ id: 'k', secret: Buffer.from(SECRET_1) }]);
    const b = new AuditKeyring([{ id: 'k', secret: Buffer.from(SECRET_2) }]);
    expect(a.sign('x').mac).not.toBe(b.sign('x').mac);
    expect(b.check('x', 'k', a.sign('x').mac)).toBe('invalid');
  });

  it('refuses to start in production without a key, naming the key to set', () => {
    expect(() =>
      AuditKeyring.fromConfig(config(), { production: true }),
    ).toThrow(/promotion\.audit\.signingKeys is not configured/);
  });

  it('uses a random development key outside production, and says so', () => {
    const logger = mockServices.logger.mock();
    const keyring = AuditKeyring.fromConfig(config(), {
      production: false,
      logger,
    });
    expect(keyring.currentKeyId).toBe('development');
    expect(logger.warn).toHaveBeenCalledWith(
      expect.stringContaining('random development key'),
    );
    const other = AuditKeyring.fromConfig(config(), { production: false });
    expect(other.check('x', 'development', keyring.sign('x').mac)).toBe(
      'invalid',
    );
  });

  it('names the bad entry of a wrong configuration', () => {
    expect(() =>
      AuditKeyring.fromConfig(config([{ id: 'k1', secret: 'short' }])),
    ).toThrow(/signingKeys\[0\]\.secret must be at least 32 characters/);
    expect(() =>
      AuditKeyring.fromConfig(config([{ id: 'bad id', secret: SECRET_1 }])),
    ).toThrow(/signingKeys\[0\]\.id must be/);
    expect(() =>
      AuditKeyring.fromConfig(
        config([
          { id: 'k1', secret: SECRET_1 },
          { id: 'k1', secret: SECRET_2 },
        ]),
      ),
    ).toThrow(/'k1' is configured twice/);
  });
});
