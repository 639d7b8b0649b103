/**
 * A seeded generator of hostile HTTP requests against GraphQL and the REST routes:
 * malformed and truncated JSON, wrong types, nulls, megabyte strings, control
 * characters and mixed scripts, deep and alias-heavy queries, batches, forged
 * bearer and SSO tokens, strange hosts, methods, paths and cookies. Every request
 * is plain data, so a failure can be printed and replayed from the seed.
 */
import { createHmac } from 'node:crypto';
import { SignJWT } from 'jose';
import type { RawRequest } from './http-client.ts';
import type { Prng } from './prng.ts';

export interface HostileRequest extends RawRequest {
  /** Which generator made it, for the failure report. */
  kind: string;
}

export interface HostileFixture {
  baseDomain: string;
  port: number;
  acme: { slug: string; token: string; revokedToken: string; member: string };
  other: { slug: string; token: string; member: string };
  /** Forged, tampered or otherwise bad SSO tokens (see forgeSsoTokens). */
  badSsoTokens: string[];
  /** Genuine SSO tokens for the acme member: each may sign in once. */
  goodSsoTokens: string[];
}

const CREATE_USER = `mutation CreateUser($input: CreateUserInput!) { createUser(input: $input) { __typename
  ... on CreateUserSuccess { user { id username } } ... on Error { status code message } ... on InvalidInput { field } } }`;
const CREATE_SSO_TOKEN = `mutation CreateSSOToken($username: String!) { createSSOToken(username: $username) { __typename
  ... on CreateSSOTokenSuccess { token loginUrl } ... on Error { status code message } } }`;
const LOGIN = `mutation Login($token: String!) { loginWithSSO(token: $token) { __typename
  ... on LoginWithSSOSuccess { session { expiresAt user { username } } } ... on Error { status code message } } }`;
const VIEWER = '{ viewer { expiresAt user { username } group { slug } } }';
const GROUP = '{ group { slug isApiEnabled } }';
const LOGOUT = 'mutation { logout }';

/** Usernames and names a hostile client might send: controls, look-alikes, bidi tricks, injections. */
export const NASTY_STRINGS = [
  'ali\u0000ce',
  'alice\u0007',
  '\u202eecila',
  '\u0430lice', // Cyrillic а
  '\uff41\uff4c\uff49\uff43\uff45', // fullwidth
  'alice\u200b',
  'ali\u0301ce',
  '\u{1F469}\u200d\u{1F4BB}coder',
  'a\nb\r\nc',
  '\t\tuser\t',
  '\ud800lone',
  'robert\'); DROP TABLE users;--',
  "' OR '1'='1",
  '../../etc/passwd',
  '%00%0a',
  '${jndi:ldap://x/a}',
  '<script>alert(1)</script>',
  '{{7*7}}',
  'admin',
  'ROOT',
  '-lead',
  'x'.repeat(26),
  '   ',
  '',
  'null',
  '__proto__',
  'constructor',
  '\u0645\u0631\u062d\u0628\u0627',
  '\u4e2d\u6587\u7528\u6237',
  'a\u0085b',
  '\ufeffbom',
  'stra\u00dfe',
  'I\u0307stanbul',
];

export const NASTY_EMAILS = [
  'a@b',
  '@example.com',
  'alice@',
  'alice@@example.com',
  '\u0430lice@example.com',
  'alice@ex\u0430mple.com',
  'alice@\u4f8b\u3048.jp',
  'alice@example.com\r\nBcc: x@y.z',
  'al\u0000ice@example.com',
  '"quoted"@example.com',
  `${'a'.repeat(250)}@x.io`,
  'alice@example..com',
  'alice@-example.com',
  'ALICE@EXAMPLE.COM',
  ' alice@example.com ',
  'alice@localhost',
  'x@[127.0.0.1]',
  "o'brien@example.com",
  'a+tag@example.com',
];

/** Bad SSO tokens: alg none, other HMACs, a wrong key, kid/jku/jwk injection, bad times, bad claims, junk. */
export async function forgeSsoTokens(options: { key: Uint8Array; group: string; otherGroup: string; member: string; now: number }) {
  const { key, group, member } = options;
  const now = Math.floor(options.now / 1000);
  const sign = (claims: Record<string, unknown>, header: Record<string, unknown> = {}, signingKey = key) =>
    new SignJWT({ username: member, group, jti: crypto.randomUUID(), iat: now, exp: now + 600, ...claims })
      .setProtectedHeader({ alg: 'HS256', ...header })
      .sign(signingKey);
  const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const unsigned = (header: Record<string, unknown>) =>
    `${b64(header)}.${b64({ username: member, group, jti: 'x', iat: now, exp: now + 600 })}.`;
  // Signed by hand, for headers jose itself will not produce (e.g. an unknown `crit`).
  const handSigned = (header: Record<string, unknown>) => {
    const input = `${b64(header)}.${b64({ username: member, group, jti: crypto.randomUUID(), iat: now, exp: now + 600 })}`;
    return `${input}.${createHmac('sha256', key).update(input).digest('base64url')}`;
  };
  const wrongKey = new TextEncoder().encode('wrong-key-wrong-key-wrong-key-wrong-key!');
  const good = await sign({});
  const tokens = [
    unsigned({ alg: 'none', typ: 'JWT' }),
    unsigned({ alg: 'None' }),
    unsigned({ alg: 'HS256' }),
    await sign({}, { alg: 'HS384' }),
    await sign({}, { alg: 'HS512' }),
    await sign({}, {}, wrongKey),
    await sign({}, { kid: "' OR 1=1 --" }, wrongKey),
    await sign({}, { kid: '../../../../dev/null' }, wrongKey),
    await sign({}, { jku: 'https://evil.example/jwks.json', kid: 'evil' }, wrongKey),
    handSigned({ alg: 'HS256', crit: ['exp'], exp: 1 }),
    handSigned({ alg: 'HS256', b64: false, crit: ['b64'] }),
    handSigned({ alg: 'HS256', jwk: { kty: 'oct', k: 'AAAA' } }),
    await sign({ exp: now - 3600, iat: now - 4200 }),
    await sign({ iat: now + 3600, exp: now + 4200 }),
    await sign({ exp: now + 10 * 365 * 86400 }),
    await sign({ exp: 'never' }),
    await sign({ username: undefined }),
    await sign({ username: 42 }),
    await sign({ username: '' }),
    await sign({ username: 'ali ce' }),
    await sign({ username: 'nobody-here' }),
    await sign({ group: undefined }),
    await sign({ group: { slug: group } }),
    await sign({ group: options.otherGroup }),
    await sign({ group: 'no-such-group' }),
    await sign({ jti: undefined }),
    good.slice(0, -4),
    `${good}.extra`,
    good.replace(/\./g, '..'),
    good.split('.').reverse().join('.'),
    'not-a-jwt',
    'a.b.c',
    'x'.repeat(5000),
    'eyJ'.repeat(1000),
    '\u0000',
  ];
  return tokens.filter((t): t is string => typeof t === 'string');
}

type Generator = (rng: Prng, fx: HostileFixture) => HostileRequest;

export function generateHostileRequests(rng: Prng, fx: HostileFixture, count: number): HostileRequest[] {
  const total = generators.reduce((sum, [weight]) => sum + weight, 0);
  const requests: HostileRequest[] = [];
  for (let i = 0; i < count; i++) {
    let roll = rng.next() * total;
    const [, generate] = generators.find(([weight]) => (roll -= weight) < 0) ?? generators[0]!;
    requests.push(generate(rng, fx));
  }
  return requests;
}

// ---------------------------------------------------------------------------------
// Building blocks

const hostOf = (fx: HostileFixture, slug: string) => `${slug}.${fx.baseDomain}:${fx.port}`;

function anyHost(rng: Prng, fx: HostileFixture): { host?: string; noHost?: boolean } {
  const choices: Array<() => { host?: string; noHost?: boolean }> = [
    () => ({ host: hostOf(fx, fx.acme.slug) }),
    () => ({ host: hostOf(fx, fx.acme.slug) }),
    () => ({ host: hostOf(fx, fx.other.slug) }),
    () => ({ host: `${fx.baseDomain}:${fx.port}` }),
    () => ({ host: `no-such-group.${fx.baseDomain}` }),
    () => ({ host: `a.b.${fx.baseDomain}` }),
    () => ({ host: `${fx.acme.slug.toUpperCase()}.${fx.baseDomain.toUpperCase()}.` }),
    () => ({ host: 'evil.example' }),
    () => ({ host: `${fx.acme.slug}.${fx.baseDomain}.evil.example` }),
    () => ({ host: `-bad-.${fx.baseDomain}` }),
    () => ({ host: '[::1]:4000' }),
    () => ({ host: `${'x'.repeat(300)}.${fx.baseDomain}` }),
    () => ({ host: `${fx.acme.slug}.${fx.baseDomain}:notaport` }),
    () => ({ host: '' }),
    () => ({ noHost: true }),
  ];
  return rng.pick(choices)();
}

function anyBearer(rng: Prng, fx: HostileFixture): string | undefined {
  const tokenChars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789_-';
  const choices: Array<() => string | undefined> = [
    () => undefined,
    () => `Bearer ${fx.acme.token}`,
    () => `Bearer ${fx.other.token}`,
    () => `Bearer ${fx.acme.revokedToken}`,
    () => `Bearer tapi_${rng.string(43, tokenChars)}`,
    () => `Bearer tapi_${rng.string(rng.int(0, 80), tokenChars)}`,
    () => `Bearer ${rng.string(rng.int(1, 200), tokenChars)}`,
    () => `Bearer ${fx.acme.token.slice(0, -1)}`,
    () => `Bearer ${fx.acme.token}x`,
    () => `bearer    ${fx.acme.token}   `,
    () => 'Bearer',
    () => 'Bearer ',
    () => `Basic ${Buffer.from('user:pass').toString('base64')}`,
    () => `Bearer ${fx.acme.token}, Bearer ${fx.other.token}`,
    () => `Bearer tapi_${'A'.repeat(4000)}`,
    () => `Bearer ' OR 1=1 --`,
    () => `Bearer ${'\u00ff'.repeat(10)}`,
  ];
  return rng.pick(choices)();
}

function graphql(
  kind: string,
  body: unknown,
  options: { host?: string; noHost?: boolean; authorization?: string; cookie?: string; headers?: Record<string, string> } = {},
): HostileRequest {
  const headers: Record<string, string> = { 'content-type': 'application/json', accept: 'application/json', ...options.headers };
  if (options.host !== undefined) headers.host = options.host;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  if (options.cookie !== undefined) headers.cookie = options.cookie;
  return {
    kind,
    method: 'POST',
    path: '/graphql',
    headers,
    body: typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body),
    noHost: options.noHost,
  };
}

function rest(kind: string, method: string, path: string, body: unknown, options: { host?: string; noHost?: boolean; authorization?: string; contentType?: string } = {}): HostileRequest {
  const headers: Record<string, string> = { accept: 'application/json' };
  if (body !== undefined) headers['content-type'] = options.contentType ?? 'application/json';
  if (options.host !== undefined) headers.host = options.host;
  if (options.authorization !== undefined) headers.authorization = options.authorization;
  const encoded = body === undefined ? undefined : typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  return { kind, method, path, headers, body: encoded, noHost: options.noHost };
}

function anyValue(rng: Prng): unknown {
  return rng.pick<() => unknown>([
    () => null,
    () => rng.int(-1e9, 1e9),
    () => rng.next() * 1e308,
    () => true,
    () => [],
    () => ['alice'],
    () => ({}),
    () => ({ nested: { deeper: 'x' } }),
    () => rng.pick(NASTY_STRINGS),
    () => rng.pick(NASTY_EMAILS),
    () => '',
  ])();
}

function nastyCreateUserInput(rng: Prng): Record<string, unknown> {
  const input: Record<string, unknown> = {
    email: rng.chance(0.7) ? rng.pick(NASTY_EMAILS) : `u${rng.int(0, 1e9)}@example.com`,
  };
  if (rng.chance(0.8)) input.username = rng.chance(0.8) ? rng.pick(NASTY_STRINGS) : `${rng.pick(NASTY_STRINGS)}${rng.int(0, 99)}`;
  if (rng.chance(0.4)) input.suggestedUsername = rng.pick(NASTY_STRINGS);
  if (rng.chance(0.4)) input.firstName = rng.pick(NASTY_STRINGS);
  if (rng.chance(0.3)) input.lastName = rng.chance(0.5) ? rng.pick(NASTY_STRINGS) : 'x'.repeat(rng.int(95, 300));
  if (rng.chance(0.2)) input[rng.pick(['unknownField', '__proto__', 'constructor', 'role', 'groupId'])] = anyValue(rng);
  return input;
}

const MEGABYTE = 1024 * 1024;

// ---------------------------------------------------------------------------------
// Generators, with their weights

const generators: Array<[number, Generator]> = [
  // Malformed, truncated and odd JSON bodies.
  [
    12,
    (rng, fx) => {
      const valid = JSON.stringify({ query: CREATE_USER, variables: { input: { email: 'a@example.com', username: 'someone' } } });
      const body = rng.pick<() => string | Buffer>([
        () => valid.slice(0, rng.int(0, valid.length - 1)),
        () => valid.slice(rng.int(1, valid.length - 1)),
        () => `${valid}${rng.pick(['}', ']]', ',', 'garbage', '\u0000'])}`,
        () => valid.replace(/"/g, rng.pick(["'", '', '\\"'])),
        () => Buffer.from(Array.from({ length: rng.int(1, 512) }, () => rng.int(0, 255))),
        () => Buffer.concat([Buffer.from('{"query":"{ viewer { token } }","x":"'), Buffer.from([0xff, 0xfe, 0xc3, 0x28]), Buffer.from('"}')]),
        () => `\ufeff${valid}`,
        () => '['.repeat(rng.int(100, 30_000)),
        () => `${'{"a":'.repeat(rng.int(100, 10_000))}1${'}'.repeat(rng.int(0, 100))}`,
        () => {
          // Valid JSON nested deeper than a recursive walker's stack (built as text: JSON.stringify would overflow).
          const depth = rng.int(1000, 20_000);
          return `{"query":${JSON.stringify(VIEWER)},"variables":{"deep":${'['.repeat(depth)}${']'.repeat(depth)}}}`;
        },
        () => '{"query":"{ viewer { token } }","query":5}',
        () => JSON.stringify({ query: `mutation { loginWithSSO(token: "\\ud800\\udfff\\ud800") { __typename } }` }),
        () => '',
        () => 'null',
        () => 'true',
        () => '1e999',
        () => '"{ viewer { token } }"',
        () => '{}',
        () => '{"query":""}',
      ])();
      return graphql('malformed-json', body, { host: hostOf(fx, fx.acme.slug), authorization: rng.chance(0.5) ? `Bearer ${fx.acme.token}` : undefined });
    },
  ],
  // Wrong types and nulls where strings belong.
  [
    10,
    (rng, fx) => {
      const body = rng.pick<() => unknown>([
        () => ({ query: anyValue(rng) }),
        () => ({ query: CREATE_USER, variables: anyValue(rng) }),
        () => ({ query: VIEWER, operationName: anyValue(rng) }),
        () => ({ query: VIEWER, extensions: anyValue(rng) }),
        () => ({ query: CREATE_USER, variables: { input: anyValue(rng) } }),
        () => ({ query: CREATE_USER, variables: { input: { email: anyValue(rng), username: anyValue(rng) } } }),
        () => ({ query: CREATE_USER, variables: { input: { email: null, username: 'someone' } } }),
        () => ({ query: CREATE_USER, variables: { input: null } }),
        () => ({ query: CREATE_USER, variables: {} }),
        () => ({ query: CREATE_SSO_TOKEN, variables: { username: anyValue(rng) } }),
        () => ({ query: LOGIN, variables: { token: anyValue(rng) } }),
        () => ({ query: LOGIN, variables: { token: null } }),
        () => ({ query: 'mutation { createSSOToken(username: null) { __typename } }' }),
        () => ({ query: 'mutation { loginWithSSO(token: 42) { __typename } }' }),
        () => ({ query: 'mutation { createUser(input: { email: ["a@b.co"] }) { __typename } }' }),
        () => ({ query: 'mutation { createUser(input: "a@b.co") { __typename } }' }),
      ])();
      return graphql('wrong-types', body, { host: hostOf(fx, fx.acme.slug), authorization: rng.chance(0.7) ? `Bearer ${fx.acme.token}` : undefined });
    },
  ],
  // Megabyte strings, and strings just over the limits.
  [
    3,
    (rng, fx) => {
      const huge = 'x'.repeat(rng.pick([MEGABYTE, 70 * 1024, 9000]));
      const body = rng.pick<() => unknown>([
        () => ({ query: CREATE_USER, variables: { input: { email: `${huge}@example.com`, username: 'someone' } } }),
        () => ({ query: CREATE_USER, variables: { input: { email: 'a@example.com', firstName: huge, username: 'someone' } } }),
        () => ({ query: LOGIN, variables: { token: huge } }),
        () => ({ query: `mutation { loginWithSSO(token: "${huge}") { __typename } }` }),
        () => ({ query: `${VIEWER}#${huge}` }),
        () => ({ query: VIEWER, operationName: huge }),
        () => ({ query: VIEWER, variables: { [huge.slice(0, 10_000)]: 1 } }),
      ])();
      return graphql('huge-string', body, { host: hostOf(fx, fx.acme.slug), authorization: `Bearer ${fx.acme.token}` });
    },
  ],
  // Control characters and mixed scripts in usernames, emails and names.
  [
    12,
    (rng, fx) => {
      if (rng.chance(0.75)) {
        return graphql('nasty-create-user', { query: CREATE_USER, variables: { input: nastyCreateUserInput(rng) } }, {
          host: hostOf(fx, fx.acme.slug),
          authorization: `Bearer ${fx.acme.token}`,
        });
      }
      return graphql('nasty-sso-username', { query: CREATE_SSO_TOKEN, variables: { username: rng.pick(NASTY_STRINGS) } }, {
        host: hostOf(fx, fx.acme.slug),
        authorization: `Bearer ${fx.acme.token}`,
      });
    },
  ],
  // Deep, wide, alias-heavy, directive-heavy and self-referential documents.
  [
    10,
    (rng, fx) => {
      const query = rng.pick<() => string>([
        () => {
          const depth = rng.int(11, 400);
          return `{ viewer { ${'user { '.repeat(depth)}username${' }'.repeat(depth)} } }`;
        },
        () => `${'{'.repeat(rng.int(10, 20_000))}${'}'.repeat(rng.int(0, 100))}`,
        () => `{ ${Array.from({ length: rng.int(16, 400) }, (_, i) => `a${i}: viewer { token }`).join(' ')} }`,
        () => `{ viewer ${'@include(if: true) '.repeat(rng.int(11, 300))}{ token } }`,
        () => `{ __typename ${'@skip(if: false) '.repeat(rng.int(2, 50))}}`,
        () => {
          const n = rng.int(10, 40);
          const fragments = Array.from({ length: n }, (_, i) =>
            i === n - 1 ? `fragment F${i} on Query { viewer { token } }` : `fragment F${i} on Query { ...F${i + 1} ...F${i + 1} a${i}: viewer { token } }`,
          );
          return `{ ...F0 } ${fragments.join(' ')}`;
        },
        () => 'fragment A on Query { ...B } fragment B on Query { ...A } { ...A }',
        () => `query A { viewer { token } } query B { viewer { token } } ${rng.chance(0.5) ? 'query A { __typename }' : ''}`,
        () => `{ __schema { types { fields { type { ${'ofType { '.repeat(rng.int(5, 60))}name${' }'.repeat(rng.int(5, 60))} } } } }`,
        () => `{ __type(name: "${rng.pick(['User', 'Query', 'Nope', ''])}") { name fields { name } } }`,
        () => `query ($a: String, $a: Int) { viewer { token } }`,
        () => `query { viewer @unknown { token } }`,
        () => `{ viewer(x: 1) { token } }`,
        () => `subscription { viewer { token } }`,
        () => `{ ${'viewer { token } '.repeat(rng.int(100, 400))} }`,
        () => `mutation { ${Array.from({ length: rng.int(2, 14) }, (_, i) => `l${i}: loginWithSSO(token: "x") { __typename }`).join(' ')} }`,
      ])();
      return graphql('query-shape', { query }, { host: rng.pick([hostOf(fx, fx.acme.slug), `${fx.baseDomain}:${fx.port}`]) });
    },
  ],
  // Batched arrays.
  [
    4,
    (rng, fx) => {
      const op = { query: VIEWER };
      const body = rng.pick<() => unknown>([
        () => [op, op],
        () => [],
        () => [1, 2, 3],
        () => [[op]],
        () => Array.from({ length: rng.int(10, 1000) }, () => op),
        () => [{ query: CREATE_USER, variables: { input: { email: 'b@example.com', username: 'batched' } } }, op],
      ])();
      return graphql('batch', body, { host: hostOf(fx, fx.acme.slug), authorization: `Bearer ${fx.acme.token}` });
    },
  ],
  // Forged, revoked and misplaced bearer tokens.
  [
    12,
    (rng, fx) => {
      const body = rng.pick([
        { query: GROUP },
        { query: CREATE_SSO_TOKEN, variables: { username: fx.acme.member } },
        { query: CREATE_USER, variables: { input: { email: `f${rng.int(0, 1e9)}@example.com`, suggestedUsername: 'forged' } } },
      ]);
      return graphql('forged-bearer', body, { ...anyHost(rng, fx), authorization: anyBearer(rng, fx) });
    },
  ],
  // SSO tokens: alg none, HS384, wrong key, kid injection, bad times, on any host.
  [
    12,
    (rng, fx) => {
      const token = rng.chance(0.9) ? rng.pick(fx.badSsoTokens) : rng.pick(fx.goodSsoTokens);
      if (rng.chance(0.6)) return graphql('sso-graphql', { query: LOGIN, variables: { token } }, anyHost(rng, fx));
      if (rng.chance(0.5)) {
        return rest('sso-rest-login', 'GET', `/-/api/ssotoken/login?token=${encodeURIComponent(token)}`, undefined, anyHost(rng, fx));
      }
      // The confirmation page's form post, from the group's page or from anywhere else.
      const request = rest('sso-rest-confirm', 'POST', '/-/api/ssotoken/login', `token=${encodeURIComponent(token)}`, {
        ...anyHost(rng, fx),
        contentType: rng.pick(['application/x-www-form-urlencoded', 'application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']),
      });
      const origin = rng.pick([`http://${fx.acme.slug}.${fx.baseDomain}:${fx.port}`, `http://${fx.other.slug}.${fx.baseDomain}:${fx.port}`, 'null', 'https://evil.example', undefined]);
      if (origin !== undefined) request.headers.origin = origin;
      const site = rng.pick(['same-origin', 'same-site', 'cross-site', 'none', undefined]);
      if (site !== undefined) request.headers['sec-fetch-site'] = site;
      return request;
    },
  ],
  // Methods, content types and Accept headers a GraphQL endpoint should refuse cleanly.
  [
    6,
    (rng, fx) => {
      const body = JSON.stringify({ query: VIEWER });
      const request = graphql('method-content-type', body, { host: hostOf(fx, fx.acme.slug) });
      request.method = rng.pick(['POST', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE']);
      request.headers['content-type'] = rng.pick([
        'application/json',
        'text/plain',
        'application/graphql',
        'application/x-www-form-urlencoded',
        'multipart/form-data; boundary=x',
        'multipart/form-data',
        'application/json; charset=utf-16',
        'application/xml',
        '',
      ]);
      request.headers.accept = rng.pick(['application/json', 'application/graphql-response+json', 'image/png', '*/*', 'text/event-stream', '']);
      if (request.headers['content-type'].startsWith('multipart')) {
        request.body = rng.pick([
          '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":"{ viewer { token } }"}\r\n--x--\r\n',
          '--x\r\nContent-Disposition: form-data; name="operations"\r\n\r\n{"query":\r\n--x--\r\n',
          '--x\r\nContent-Disposition: form-data; name="map"\r\n\r\n{"0":["variables.file"]}\r\n--x--\r\n',
          'no boundary here',
        ]);
      }
      if (request.headers['content-type'] === 'application/x-www-form-urlencoded') {
        request.body = rng.pick(['query=%7Bviewer%7Btoken%7D%7D', 'query=%7Bviewer&variables=%7B', 'variables=%5B%5D', '%%%']);
      }
      if (request.method === 'TRACE') delete request.body;
      return request;
    },
  ],
  // GET /graphql with odd query strings.
  [
    6,
    (rng, fx) => {
      const params = rng.pick([
        `query=${encodeURIComponent(VIEWER)}`,
        `query=${encodeURIComponent(LOGOUT)}`,
        `query=${encodeURIComponent(CREATE_USER)}&variables=${encodeURIComponent('{"input":{"email":"g@example.com","username":"viaget"}}')}`,
        `query=${encodeURIComponent(VIEWER)}&variables=%7B`,
        `query=${encodeURIComponent(VIEWER)}&extensions=nope`,
        `query=${encodeURIComponent(VIEWER)}&query=${encodeURIComponent(GROUP)}`,
        `query=${'%7B'.repeat(3000)}`,
        'query=',
        '',
        'variables=%7B%7D',
        `query=${encodeURIComponent(VIEWER)}&operationName=Nope`,
        '%zz',
      ]);
      return {
        kind: 'graphql-get',
        method: 'GET',
        path: `/graphql${params ? `?${params}` : ''}`,
        headers: { host: hostOf(fx, fx.acme.slug), accept: rng.pick(['application/json', 'application/graphql-response+json']) },
      };
    },
  ],
  // The REST routes, with everything above.
  [
    12,
    (rng, fx) => {
      const bodies: Array<() => unknown> = [
        () => nastyCreateUserInput(rng),
        () => ({ email: anyValue(rng), username: anyValue(rng) }),
        () => ({ username: rng.pick(NASTY_STRINGS) }),
        () => ({ username: anyValue(rng) }),
        () => anyValue(rng),
        () => '{"email": "a@example.com", ',
        () => Buffer.from(Array.from({ length: rng.int(1, 256) }, () => rng.int(0, 255))),
        () => ({ email: `${'x'.repeat(MEGABYTE)}@example.com` }),
        () => [{ email: 'a@example.com' }],
      ];
      const route = rng.pick([
        ['POST', '/-/api/user/create'],
        ['POST', '/-/api/ssotoken/create'],
        ['GET', '/-/api/ssotoken/login'],
        ['PUT', '/-/api/user/create'],
        ['GET', '/-/api/user/create'],
        ['POST', '/-/api/nope'],
      ] as const);
      const [method, path] = route;
      if (path === '/-/api/ssotoken/login') {
        const query = rng.pick([
          '',
          '?token=',
          `?token=${encodeURIComponent(rng.pick(fx.badSsoTokens))}`,
          `?token=${encodeURIComponent(rng.pick(fx.badSsoTokens))}&token=x`,
          `?TOKEN=${encodeURIComponent(rng.pick(fx.badSsoTokens))}`,
          '?token=%zz',
        ]);
        return rest('rest-login', method, `${path}${query}`, undefined, anyHost(rng, fx));
      }
      const body = method === 'GET' ? undefined : rng.pick(bodies)();
      return rest(`rest-${path.split('/').slice(-2).join('-')}`, method, path, body, {
        ...anyHost(rng, fx),
        authorization: anyBearer(rng, fx),
        contentType: rng.pick(['application/json', 'application/json', 'text/plain', 'application/x-www-form-urlencoded']),
      });
    },
  ],
  // Paths that are not quite the endpoint.
  [
    3,
    (rng, fx) => ({
      kind: 'odd-path',
      method: rng.pick(['GET', 'POST']),
      path: rng.pick(['/graphql/', '/GRAPHQL', '/graphql%00', '/-/api/../graphql', '/graphql/../health', '/%2e%2e/etc/passwd', '/-/api/', '/-/api/user/create/', '//graphql', '/health?verbose=1', '/.env', '/graphql;x']),
      headers: { host: hostOf(fx, fx.acme.slug), accept: 'application/json', 'content-type': 'application/json' },
      body: JSON.stringify({ query: VIEWER }),
    }),
  ],
  // Forged session cookies.
  [
    5,
    (rng, fx) => {
      const cookie = rng.pick([
        'session=forged',
        `session=${'A'.repeat(43)}`,
        `session=${'A'.repeat(4000)}`,
        'session=',
        'session=a; session=b',
        `session=${encodeURIComponent("' OR 1=1 --")}`,
        'other=1',
        '=; ;;',
        `session=${fx.acme.token}`,
      ]);
      return graphql('forged-cookie', { query: rng.pick([VIEWER, LOGOUT]) }, { ...anyHost(rng, fx), cookie });
    },
  ],
  // Genuine requests in between: the server must keep answering them.
  [
    4,
    (rng, fx) => {
      const choice = rng.int(0, 2);
      if (choice === 0) {
        const n = rng.int(0, 1e12);
        return graphql('legit-create-user', { query: CREATE_USER, variables: { input: { email: `legit${n}@example.com`, username: `legit-${n}` } } }, {
          host: hostOf(fx, fx.acme.slug),
          authorization: `Bearer ${fx.acme.token}`,
        });
      }
      if (choice === 1) {
        return graphql('legit-sso-token', { query: CREATE_SSO_TOKEN, variables: { username: fx.acme.member } }, {
          host: hostOf(fx, fx.acme.slug),
          authorization: `Bearer ${fx.acme.token}`,
        });
      }
      return graphql('legit-login', { query: LOGIN, variables: { token: rng.pick(fx.goodSsoTokens) } }, { host: hostOf(fx, fx.acme.slug) });
    },
  ],
];
