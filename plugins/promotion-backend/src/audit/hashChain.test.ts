import { createHash } from 'node:crypto';
import {
  canonicalJson,
  computeEventHash,
  dossierHash,
  GENESIS_HASH,
  HashedAuditEventFields,
} from './hashChain';

const event: HashedAuditEventFields = {
  seq: 1,
  id: '5f0c7a7e-2d6c-4d3a-9d44-8e1f8b9f3c11',
  type: 'deployment.recorded',
  entityRef: 'component:default/payments-sftp',
  environmentId: 'production',
  version: '1.2.3',
  actor: 'user:default/alice',
  occurredAt: '2026-11-21T10:00:00.123Z',
  summary: 'Deployment of 1.2.3 to production succeeded',
  payload: { deploymentId: 'd1', status: 'succeeded', nested: { b: 1, a: 2 } },
  previousHash: GENESIS_HASH,
};

describe('canonicalJson', () => {
  it('sorts keys at every level and keeps array order', () => {
    expect(
      canonicalJson({ b: 1, a: { d: [3, { z: 1, y: 2 }], c: null } }),
    ).toBe('{"a":{"c":null,"d":[3,{"y":2,"z":1}]},"b":1}');
  });

  it('does not depend on insertion order', () => {
    expect(canonicalJson({ x: 1, y: 2 })).toBe(canonicalJson({ y: 2, x: 1 }));
  });

  it('leaves out undefined members like JSON does', () => {
    expect(canonicalJson({ a: undefined, b: 'x' })).toBe('{"b":"x"}');
    expect(canonicalJson([undefined, 1])).toBe('[null,1]');
  });

  it('writes dates as ISO strings and scalars as JSON', () => {
    expect(canonicalJson(new Date('2026-01-02T03:04:05.006Z'))).toBe(
      '"2026-01-02T03:04:05.006Z"',
    );
    expect(canonicalJson('a"b')).toBe('"a\\"b"');
    expect(canonicalJson(12.5)).toBe('12.5');
    expect(canonicalJson(true)).toBe('true');
    expect(canonicalJson(null)).toBe('null');
  });
});

describe('computeEventHash', () => {
  it('is the sha256 of the canonical JSON of the hashed fields', () => {
    const expected = createHash('sha256')
      .update(
        '{"actor":"user:default/alice","entityRef":"component:default/payments-sftp",' +
          '"environmentId":"production","id":"5f0c7a7e-2d6c-4d3a-9d44-8e1f8b9f3c11",' +
          '"occurredAt":"2026-11-21T10:00:00.123Z",' +
          '"payload":{"deploymentId":"d1","nested":{"a":2,"b":1},"status":"succeeded"},' +
          `"previousHash":"${GENESIS_HASH}","seq":1,` +
          '"summary":"Deployment of 1.2.3 to production succeeded",' +
          '"type":"deployment.recorded","version":"1.2.3"}',
      )
      .digest('hex');
    expect(computeEventHash(event)).toBe(expected);
    expect(computeEventHash(event)).toMatch(/^[0-9a-f]{64}$/);
  });

  it('ignores a hash already on the event and key order', () => {
    const reordered = JSON.parse(
      JSON.stringify({ ...event, hash: 'whatever' }),
    );
    expect(computeEventHash(reordered)).toBe(computeEventHash(event));
  });

  it.each([
    ['seq', { seq: 2 }],
    ['id', { id: 'other' }],
    ['type', { type: 'rollback.recorded' }],
    ['entityRef', { entityRef: 'component:default/other' }],
    ['environmentId', { environmentId: 'test' }],
    ['environmentId (absent)', { environmentId: undefined }],
    ['version', { version: '1.2.4' }],
    ['actor', { actor: 'user:default/mallory' }],
    ['occurredAt', { occurredAt: '2026-11-21T10:00:00.124Z' }],
    ['summary', { summary: 'Deployment of 1.2.3 to production failed' }],
    ['payload', { payload: { ...event.payload, status: 'failed' } }],
    ['previousHash', { previousHash: '1'.repeat(64) }],
  ] as Array<[string, Partial<HashedAuditEventFields>]>)(
    'changes when %s changes',
    (_field, change) => {
      expect(computeEventHash({ ...event, ...change })).not.toBe(
        computeEventHash(event),
      );
    },
  );
});

describe('dossierHash', () => {
  const dossier = {
    whatChanged: 'New SFTP client',
    why: 'Vendor deprecation',
    testResults: 'All green',
    releaseNotes: 'Faster uploads',
  };

  it('is the sha256 of the canonical JSON of the dossier', () => {
    expect(dossierHash(dossier)).toBe(
      createHash('sha256').update(canonicalJson(dossier)).digest('hex'),
    );
  });

  it('depends on content, not key order', () => {
    expect(
      dossierHash({
        releaseNotes: 'Faster uploads',
        testResults: 'All green',
        why: 'Vendor deprecation',
        whatChanged: 'New SFTP client',
      }),
    ).toBe(dossierHash(dossier));
    expect(dossierHash({ ...dossier, why: 'Other' })).not.toBe(
      dossierHash(dossier),
    );
  });
});
