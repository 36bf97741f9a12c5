#!/usr/bin/env node
/*
 * Malformed-request fuzzing of the Promotion REST API, run by
 * scripts/fuzz-api.sh against a backend it started on a fresh database.
 *
 * Reads the served OpenAPI document, builds a valid request for every
 * operation from its schemas and the example portal's flows, then sends
 * mutations of them: wrong types, missing and extra fields, huge and
 * unstorable strings, odd path segments, bad cursors, dates and limits,
 * malformed JSON, wrong content types, wrong methods, bad credentials and
 * valid-looking requests for unknown flows, environments and items.
 *
 * Counts the answers by status, flags every 5xx and every body that shows
 * internals (hosts and ports, SQL, stack traces, file paths), then asks the
 * audit trail to verify itself. Exits 1 on any 5xx, any leak, or a broken
 * chain. Plain Node 22, no dependencies: node:http sends the request line
 * exactly as written (`..`, `%00`, `%2F` stay in the path).
 *
 * Usage: node fuzz.mjs --base http://127.0.0.1:7007 --token <pipeline token>
 *          [--requests 10000] [--concurrency 8] [--time-limit 300] [--seed 1]
 */
import http from 'node:http';

// ---------------------------------------------------------------------------
// Options
// ---------------------------------------------------------------------------

function readOptions(argv) {
  const options = {
    base: 'http://127.0.0.1:7007',
    token: '',
    requests: 10_000,
    concurrency: 8,
    timeLimit: 300,
    seed: 1,
    users: { flowOwner: 'alice', approver: 'dana', auditor: 'ann' },
  };
  for (let i = 2; i < argv.length; i += 2) {
    const [name, value] = [argv[i], argv[i + 1]];
    switch (name) {
      case '--base':
        options.base = value.replace(/\/$/, '');
        break;
      case '--token':
        options.token = value;
        break;
      case '--requests':
        options.requests = Number(value);
        break;
      case '--concurrency':
        options.concurrency = Number(value);
        break;
      case '--time-limit':
        options.timeLimit = Number(value);
        break;
      case '--seed':
        options.seed = Number(value);
        break;
      default:
        throw new Error(`Unknown option ${name}`);
    }
  }
  if (!options.token) {
    throw new Error('--token (the pipeline token) is required');
  }
  return options;
}

const options = readOptions(process.argv);
const API = '/api/promotion';
const baseUrl = new URL(options.base);
const agent = new http.Agent({
  keepAlive: true,
  maxSockets: options.concurrency,
});

// ---------------------------------------------------------------------------
// Random choices, reproducible from --seed
// ---------------------------------------------------------------------------

let seedState = options.seed >>> 0 || 1;
function random() {
  // mulberry32
  seedState = (seedState + 0x6d2b79f5) >>> 0;
  let t = seedState;
  t = Math.imul(t ^ (t >>> 15), t | 1);
  t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
  return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
}
const pick = list => list[Math.floor(random() * list.length)];
const chance = p => random() < p;

function randomUuid() {
  const hex = () => Math.floor(random() * 16).toString(16);
  const part = n => Array.from({ length: n }, hex).join('');
  return `${part(8)}-${part(4)}-4${part(3)}-a${part(3)}-${part(12)}`;
}

// ---------------------------------------------------------------------------
// HTTP
// ---------------------------------------------------------------------------

/**
 * Sends one request with the path written exactly as given. Resolves with
 * status and body text, or with `status: 0` and the client-side error.
 */
function send({ method, path, headers = {}, body }) {
  return new Promise(resolve => {
    const payload =
      body === undefined
        ? undefined
        : Buffer.isBuffer(body)
        ? body
        : Buffer.from(body, 'utf8');
    let req;
    try {
      req = http.request(
        {
          agent,
          host: baseUrl.hostname,
          port: baseUrl.port,
          method: method.toUpperCase(),
          path,
          headers: {
            ...headers,
            ...(payload && { 'content-length': String(payload.length) }),
          },
          timeout: 30_000,
        },
        res => {
          const chunks = [];
          let size = 0;
          res.on('data', chunk => {
            // Keep at most 256 KiB of a body: enough to look for leaks.
            if (size < 262_144) {
              chunks.push(chunk);
            }
            size += chunk.length;
          });
          res.on('end', () =>
            resolve({
              status: res.statusCode,
              headers: res.headers,
              text: Buffer.concat(chunks).toString('utf8'),
            }),
          );
          res.on('error', error =>
            resolve({ status: 0, text: '', error: String(error) }),
          );
        },
      );
    } catch (error) {
      // node:http refuses to send some request lines (e.g. control characters).
      resolve({ status: -1, text: '', error: String(error) });
      return;
    }
    req.on('timeout', () => req.destroy(new Error('client timeout')));
    req.on('error', error =>
      resolve({ status: 0, text: '', error: String(error) }),
    );
    req.end(payload);
  });
}

const userTokens = new Map();
async function userToken(user) {
  if (!userTokens.has(user)) {
    const res = await send({
      method: 'get',
      path: '/api/auth/demo/refresh',
      headers: { 'x-promotion-demo-user': user },
    });
    if (res.status !== 200) {
      throw new Error(
        `Demo sign-in as ${user} answered ${res.status}: ${res.text.slice(
          0,
          300,
        )}`,
      );
    }
    userTokens.set(user, JSON.parse(res.text).backstageIdentity.token);
  }
  return userTokens.get(user);
}

async function callJson(method, path, { as, body, token } = {}) {
  const bearer = token ?? (as ? await userToken(as) : options.token);
  const res = await send({
    method,
    path: API + path,
    headers: {
      authorization: `Bearer ${bearer}`,
      ...(body !== undefined && { 'content-type': 'application/json' }),
    },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  let json;
  try {
    json = res.text ? JSON.parse(res.text) : undefined;
  } catch {
    json = undefined;
  }
  return { ...res, json };
}

// ---------------------------------------------------------------------------
// What counts as internals in a response body
// ---------------------------------------------------------------------------

const LEAKS = [
  [
    'host:port',
    /\b(?:localhost|127\.0\.0\.1|\[?::1\]?|\d{1,3}(?:\.\d{1,3}){3}):\d{2,5}\b/i,
  ],
  ['127.0.0.1', /127\.0\.0\.1/],
  [
    'connection error code',
    /\b(?:ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENOTFOUND|EPIPE)\b/,
  ],
  [
    'SQL',
    /\bselect\s+[\w*"`.,\s]+\s+from\b|\binsert\s+into\b|\bupdate\s+["`\w.]+\s+set\b|\bdelete\s+from\b/i,
  ],
  [
    'knex / driver',
    /\bknex\b|SQLITE_[A-Z]+|better-sqlite3|\bpg_|\bER_[A-Z_]+\b|SQLSTATE|violates .* constraint/i,
  ],
  [
    'stack trace',
    /\bat\s+[^\s()]+\s+\([^()]*:\d+:\d+\)|\bat\s+\/[^\s]*:\d+:\d+/,
  ],
  ['file path', /\/work\/|node_modules|\/home\/|\/tmp\/|\.tsx?:\d+/],
  ['raw JS error', /\b(?:TypeError|ReferenceError|RangeError|SyntaxError): /],
];

function leaksIn(text) {
  return LEAKS.filter(([, pattern]) => pattern.test(text)).map(
    ([name]) => name,
  );
}

// ---------------------------------------------------------------------------
// The example portal's vocabulary: flows, environments, items
// ---------------------------------------------------------------------------

const FLOW = {
  namespace: 'default',
  kind: 'component',
  name: 'partner-sftp-ingest',
};
const KNOWN_FLOWS = [
  'partner-sftp-ingest',
  'file-router',
  'payments-export',
  'ledger-reconciler',
];
const ENVIRONMENTS = ['dev', 'test', 'production', 'dr'];
const VALIDATION_ITEMS = {
  dev: [
    'code-reviewed',
    'tests-passing',
    'no-open-blockers',
    'release-notes-prepared',
  ],
  test: ['smoke-tests', 'logging', 'integration-dependencies'],
};
const POST_DEPLOYMENT_ITEMS = [
  'monitor-logs',
  'critical-paths',
  'uptime-green',
  'time-logged',
];

/** Text that every database stores exactly: valid requests carry some of it. */
const STORABLE_ODDITIES = [
  'plain text',
  'astral 𝕏 😀 characters',
  'non-character \uffff and \ufffe',
  'byte order mark \ufeff inside',
  'line separator \u2028 and paragraph \u2029',
  'combining e\u0301 and RTL \u202e override',
  'control \u0001\u001f\u007f characters',
  'quotes " \' ` and backslash \\',
];

/** Strings a field should refuse (or store exactly). */
const EVIL_STRINGS = [
  '',
  ' ',
  '\t\n',
  'x'.repeat(100_000),
  '\ud800',
  '\udfff',
  'a\ud800',
  '\udc00a',
  '\ud800\ud800',
  '\u0000',
  'a\u0000b',
  '\uffff',
  '\ufeff',
  '\ufeffdev',
  '\u2028',
  '😀',
  '𝕏'.repeat(64),
  '😀'.repeat(65),
  '\u202e',
  '\u0001\u001f\u007f',
  '%00',
  '%2F',
  '../../etc/passwd',
  '..',
  'null',
  'NaN',
  '1e309',
  '[object Object]',
  '{}',
  "'; drop table promotion_audit_events; --",
  '<img src=x onerror=alert(1)>',
  '\\',
  '"',
  'dev\n',
  ' dev ',
  'DEV',
  'a'.repeat(129),
  'a'.repeat(10_001),
  'javascript:alert(1)',
  'http://',
  'https://exa mple.com',
  'ftp://example.com/x',
  'https://example.com/\ud800',
  'https://' + 'a'.repeat(3000) + '.com',
];

const WRONG_TYPES = [
  null,
  true,
  false,
  0,
  -1,
  1.5,
  1e308,
  -1e308,
  2 ** 63,
  Number.MAX_SAFE_INTEGER + 2,
  [],
  ['a'],
  [null],
  {},
  { a: 1 },
  { toString: 'x', valueOf: 1 },
  JSON.parse('{"__proto__": {"polluted": true}}'),
  deep(200),
];

function deep(n) {
  let value = 'bottom';
  for (let i = 0; i < n; i++) {
    value = { a: value };
  }
  return value;
}

/** Path segments, written raw into the request line. */
const EVIL_SEGMENTS = [
  '%2F',
  'a%2Fb',
  '%00',
  'a%00b',
  '..',
  '.',
  '%2e%2e',
  '%2E',
  '%ED%A0%80', // a lone surrogate, UTF-8 encoded: not valid UTF-8
  '%ED%B0%80',
  '%C0%AF',
  '%FF',
  '%',
  '%zz',
  '%EF%BF%BF', // U+FFFF
  '%EF%BB%BF', // BOM
  '%EF%BB%BFdefault',
  '%E2%80%A8', // U+2028
  '%F0%9D%95%8F', // astral
  '%F0%9F%98%80'.repeat(70),
  'x'.repeat(300),
  'a'.repeat(254),
  'x'.repeat(100_000),
  '%20',
  'a%0Ab',
  'a%0D%0Ab',
  ';',
  'a;b=c',
  '%3A',
  'component%3Adefault',
  '%3F',
  '%23',
  '~',
  'UPPER',
  '-leading',
  'trailing-',
  '0',
  '-1',
  'null',
  '__proto__',
  'constructor',
];

/** Query values, written raw after `name=`; arrays and objects use qs syntax. */
const EVIL_QUERY_VALUES = [
  '',
  '%00',
  '%ED%A0%80',
  '%EF%BF%BF',
  '%EF%BB%BF',
  '%E2%80%A8',
  '%F0%9D%95%8F',
  'x'.repeat(10_000),
  'x'.repeat(100_000),
  '%',
  '%zz',
  'null',
  'undefined',
  '[]',
  '{}',
  '..%2F..',
];
const QUERY_SHAPES = [
  name => `${name}=a&${name}=b`,
  name => `${name}[]=a`,
  name => `${name}[x]=a`,
  name => `${name}[x][y][z]=a`,
  name => `${name}[0]=a&${name}[1]=b`,
  name => `${name}[__proto__]=a`,
  name => `${name}`,
  name => `${name}[]=`,
  name => `${name}[${'a'.repeat(1000)}]=1`,
];

const b64 = text => Buffer.from(text, 'utf8').toString('base64url');
const CURSORS = [
  b64('seq:18446744073709551616'),
  b64('seq:9223372036854775808'),
  b64('seq:9223372036854775807'),
  b64('seq:9007199254740993'),
  b64('seq:99999999999999999999999999999999'),
  b64('seq:' + '9'.repeat(400)),
  b64('seq:-1'),
  b64('seq:0'),
  b64('seq:1.5'),
  b64('seq:1e10'),
  b64('seq:'),
  b64('seq:0x10'),
  b64('seq:1 '),
  b64('seq:\u0000'),
  b64('seq:１'), // full-width digit
  b64('1'),
  b64('{"seq":1}'),
  'not base64!!',
  '====',
  'c2VxOjE=', // padded standard base64 of seq:1
  'c2VxOjE+/w',
  '%00',
  '%ED%A0%80',
  'A'.repeat(1025),
  'A'.repeat(1024),
  '-',
  '_',
];
const DATES = [
  '2024-13-01T00:00:00Z',
  '2024-02-30T00:00:00Z',
  '2023-02-29T00:00:00Z',
  '2024-01-01T24:00:00Z',
  'not a date',
  '0000-00-00',
  '0000-01-01T00:00:00Z',
  '9999-12-31T23:59:59.999-23:59',
  '+275760-09-13T00:00:00.000Z',
  '-271821-04-20T00:00:00Z',
  '2024-01-01',
  '2024-01-01T00:00:00',
  '2024-01-01T00:00:00.' + '9'.repeat(200) + 'Z',
  '1e10',
  '1700000000000',
  'T',
  '2024-01-01T00:00:00%2B01:00',
  '2024-01-01T00:00:00+01:00', // '+' is a space in a query string
  '2024-01-01T00:00:00Z%00',
];
const LIMITS = [
  '-1',
  '0',
  '501',
  '1e3',
  '1.5',
  'abc',
  '',
  '99999999999999999999',
  '0x10',
  '%205',
  '5%20',
  'Infinity',
  '-Infinity',
  'NaN',
  '-0',
  '1e309',
  '9007199254740993',
  '0b11',
  '1_0',
];

const MALFORMED_BODIES = [
  '{',
  '{"a":}',
  '[',
  'nul',
  '{"a":1}garbage',
  '{"a":1,}',
  "{'a':1}",
  '{"a":"\\ud800"',
  '"string"',
  'true',
  '123',
  'null',
  '[]',
  '\ufeff{}',
  '['.repeat(100_000),
  '{"a":'.repeat(10_000),
  '{"a":"\\u00"}',
  '{"a":"\\x41"}',
  '{"a":1e999999}',
  '{"a":-}',
  Buffer.from([0xff, 0xfe, 0x7b, 0x7d]),
  Buffer.from([
    0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xed, 0xa0, 0x80, 0x22, 0x7d,
  ]), // {"a":"<lone surrogate as UTF-8>"}
  '',
];

const CONTENT_TYPES = [
  'text/plain',
  'application/x-www-form-urlencoded',
  'multipart/form-data; boundary=x',
  'application/json; charset=utf-7',
  'application/json; charset=latin1',
  'application/json; charset=utf-16',
  'application/merge-patch+json',
  'application/xml',
  'application/json, text/plain',
  '*/*',
  '',
];

const METHODS = [
  'get',
  'post',
  'put',
  'patch',
  'delete',
  'head',
  'options',
  'trace',
];

// ---------------------------------------------------------------------------
// The API document
// ---------------------------------------------------------------------------

function resolveRef(document, schema) {
  let current = schema;
  while (current && current.$ref) {
    const path = current.$ref.replace(/^#\//, '').split('/');
    current = path.reduce((node, key) => node[key], document);
  }
  return current;
}

function readOperations(document) {
  const operations = [];
  for (const [path, item] of Object.entries(document.paths)) {
    for (const [method, operation] of Object.entries(item)) {
      const security = operation.security ?? document.security ?? [];
      const params = (operation.parameters ?? []).map(p => ({
        ...p,
        schema: resolveRef(document, p.schema),
      }));
      const bodySchema = operation.requestBody
        ? resolveRef(
            document,
            operation.requestBody.content['application/json'].schema,
          )
        : undefined;
      operations.push({
        id: operation.operationId,
        method,
        path,
        public: security.length === 0,
        servicesToo: /services/i.test(operation.description ?? ''),
        pathParams: params.filter(p => p.in === 'path'),
        queryParams: params.filter(p => p.in === 'query'),
        bodySchema,
      });
    }
  }
  return operations;
}

// ---------------------------------------------------------------------------
// Valid requests, built from the schemas and the portal's vocabulary
// ---------------------------------------------------------------------------

/** State seeded before fuzzing: real ids to aim at. */
const seeded = {
  deploymentIds: [],
  requestIds: [],
  cursors: [],
  versions: ['1.0.0'],
};

function validString(name, schema, context) {
  if (schema.enum) {
    return pick(schema.enum);
  }
  if (schema.format === 'uri') {
    return pick([
      'https://ci.example.com/runs/1',
      'http://example.com/evidence?x=1',
    ]);
  }
  if (schema.format === 'date-time') {
    return pick([
      '2020-01-01T00:00:00Z',
      new Date().toISOString(),
      '2030-06-01T12:00:00+02:00',
    ]);
  }
  if (schema.format === 'uuid') {
    return name === 'deploymentId'
      ? pick([...seeded.deploymentIds, randomUuid()])
      : pick([...seeded.requestIds, randomUuid()]);
  }
  switch (name) {
    case 'namespace':
      return 'default';
    case 'kind':
      return 'component';
    case 'name':
      return context.flow;
    case 'environment':
      return context.environment;
    case 'itemId':
      return context.itemId;
    case 'version':
    case 'fromVersion':
    case 'toVersion':
      return pick(seeded.versions);
    case 'cursor':
      return pick(seeded.cursors);
    case 'dossierHash':
      return 'a'.repeat(64);
    default:
      return `fuzz ${pick(STORABLE_ODDITIES)}`;
  }
}

function validValue(document, name, rawSchema, context) {
  const schema = resolveRef(document, rawSchema) ?? {};
  if (schema.type === 'object') {
    const value = {};
    for (const [key, property] of Object.entries(schema.properties ?? {})) {
      const required = (schema.required ?? []).includes(key);
      if (required || chance(0.5)) {
        value[key] = validValue(document, key, property, context);
      }
    }
    return value;
  }
  if (schema.type === 'integer' || schema.type === 'number') {
    if (name === 'limit') {
      return pick([1, 2, 10, 50, 500]);
    }
    return schema.minimum !== undefined ? Math.max(1, schema.minimum) : 1;
  }
  if (schema.type === 'boolean') {
    return chance(0.5);
  }
  return validString(name, schema, context);
}

function context(operation) {
  const flow = chance(0.8) ? FLOW.name : pick(KNOWN_FLOWS);
  if (operation.path.includes('/post-deployment/')) {
    return {
      flow,
      environment: 'production',
      itemId: pick(POST_DEPLOYMENT_ITEMS),
    };
  }
  const environment = operation.path.includes('/checklist/')
    ? pick(['dev', 'test'])
    : pick(ENVIRONMENTS);
  return {
    flow,
    environment,
    itemId: pick(VALIDATION_ITEMS[environment] ?? VALIDATION_ITEMS.dev),
  };
}

/** A valid request of the operation, as parts that mutations change. */
function validRequest(document, operation) {
  const ctx = context(operation);
  const params = {};
  for (const p of operation.pathParams) {
    params[p.name] = encodeURIComponent(
      validValue(document, p.name, p.schema, ctx),
    );
  }
  const query = [];
  for (const p of operation.queryParams) {
    if (p.required || chance(0.4)) {
      const value = validValue(document, p.name, p.schema, ctx);
      if (value !== undefined) {
        query.push([p.name, encodeURIComponent(String(value))]);
      }
    }
  }
  return {
    operation,
    method: operation.method,
    params,
    query,
    body: operation.bodySchema
      ? validValue(document, 'body', operation.bodySchema, ctx)
      : undefined,
    rawBody: undefined,
    contentType: operation.bodySchema ? 'application/json' : undefined,
    identity: identityFor(operation),
  };
}

/** Who calls: the identity most likely to get past authorization. */
function identityFor(operation) {
  if (operation.public) {
    return 'none';
  }
  if (
    operation.path.startsWith('/audit') ||
    operation.path.startsWith('/reports')
  ) {
    return options.users.auditor;
  }
  if (
    operation.id === 'decidePromotionRequest' ||
    operation.id === 'revokeStandingApproval' ||
    operation.id === 'getInbox'
  ) {
    return options.users.approver;
  }
  if (operation.servicesToo && chance(0.5)) {
    return 'pipeline';
  }
  return options.users.flowOwner;
}

// ---------------------------------------------------------------------------
// Mutations
// ---------------------------------------------------------------------------

/** Every leaf path of a JSON value: [['dossier','why'], ...]. */
function leafPaths(value, prefix = []) {
  if (value && typeof value === 'object' && !Array.isArray(value)) {
    const paths = prefix.length ? [prefix] : [];
    for (const [key, child] of Object.entries(value)) {
      paths.push(...leafPaths(child, [...prefix, key]));
    }
    return paths;
  }
  return [prefix];
}

function setAt(target, path, value) {
  if (path.length === 0) {
    return value;
  }
  const copy = structuredClone(target);
  let node = copy;
  for (const key of path.slice(0, -1)) {
    node = node[key];
  }
  if (value === undefined) {
    delete node[path[path.length - 1]];
  } else {
    node[path[path.length - 1]] = value;
  }
  return copy;
}

function schemaFields(document, schema, prefix = []) {
  const resolved = resolveRef(document, schema);
  if (!resolved || resolved.type !== 'object') {
    return [];
  }
  const fields = [];
  for (const [key, property] of Object.entries(resolved.properties ?? {})) {
    fields.push({
      path: [...prefix, key],
      required: (resolved.required ?? []).includes(key),
    });
    fields.push(...schemaFields(document, property, [...prefix, key]));
  }
  return fields;
}

const MUTATIONS = {
  valid: () => {},
  'missing-required': (req, document) => {
    const required = schemaFields(document, req.operation.bodySchema).filter(
      f => f.required,
    );
    if (required.length === 0 || chance(0.2)) {
      req.body = chance(0.5) ? {} : undefined;
      req.rawBody = req.body === undefined ? '' : undefined;
      return;
    }
    req.body = setAt(req.body, pick(required).path, undefined);
  },
  'wrong-type': (req, document) => {
    const fields = schemaFields(document, req.operation.bodySchema);
    if (fields.length === 0 || chance(0.15)) {
      req.body = pick(WRONG_TYPES);
      return;
    }
    const field = pick(fields);
    req.body = setAt(
      withParents(req.body, field.path),
      field.path,
      pick(WRONG_TYPES),
    );
  },
  'extra-fields': req => {
    const extras = [
      ['extra', 'field'],
      ['__proto__', { polluted: true }],
      ['constructor', { prototype: { polluted: true } }],
      ['id', randomUuid()],
      ['seq', 1],
      ['hash', 'f'.repeat(64)],
      ['entityRef', 'component:default/other'],
      ['actor', 'user:default/dana'],
      ['x'.repeat(10_000), 1],
    ];
    const body = structuredClone(req.body ?? {});
    for (let i = 0; i < 1 + Math.floor(random() * 3); i++) {
      const [key, value] = pick(extras);
      Object.defineProperty(body, key, {
        value,
        enumerable: true,
        writable: true,
        configurable: true,
      });
    }
    req.body = body;
  },
  'evil-string': (req, document) => {
    const fields = schemaFields(document, req.operation.bodySchema).filter(
      f =>
        !['object'].includes(
          resolveRef(
            document,
            fieldSchema(document, req.operation.bodySchema, f.path),
          )?.type,
        ),
    );
    const value = pick(EVIL_STRINGS);
    if (fields.length === 0) {
      req.body = value;
      return;
    }
    const field = pick(fields);
    req.body = setAt(withParents(req.body, field.path), field.path, value);
  },
  // Strings at and just past each field's maxLength, and 101 characters
  // (one past the store's varchar(100) columns), in ASCII and astral text.
  boundary: (req, document) => {
    const fields = schemaFields(document, req.operation.bodySchema)
      .map(f => ({
        ...f,
        schema: fieldSchema(document, req.operation.bodySchema, f.path),
      }))
      .filter(f => f.schema?.type === 'string' && !f.schema.enum);
    if (fields.length === 0) {
      return;
    }
    const field = pick(fields);
    const max = field.schema.maxLength ?? 100;
    const length = pick([max, max + 1, 100, 101]);
    const value = chance(0.7)
      ? 'b'.repeat(length)
      : '😀'.repeat(Math.ceil(length / 2));
    req.body = setAt(
      withParents(req.body, field.path),
      field.path,
      field.schema.format === 'uri'
        ? `https://e.example/${value}`.slice(0, length)
        : value,
    );
  },
  'evil-path': req => {
    const names = Object.keys(req.params);
    if (names.length === 0) {
      req.extraPath = pick([
        '/..',
        '/%2e%2e/%2e%2e',
        '/%00',
        '/x'.repeat(100),
        '//',
        '/%2F',
      ]);
      return;
    }
    req.params[pick(names)] = pick(EVIL_SEGMENTS);
  },
  'evil-query': req => {
    const names = req.operation.queryParams.map(p => p.name);
    const name =
      names.length && chance(0.85)
        ? pick(names)
        : pick(['unknown', 'cursor', 'x'.repeat(300)]);
    req.query = req.query.filter(([n]) => n !== name);
    if (chance(0.5)) {
      req.query.push([name, pick(EVIL_QUERY_VALUES)]);
    } else {
      req.rawQuery = pick(QUERY_SHAPES)(name);
    }
  },
  cursor: req => {
    req.query = req.query.filter(([n]) => n !== 'cursor');
    req.query.push([
      'cursor',
      encodeURIComponent(pick(CURSORS)).replace(/%25/g, '%'),
    ]);
  },
  dates: req => {
    const name = pick(['from', 'to']);
    req.query = req.query.filter(([n]) => n !== name);
    req.query.push([name, pick(DATES)]);
  },
  limit: req => {
    req.query = req.query.filter(([n]) => n !== 'limit');
    req.query.push(['limit', pick(LIMITS)]);
  },
  'malformed-json': req => {
    req.body = undefined;
    req.rawBody = pick(MALFORMED_BODIES);
    req.contentType = pick([
      'application/json',
      'application/json; charset=utf-8',
    ]);
  },
  'content-type': req => {
    req.contentType = pick(CONTENT_TYPES);
    if (req.contentType.startsWith('application/x-www-form-urlencoded')) {
      req.rawBody = pick([
        'version=1&environment=dev',
        'a[b][c]=1',
        'dossier[why]=x',
      ]);
      req.body = undefined;
    }
  },
  method: req => {
    req.method = pick(METHODS.filter(m => m !== req.operation.method));
  },
  auth: req => {
    req.identity = pick([
      'none',
      'garbage',
      'bearer-empty',
      'basic',
      'expired-looking',
      'victor',
      'pipeline',
      'bob',
    ]);
  },
  unknown: req => {
    const choices = [];
    if ('name' in req.params) {
      choices.push(
        () =>
          (req.params.name = pick([
            'no-such-flow',
            'unknown-service-1',
            'a'.repeat(63),
          ])),
      );
      choices.push(
        () => (req.params.namespace = pick(['other', 'no-such-namespace'])),
      );
      choices.push(
        () =>
          (req.params.kind = pick([
            'group',
            'user',
            'api',
            'system',
            'location',
          ])),
      );
      choices.push(() => {
        req.params.kind = 'user';
        req.params.name = pick(['alice', 'dana']);
      });
    }
    if ('environment' in req.params) {
      choices.push(
        () =>
          (req.params.environment = pick([
            'staging',
            'prod',
            'PRODUCTION',
            'qa',
          ])),
      );
    }
    if ('itemId' in req.params) {
      choices.push(
        () =>
          (req.params.itemId = pick([
            'no-such-item',
            'monitor-logs',
            'code-reviewed',
            'smoke-tests',
          ])),
      );
    }
    if ('id' in req.params || 'deploymentId' in req.params) {
      choices.push(() => {
        for (const key of ['id', 'deploymentId']) {
          if (key in req.params) {
            req.params[key] = pick([
              randomUuid(),
              '00000000-0000-0000-0000-000000000000',
              'FFFFFFFF-FFFF-FFFF-FFFF-FFFFFFFFFFFF',
            ]);
          }
        }
      });
    }
    if (req.body && typeof req.body === 'object' && 'environment' in req.body) {
      choices.push(
        () =>
          (req.body.environment = pick([
            'staging',
            'prod',
            'qa',
            'Production',
          ])),
      );
    }
    if (req.body && typeof req.body === 'object' && 'version' in req.body) {
      choices.push(
        () => (req.body.version = pick(['0.0.0-never-deployed', '999.0.0'])),
      );
    }
    if (req.query.some(([n]) => n === 'environment')) {
      choices.push(
        () =>
          (req.query = req.query.map(([n, v]) => [
            n,
            n === 'environment' ? 'staging' : v,
          ])),
      );
    }
    if (choices.length) {
      pick(choices)();
    }
  },
  oversize: req => {
    if (req.operation.bodySchema && chance(0.7)) {
      req.rawBody = JSON.stringify({
        ...(req.body ?? {}),
        padding: 'x'.repeat(1_100_000),
      });
      req.body = undefined;
    } else {
      req.query.push(['padding', 'x'.repeat(100_000)]);
    }
  },
};

function fieldSchema(document, schema, path) {
  let current = resolveRef(document, schema);
  for (const key of path) {
    current = resolveRef(document, current?.properties?.[key]);
  }
  return current;
}

/** Makes sure the parents of a path exist, so a nested field can be set. */
function withParents(body, path) {
  let copy = body && typeof body === 'object' ? structuredClone(body) : {};
  let node = copy;
  for (const key of path.slice(0, -1)) {
    if (!node[key] || typeof node[key] !== 'object') {
      node[key] = {};
    }
    node = node[key];
  }
  return copy;
}

/** Which mutations make sense for an operation, with their weights. */
function mutationsFor(operation) {
  const names = operation.queryParams.map(p => p.name);
  const weighted = [
    ['valid', 1],
    ['evil-path', operation.pathParams.length ? 4 : 1],
    ['auth', 1],
    ['method', 1],
    ['unknown', 2],
    ['evil-query', 2],
  ];
  if (operation.bodySchema) {
    weighted.push(
      ['missing-required', 2],
      ['wrong-type', 4],
      ['extra-fields', 2],
      ['evil-string', 5],
      ['boundary', 3],
      ['malformed-json', 2],
      ['content-type', 2],
      ['oversize', 0.3],
    );
  } else {
    weighted.push(
      ['oversize', 0.2],
      ['malformed-json', 0.3],
      ['content-type', 0.3],
    );
  }
  if (names.includes('cursor')) weighted.push(['cursor', 4]);
  if (names.includes('from')) weighted.push(['dates', 4]);
  if (names.includes('limit')) weighted.push(['limit', 3]);
  return weighted;
}

function pickWeighted(weighted) {
  const total = weighted.reduce((sum, [, w]) => sum + w, 0);
  let r = random() * total;
  for (const [name, w] of weighted) {
    r -= w;
    if (r <= 0) return name;
  }
  return weighted[weighted.length - 1][0];
}

async function headersFor(identity) {
  switch (identity) {
    case 'none':
      return {};
    case 'pipeline':
      return { authorization: `Bearer ${options.token}` };
    case 'garbage':
      return {
        authorization: `Bearer ${pick([
          'x',
          'a.b.c',
          'eyJhbGciOiJub25lIn0.eyJzdWIiOiJ1c2VyOmRlZmF1bHQvZGFuYSJ9.',
          '\u00ff'.repeat(10),
        ])}`,
      };
    case 'bearer-empty':
      return { authorization: 'Bearer ' };
    case 'basic':
      return { authorization: 'Basic YWxpY2U6YWxpY2U=' };
    case 'expired-looking': {
      const token = await userToken(options.users.flowOwner);
      const [h, , s] = token.split('.');
      const payload = b64(JSON.stringify({ sub: 'user:default/dana', exp: 1 }));
      return { authorization: `Bearer ${h}.${payload}.${s}` };
    }
    default:
      return { authorization: `Bearer ${await userToken(identity)}` };
  }
}

async function toHttp(req) {
  let path = req.operation.path.replace(
    /\{(\w+)\}/g,
    (_, name) => req.params[name],
  );
  path = API + path + (req.extraPath ?? '');
  const query = req.query.map(([n, v]) => `${n}=${v}`);
  if (req.rawQuery) query.push(req.rawQuery);
  if (query.length) path += `?${query.join('&')}`;
  // node:http only sends printable ASCII in a request line: percent-encode the rest.
  path = path.replace(/[^\x21-\x7e]/gu, c =>
    encodeURIComponent(c).replace(/%25/g, '%'),
  );
  const headers = await headersFor(req.identity);
  if (req.contentType) headers['content-type'] = req.contentType;
  let body = req.rawBody;
  if (body === undefined && req.body !== undefined) {
    body = JSON.stringify(req.body);
  }
  if (req.method === 'get' || req.method === 'head') {
    // A body on GET is legal but unusual; keep it for the body mutations only.
    if (
      !['malformed-json', 'content-type', 'oversize'].includes(req.mutation)
    ) {
      body = undefined;
    }
  }
  return { method: req.method, path, headers, body };
}

// ---------------------------------------------------------------------------
// Seeding: real deployments, a request and a cursor to aim at
// ---------------------------------------------------------------------------

async function seed() {
  const flowPath = `/flows/${FLOW.namespace}/${FLOW.kind}/${FLOW.name}`;
  for (const environment of ['dev', 'test']) {
    const res = await callJson('post', `${flowPath}/deployments`, {
      body: {
        environment,
        version: '1.0.0',
        status: 'succeeded',
        link: 'https://ci.example.com/runs/1',
      },
    });
    if (res.status !== 201) {
      throw new Error(
        `Seeding a deployment answered ${res.status}: ${res.text.slice(
          0,
          300,
        )}`,
      );
    }
    seeded.deploymentIds.push(res.json.deployment.id);
  }
  const request = await callJson('post', `${flowPath}/requests`, {
    as: options.users.flowOwner,
    body: {
      environment: 'production',
      version: '1.0.0',
      dossier: { whatChanged: 'Fuzzing seed', why: 'A request to aim at' },
    },
  });
  if (request.status === 201) {
    seeded.requestIds.push(request.json.id);
  } else {
    console.log(
      `  (seeding a promotion request answered ${request.status}; fuzzing random ids only)`,
    );
  }
  const page = await callJson('get', '/audit/events?limit=1', {
    as: options.users.auditor,
  });
  if (page.json?.nextCursor) {
    seeded.cursors.push(page.json.nextCursor);
  }
  seeded.cursors.push(b64('seq:1'));
}

// ---------------------------------------------------------------------------
// Main
// ---------------------------------------------------------------------------

async function main() {
  const started = Date.now();
  const deadline = started + options.timeLimit * 1000;

  const docRes = await callJson('get', '/openapi.json');
  if (docRes.status !== 200 || !docRes.json?.paths) {
    throw new Error(`GET ${API}/openapi.json answered ${docRes.status}`);
  }
  const document = docRes.json;
  const operations = readOperations(document);
  console.log(
    `==> ${operations.length} operations in the API document; sending ${options.requests} requests, ${options.concurrency} at a time, for at most ${options.timeLimit} s (seed ${options.seed})`,
  );
  await Promise.all(Object.values(options.users).map(userToken));
  await seed();

  const stats = {
    sent: 0,
    byStatus: new Map(),
    byClass: new Map(),
    byOperation: new Map(),
    byMutation: new Map(),
    serverErrors: [],
    leaks: [],
    clientErrors: [],
  };
  const bump = (map, key) => map.set(key, (map.get(key) ?? 0) + 1);

  let next = 0;
  const worker = async () => {
    while (next < options.requests && Date.now() < deadline) {
      const index = next++;
      const operation = operations[index % operations.length];
      const req = validRequest(document, operation);
      req.mutation = pickWeighted(mutationsFor(operation));
      MUTATIONS[req.mutation](req, document);
      const message = await toHttp(req);
      const res = await send(message);
      stats.sent++;
      bump(stats.byStatus, res.status);
      const statusClass =
        res.status > 0 ? `${String(res.status)[0]}xx` : 'no answer';
      bump(stats.byClass, statusClass);
      const opStats = stats.byOperation.get(operation.id) ?? new Map();
      stats.byOperation.set(operation.id, opStats);
      bump(opStats, statusClass);
      bump(stats.byMutation, req.mutation);
      const where = `${message.method.toUpperCase()} ${
        message.path.length > 160
          ? `${message.path.slice(0, 160)}… (${message.path.length} chars)`
          : message.path
      }`;
      const sentBody =
        message.body === undefined
          ? ''
          : Buffer.isBuffer(message.body)
          ? `<${message.body.length} bytes>`
          : message.body.length > 200
          ? `${JSON.stringify(message.body.slice(0, 200))}… (${
              message.body.length
            } chars)`
          : JSON.stringify(message.body);
      if (res.status >= 500) {
        stats.serverErrors.push({
          operation: operation.id,
          mutation: req.mutation,
          where,
          sentBody,
          status: res.status,
          body: res.text.slice(0, 400),
        });
      }
      if (res.status <= 0) {
        // Node closes the connection on a request line beyond its 16 KiB header limit (after a 431).
        const expected = message.path.length > 16_000;
        stats.clientErrors.push({
          operation: operation.id,
          mutation: req.mutation,
          where,
          error: res.error,
          expected,
        });
      }
      const found = leaksIn(res.text);
      if (found.length) {
        stats.leaks.push({
          operation: operation.id,
          mutation: req.mutation,
          where,
          status: res.status,
          found,
          body: res.text.slice(0, 400),
        });
      }
    }
  };
  await Promise.all(Array.from({ length: options.concurrency }, worker));
  const seconds = (Date.now() - started) / 1000;

  // --- The audit trail, afterwards -----------------------------------------
  const health = await callJson('get', '/health');
  const verify = await callJson('get', '/audit/verify', {
    as: options.users.auditor,
  });

  // --- Summary -------------------------------------------------------------
  const line = entries => entries.map(([k, v]) => `${k}: ${v}`).join(', ');
  console.log('');
  console.log('==> Fuzzing summary');
  console.log(
    `requests sent: ${stats.sent} of ${options.requests} in ${seconds.toFixed(
      1,
    )} s${stats.sent < options.requests ? ' (stopped at the time limit)' : ''}`,
  );
  console.log(`by status class: ${line([...stats.byClass].sort())}`);
  console.log(
    `by status: ${line([...stats.byStatus].sort((a, b) => a[0] - b[0]))}`,
  );
  console.log(`by mutation: ${line([...stats.byMutation].sort())}`);
  console.log('by operation:');
  for (const operation of operations) {
    const opStats = stats.byOperation.get(operation.id);
    console.log(
      `  ${operation.method.toUpperCase().padEnd(6)} ${operation.path.padEnd(
        80,
      )} ${opStats ? line([...opStats].sort()) : 'none sent'}`,
    );
  }
  console.log(`5xx responses: ${stats.serverErrors.length}`);
  for (const e of stats.serverErrors.slice(0, 8)) {
    console.log(
      `  ${e.status} ${e.operation} [${e.mutation}] ${e.where}${
        e.sentBody ? ` body ${e.sentBody}` : ''
      }\n      -> ${e.body}`,
    );
  }
  console.log(`responses with internals: ${stats.leaks.length}`);
  for (const e of stats.leaks.slice(0, 8)) {
    console.log(
      `  ${e.status} ${e.operation} [${e.mutation}] ${e.where}: ${e.found.join(
        ', ',
      )}\n      -> ${e.body}`,
    );
  }
  const unexpected = stats.clientErrors.filter(e => !e.expected);
  console.log(
    `requests without an answer: ${stats.clientErrors.length} (${
      stats.clientErrors.length - unexpected.length
    } with a request line beyond Node's 16 KiB header limit, closed by the server; ${
      unexpected.length
    } otherwise)`,
  );
  for (const e of unexpected.slice(0, 3)) {
    console.log(
      `  ${e.operation} [${e.mutation}] ${e.where.slice(0, 120)}: ${e.error}`,
    );
  }
  console.log(
    `backend health afterwards: ${
      health.status === 200 ? 'up' : `answered ${health.status}`
    }`,
  );
  const intact = verify.status === 200 && verify.json?.intact === true;
  console.log(
    `audit chain afterwards (GET ${API}/audit/verify as ${
      options.users.auditor
    }): ${
      verify.status !== 200
        ? `answered ${verify.status}: ${verify.text.slice(0, 300)}`
        : `${intact ? 'intact' : 'BROKEN'}, ${
            verify.json.eventsChecked
          } events checked${
            verify.json.problem ? ` — ${verify.json.problem}` : ''
          }`
    }`,
  );

  const failures = [];
  if (stats.serverErrors.length)
    failures.push(`${stats.serverErrors.length} × 5xx`);
  if (stats.leaks.length)
    failures.push(`${stats.leaks.length} responses with internals`);
  if (!intact) failures.push('the audit chain is not intact');
  if (health.status !== 200) failures.push('the backend is down');
  if (unexpected.length)
    failures.push(`${unexpected.length} requests without an answer`);
  console.log(
    failures.length
      ? `==> FAILED: ${failures.join('; ')}`
      : '==> PASSED: 0 × 5xx, 0 responses with internals, audit chain intact',
  );
  agent.destroy();
  process.exitCode = failures.length ? 1 : 0;
}

main().catch(error => {
  console.error(`==> ERROR: ${error.stack ?? error}`);
  agent.destroy();
  process.exitCode = 2;
});
