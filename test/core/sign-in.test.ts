import { createHmac } from 'node:crypto';
import { decodeJwt, decodeProtectedHeader, jwtVerify, SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREATE_SSO_TOKEN, LOGIN_WITH_SSO, LOGOUT, VIEWER } from '../support/documents.ts';
import { createTestApp, envelopeOf, type GroupSeed, TEST_SSO_SECRET, TestClock, type TestApp } from '../support/harness.ts';
import { CLI_CALLER } from '../../src/domain/events.ts';

let t: TestApp;
let acme: GroupSeed;
let token: string;
const clock = new TestClock();

beforeEach(async () => {
  clock.current = Date.now();
  t = await createTestApp({ clock });
  acme = await t.seed.group('acme');
  token = await acme.token();
  await acme.user('alice');
});
afterEach(() => t.close());

const key = new TextEncoder().encode(TEST_SSO_SECRET);
const nowSeconds = () => Math.floor(clock.current / 1000);

/** A token signed like the server's, with claims and header overridable. */
async function forge(claims: Record<string, unknown>, options: { alg?: string; key?: Uint8Array; header?: Record<string, unknown> } = {}) {
  return new SignJWT({ username: 'alice', group: 'acme', jti: crypto.randomUUID(), iat: nowSeconds(), exp: nowSeconds() + 600, ...claims })
    .setProtectedHeader({ alg: options.alg ?? 'HS256', ...options.header })
    .sign(options.key ?? key);
}

function unsigned(claims: Record<string, unknown>): string {
  const enc = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
  return `${enc({ alg: 'none', typ: 'JWT' })}.${enc({ username: 'alice', group: 'acme', jti: 'x', iat: nowSeconds(), exp: nowSeconds() + 600, ...claims })}.`;
}

async function mint(username: string, extra: Record<string, unknown> = {}) {
  const res = await t.gql(CREATE_SSO_TOKEN, { token, variables: { username, ...extra } });
  expect(res.status).toBe(200);
  return res.body.data.createSSOToken;
}

async function login(ssoToken: string, host = acme.host) {
  const res = await t.gql(LOGIN_WITH_SSO, { host, variables: { token: ssoToken } });
  expect(res.status).toBe(200);
  return { result: res.body.data.loginWithSSO, setCookie: res.headers.get('set-cookie') };
}

function expectError(result: any, code: Parameters<typeof envelopeOf>[0]) {
  expect(result).toMatchObject({ __typename: code.charAt(0).toUpperCase() + code.slice(1), ...envelopeOf(code) });
}

const sessionCount = () => t.count('sessions');

describe('createSSOToken', () => {
  it('mints an HS256 JWT with the documented claims and a login URL on the group’s domain', async () => {
    const result = await mint('ALICE');
    expect(result.__typename).toBe('CreateSSOTokenSuccess');
    expect(decodeProtectedHeader(result.token).alg).toBe('HS256');
    const claims = decodeJwt(result.token);
    expect(claims).toMatchObject({ username: 'alice', group: 'acme' });
    expect(typeof claims.jti).toBe('string');
    expect(claims.exp! - claims.iat!).toBe(600);
    expect(result.loginUrl).toBe(`http://acme.localhost:4000/-/api/ssotoken/login?token=${result.token}`);
    expect(Date.parse(result.expiresAt)).toBe(claims.exp! * 1000);
  });

  it('mints tokens jose verifies with the SSO secret, pinned to HS256', async () => {
    const { token: minted } = await mint('alice');
    const { payload, protectedHeader } = await jwtVerify(minted, key, { algorithms: ['HS256'], currentDate: new Date(clock.current) });
    expect(protectedHeader).toEqual({ alg: 'HS256', typ: 'JWT' });
    expect(payload).toMatchObject({ username: 'alice', group: 'acme' });
    await expect(jwtVerify(minted, new TextEncoder().encode('x'.repeat(40)), { algorithms: ['HS256'] })).rejects.toThrow();
  });

  it('leaves the port out of loginUrl when it is the protocol’s default', async () => {
    const other = await createTestApp({ env: { PUBLIC_URL: 'https://teams.example.com', BASE_DOMAIN: 'teams.example.com' } });
    const g = await other.seed.group('acme');
    await g.user('alice');
    const res = await other.gql(CREATE_SSO_TOKEN, { token: await g.token(), variables: { username: 'alice' } });
    expect(res.body.data.createSSOToken.loginUrl).toMatch(/^https:\/\/acme\.teams\.example\.com\/-\/api\/ssotoken\/login\?token=/);
    await other.close();
  });

  it('honours SSO_TOKEN_TTL_SECONDS', async () => {
    const other = await createTestApp({ env: { SSO_TOKEN_TTL_SECONDS: '30' } });
    const g = await other.seed.group('acme');
    await g.user('alice');
    const res = await other.gql(CREATE_SSO_TOKEN, { token: await g.token(), variables: { username: 'alice' } });
    const claims = decodeJwt(res.body.data.createSSOToken.token);
    expect(claims.exp! - claims.iat!).toBe(30);
    await other.close();
  });

  it('refuses a malformed username with InvalidUsername', async () => {
    expectError(await mint('no way'), 'InvalidUsername');
    expectError(await mint('ab'), 'InvalidUsername');
  });

  it('refuses a user of another group with NotGroupMember, and a username that names no user with InvalidUsername', async () => {
    const other = await t.seed.group('other');
    await other.user('bobby');
    expectError(await mint('bobby'), 'NotGroupMember');
    expectError(await mint('nobody'), 'InvalidUsername');
  });

  it.each(['//evil.example', 'https://evil.example/', '/\\evil.example', 'javascript:alert(1)', 'relative', '/a b'])(
    'refuses redirectTo %j with InvalidInput',
    async (redirectTo) => {
      const result = await mint('alice', { redirectTo });
      expectError(result, 'InvalidInput');
      expect(result.field).toBe('redirectTo');
    },
  );
});

describe('loginWithSSO', () => {
  it('creates a session, returns its token once and sets the session cookie', async () => {
    const { token: ssoToken } = await mint('alice');
    const { result, setCookie } = await login(ssoToken);
    expect(result.__typename).toBe('LoginWithSSOSuccess');
    expect(result.session.user.username).toBe('alice');
    expect(result.session.group).toEqual({ slug: 'acme', title: null, isApiEnabled: true, allowedDomains: [] });
    expect(result.session.token).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(Date.parse(result.session.expiresAt) - clock.current).toBe(2_592_000 * 1000);
    expect(setCookie).toContain(`session=${result.session.token}`);
    expect(setCookie).toMatch(/HttpOnly/i);
    expect(setCookie).toMatch(/SameSite=Lax/i);
    expect(setCookie).toMatch(/Path=\//);
    expect(setCookie).toMatch(/Max-Age=2592000/);
    expect(setCookie).not.toMatch(/Secure/i);
    expect(setCookie).not.toMatch(/Domain=/i);
  });

  it('marks the cookie Secure when PUBLIC_URL is https', async () => {
    const other = await createTestApp({ env: { PUBLIC_URL: 'https://localhost' } });
    const g = await other.seed.group('acme');
    await g.user('alice');
    const res = await other.gql(LOGIN_WITH_SSO, { host: 'acme.localhost', variables: { token: await g.ssoToken('alice') } });
    expect(res.headers.get('set-cookie')).toMatch(/; Secure/);
    await other.close();
  });

  it('uses the token up: a second login is InvalidSSOTokenPayload', async () => {
    const { token: ssoToken } = await mint('alice');
    expect((await login(ssoToken)).result.__typename).toBe('LoginWithSSOSuccess');
    const again = await login(ssoToken);
    expectError(again.result, 'InvalidSSOTokenPayload');
    expect(again.setCookie).toBeNull();
    expect(await sessionCount()).toBe(1);
  });

  it('does not use the token up when the login fails for another reason', async () => {
    const { token: ssoToken } = await mint('alice');
    expectError((await login(ssoToken, 'other.localhost:4000')).result, 'InvalidRequestDomain');
    expectError((await login(ssoToken, 'localhost:4000')).result, 'InvalidRequestDomain');
    expect((await login(ssoToken)).result.__typename).toBe('LoginWithSSOSuccess');
  });

  it('refuses bad signatures, wrong algorithms, malformed and expired tokens with SSOTokenFailedToParse', async () => {
    const cases = [
      'not-a-jwt',
      'a.b.c',
      '',
      'x'.repeat(5000),
      unsigned({}),
      await forge({}, { key: new TextEncoder().encode('another-secret-another-secret-another') }),
      await forge({}, { alg: 'HS384' }),
      await forge({}, { alg: 'HS512' }),
      await forge({ exp: nowSeconds() - 61, iat: nowSeconds() - 700 }),
      await forge({ iat: nowSeconds() + 3600, exp: nowSeconds() + 4200 }),
      (await forge({})).slice(0, -3),
    ];
    for (const bad of cases) expectError((await login(bad)).result, 'SSOTokenFailedToParse');
    expect(await sessionCount()).toBe(0);
  });

  it('allows 60 seconds of clock skew', async () => {
    const { token: ssoToken } = await mint('alice');
    clock.advance((600 + 50) * 1000);
    expect((await login(ssoToken)).result.__typename).toBe('LoginWithSSOSuccess');
  });

  it('refuses a token expired beyond the skew', async () => {
    const { token: ssoToken } = await mint('alice');
    clock.advance((600 + 61) * 1000);
    expectError((await login(ssoToken)).result, 'SSOTokenFailedToParse');
  });

  it('ignores a kid header: the key is fixed', async () => {
    const injected = await forge({}, { header: { kid: "' OR 1=1 --" } });
    expect((await login(injected)).result.__typename).toBe('LoginWithSSOSuccess');
    const wrongKey = await forge({}, { header: { kid: '../../etc/passwd' }, key: new TextEncoder().encode('k'.repeat(32)) });
    expectError((await login(wrongKey)).result, 'SSOTokenFailedToParse');
  });

  it.each([
    ['username missing', { username: undefined }],
    ['username empty', { username: '' }],
    ['username a number', { username: 42 }],
    ['group missing', { group: undefined }],
    ['group empty', { group: '' }],
    ['group an object', { group: { slug: 'acme' } }],
    ['jti missing', { jti: undefined }],
  ])('refuses a well-signed token with %s: InvalidSSOTokenPayload', async (_why, claims) => {
    expectError((await login(await forge(claims))).result, 'InvalidSSOTokenPayload');
  });

  it('refuses a malformed username in the token with InvalidUsername', async () => {
    expectError((await login(await forge({ username: 'bad name' }))).result, 'InvalidUsername');
  });

  it('refuses a user who is no longer a member with NotGroupMember', async () => {
    const { token: ssoToken } = await mint('alice');
    await t.app.services.members.remove(acme.group, 'alice', {}, CLI_CALLER);
    expectError((await login(ssoToken)).result, 'NotGroupMember');
  });

  it('refuses a well-signed token naming no user with InvalidUsername', async () => {
    expectError((await login(await forge({ username: 'nobody' }))).result, 'InvalidUsername');
  });

  it('refuses a token of a deleted group with GroupNotFound', async () => {
    const { token: ssoToken } = await mint('alice');
    await t.app.services.groups.delete('acme', CLI_CALLER);
    expectError((await login(ssoToken)).result, 'GroupNotFound');
  });
});

describe('SSO token verification, held to jose', () => {
  /** A token signed with the SSO secret over exactly these header and payload segments. */
  function signed(header: unknown, claims: unknown, encode = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url')) {
    const signingInput = `${typeof header === 'string' ? header : encode(header)}.${typeof claims === 'string' ? claims : encode(claims)}`;
    return `${signingInput}.${createHmac('sha256', key).update(signingInput).digest('base64url')}`;
  }
  const hs256 = { alg: 'HS256', typ: 'JWT' };
  const claims = (over: Record<string, unknown> = {}) => ({
    username: 'alice',
    group: 'acme',
    jti: crypto.randomUUID(),
    iat: nowSeconds(),
    exp: nowSeconds() + 600,
    ...over,
  });

  /** What jose's jwtVerify says of a token, under the server's rules. */
  const joseAccepts = (ssoToken: string) =>
    jwtVerify(ssoToken, key, {
      algorithms: ['HS256'],
      clockTolerance: 60,
      currentDate: new Date(clock.current),
      requiredClaims: ['exp', 'iat'],
      maxTokenAge: 600,
    }).then(
      () => true,
      () => false,
    );

  it('accepts exactly the tokens jose accepts, at every clock and header boundary', async () => {
    const now = nowSeconds();
    const cases: Record<string, string> = {
      'a good token': signed(hs256, claims()),
      'no typ header': signed({ alg: 'HS256' }, claims()),
      'another typ': signed({ alg: 'HS256', typ: 'at+jwt' }, claims()),
      'b64 true': signed({ alg: 'HS256', b64: true }, claims()),
      'b64 false without crit (ignored)': signed({ alg: 'HS256', b64: false }, claims()),
      'alg none, signed anyway': signed({ alg: 'none' }, claims()),
      'alg HS512 in the header': signed({ alg: 'HS512' }, claims()),
      'alg missing': signed({ typ: 'JWT' }, claims()),
      'crit naming an unknown extension': signed({ alg: 'HS256', crit: ['exp'] }, claims()),
      'header not JSON': signed(Buffer.from('{alg:HS256').toString('base64url'), claims()),
      'header a JSON array': signed(['HS256'], claims()),
      'payload not JSON': signed(hs256, Buffer.from('{"username":').toString('base64url')),
      'payload a JSON array': signed(hs256, [claims()]),
      'payload a JSON string': signed(hs256, 'Imp3dCI'),
      // 4n+1 characters: jose's atob refuses them, where Buffer would read the claims and drop the last 6 bits.
      'payload with one character past a whole group': (() => {
        let json = JSON.stringify(claims());
        while (Buffer.byteLength(json) % 3 !== 0) json += ' ';
        return signed(hs256, `${Buffer.from(json).toString('base64url')}A`);
      })(),
      'payload not UTF-8': signed(hs256, Buffer.from([0x7b, 0xff, 0x7d]).toString('base64url')),
      'exp at the skew edge (expired)': signed(hs256, claims({ exp: now - 60 })),
      'exp one second inside the skew': signed(hs256, claims({ exp: now - 59 })),
      'exp missing': signed(hs256, claims({ exp: undefined })),
      'exp a string': signed(hs256, claims({ exp: String(now + 600) })),
      'iat missing': signed(hs256, claims({ iat: undefined })),
      'iat a string': signed(hs256, claims({ iat: String(now) })),
      'iat 60 s in the future': signed(hs256, claims({ iat: now + 60 })),
      'iat 61 s in the future': signed(hs256, claims({ iat: now + 61 })),
      'iat as old as TTL plus skew': signed(hs256, claims({ iat: now - 660, exp: now + 10 })),
      'iat older than TTL plus skew': signed(hs256, claims({ iat: now - 661, exp: now + 10 })),
      'nbf at the skew edge': signed(hs256, claims({ nbf: now + 60 })),
      'nbf beyond the skew': signed(hs256, claims({ nbf: now + 61 })),
      'nbf a string': signed(hs256, claims({ nbf: 'soon' })),
      'another key': (() => {
        const good = signed(hs256, claims());
        const input = good.slice(0, good.lastIndexOf('.'));
        return `${input}.${createHmac('sha256', 'another-secret-another-secret-another').update(input).digest('base64url')}`;
      })(),
      'a signature cut short': signed(hs256, claims()).slice(0, -1),
      'a signature one character longer': `${signed(hs256, claims())}A`,
      'two segments': signed(hs256, claims()).split('.').slice(0, 2).join('.'),
      'four segments': `${signed(hs256, claims())}.`,
      'an empty signature': `${signed(hs256, claims()).split('.').slice(0, 2).join('.')}.`,
    };
    const verdicts: Record<string, { jose: boolean; server: boolean }> = {};
    for (const [name, ssoToken] of Object.entries(cases)) {
      const result = (await login(ssoToken)).result;
      verdicts[name] = { jose: await joseAccepts(ssoToken), server: result.__typename !== 'SSOTokenFailedToParse' };
      if (verdicts[name].server) expect(result.__typename, name).toBe('LoginWithSSOSuccess');
    }
    for (const [name, verdict] of Object.entries(verdicts)) expect(verdict.server, name).toBe(verdict.jose);
    // Both kinds occur, so the comparison can fail either way.
    expect(Object.values(verdicts).filter((v) => v.jose).length).toBeGreaterThan(5);
    expect(Object.values(verdicts).filter((v) => !v.jose).length).toBeGreaterThan(15);
  });

  it('refuses encodings jose tolerates: padding, a non-canonical signature, a crit header', async () => {
    const good = signed(hs256, claims());
    const [header, payload, signature] = good.split('.') as [string, string, string];
    // The last of 43 characters carries 4 bits and 2 unused ones: flipping an unused bit decodes to the same MAC.
    const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const last = alphabet.indexOf(signature.at(-1)!);
    const nonCanonical = `${header}.${payload}.${signature.slice(0, -1)}${alphabet[last ^ 1]}`;
    expect(await joseAccepts(nonCanonical)).toBe(true);
    const refused = [
      nonCanonical,
      signed(`${Buffer.from(JSON.stringify(hs256)).toString('base64url')}=`, claims()),
      signed({ alg: 'HS256', b64: true, crit: ['b64'] }, claims()),
    ];
    for (const ssoToken of refused) expectError((await login(ssoToken)).result, 'SSOTokenFailedToParse');
    expect(await sessionCount()).toBe(0);
  });
});

describe('viewer and logout', () => {
  it('shows the cookie’s session on its own group’s domain only, without its token', async () => {
    const cookie = await acme.session('alice');
    const res = await t.gql(VIEWER, { host: acme.host, cookie });
    expect(res.body.data.viewer).toMatchObject({ token: null, user: { username: 'alice' }, group: { slug: 'acme' } });
    await t.seed.group('other');
    expect((await t.gql(VIEWER, { host: 'other.localhost:4000', cookie })).body.data.viewer).toBeNull();
    expect((await t.gql(VIEWER, { cookie })).body.data.viewer).toBeNull();
    expect((await t.gql(VIEWER, { host: acme.host })).body.data.viewer).toBeNull();
    expect((await t.gql(VIEWER, { host: acme.host, cookie: 'session=forged' })).body.data.viewer).toBeNull();
  });

  it('ends a session when it expires', async () => {
    const cookie = await acme.session('alice');
    clock.advance(2_592_000 * 1000 + 1);
    expect((await t.gql(VIEWER, { host: acme.host, cookie })).body.data.viewer).toBeNull();
  });

  it('logout ends the session server-side and clears the cookie', async () => {
    const cookie = await acme.session('alice');
    const res = await t.gql(LOGOUT, { host: acme.host, cookie });
    expect(res.body.data.logout).toBe(true);
    expect(res.headers.get('set-cookie')).toMatch(/^session=; Max-Age=0/);
    expect((await t.gql(VIEWER, { host: acme.host, cookie })).body.data.viewer).toBeNull();
    expect((await t.gql(LOGOUT, { host: acme.host, cookie })).body.data.logout).toBe(false);
    expect(await sessionCount()).toBe(0);
  });

  it('logout on another group’s domain does not end the session', async () => {
    const cookie = await acme.session('alice');
    await t.seed.group('other');
    expect((await t.gql(LOGOUT, { host: 'other.localhost:4000', cookie })).body.data.logout).toBe(false);
    expect((await t.gql(VIEWER, { host: acme.host, cookie })).body.data.viewer).not.toBeNull();
  });
});
