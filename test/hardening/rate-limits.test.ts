import { afterEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { openSqliteStore } from '../../src/db/sqlite/store.ts';
import { clientAddressOf } from '../../src/http/client-address.ts';
import { openRuntime } from '../../src/runtime.ts';
import { createApp } from '../../src/http/app.ts';
import { MemoryRateLimiter, type RateLimiter } from '../../src/rate-limits/limiter.ts';
import { CREATE_SSO_TOKEN, CREATE_USER, GROUP, LOGIN_WITH_SSO } from '../support/documents.ts';
import { createTestApp, envelopeOf, type TestApp, TestClock, TEST_SSO_SECRET, type TestResponse } from '../support/harness.ts';
import { CLI_CALLER } from '../../src/domain/events.ts';
import { captureLogs } from '../support/logs.ts';

const WINDOW_MS = 60_000;

/** A transport-level TooManyRequests: 429, the catalog envelope, and a Retry-After of whole seconds within the window. */
function expectTooManyRequests(res: TestResponse) {
  expect(res.status).toBe(429);
  expect(res.body.errors[0].extensions).toEqual({ code: 'TooManyRequests', error: envelopeOf('TooManyRequests') });
  expect(res.body.errors[0].message).toBe(envelopeOf('TooManyRequests').message);
  const retryAfter = res.headers.get('retry-after');
  expect(retryAfter).toMatch(/^\d+$/);
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
  expect(Number(retryAfter)).toBeLessThanOrEqual(WINDOW_MS / 1000);
}

const apps: TestApp[] = [];
afterEach(async () => {
  await Promise.all(apps.splice(0).map((t) => t.close()));
});

async function appWith(env: Record<string, string>, options: { rateLimiter?: RateLimiter; clock?: TestClock } = {}) {
  const t = await createTestApp({ env, ...options });
  apps.push(t);
  const acme = await t.seed.group('acme');
  await acme.user('alice');
  return { t, acme, token: await acme.token() };
}

const count = (t: TestApp, table: string) => t.count(table);

describe('MemoryRateLimiter', () => {
  it('allows `limit` hits per window, then refuses until the window ends', async () => {
    const clock = new TestClock(1_000_000);
    const limiter = new MemoryRateLimiter({ now: clock.now });
    for (let i = 1; i <= 3; i++) expect(await limiter.hit('k', 3, WINDOW_MS)).toEqual({ allowed: true, count: i, retryAfterSeconds: 60 });
    clock.advance(20_500);
    expect(await limiter.hit('k', 3, WINDOW_MS)).toEqual({ allowed: false, count: 4, retryAfterSeconds: 40 });
    expect(await limiter.hit('other', 3, WINDOW_MS)).toMatchObject({ allowed: true, count: 1 });
    clock.advance(39_500);
    expect(await limiter.hit('k', 3, WINDOW_MS)).toMatchObject({ allowed: true, count: 1 });
  });

  it('peek counts nothing and refuses once the limit is used up', async () => {
    const limiter = new MemoryRateLimiter({ now: new TestClock().now });
    expect(await limiter.peek('k', 2, WINDOW_MS)).toMatchObject({ allowed: true, count: 0 });
    await limiter.hit('k', 2, WINDOW_MS);
    expect(await limiter.peek('k', 2, WINDOW_MS)).toMatchObject({ allowed: true, count: 1 });
    await limiter.hit('k', 2, WINDOW_MS);
    expect(await limiter.peek('k', 2, WINDOW_MS)).toMatchObject({ allowed: false, count: 2 });
    expect(await limiter.peek('k', 2, WINDOW_MS)).toMatchObject({ count: 2 });
  });

  it('holds at most maxKeys windows, dropping ended ones first, then the oldest', async () => {
    const clock = new TestClock();
    const limiter = new MemoryRateLimiter({ maxKeys: 100, now: clock.now });
    for (let i = 0; i < 1000; i++) await limiter.hit(`flood-${i}`, 5, WINDOW_MS);
    expect(limiter.size).toBeLessThanOrEqual(100);
    // The newest windows are the ones kept.
    expect(await limiter.peek('flood-999', 5, WINDOW_MS)).toMatchObject({ count: 1 });
    expect(await limiter.peek('flood-0', 5, WINDOW_MS)).toMatchObject({ count: 0 });
    clock.advance(WINDOW_MS);
    await limiter.hit('fresh', 5, WINDOW_MS);
    expect(limiter.size).toBe(1);
  });
});

describe('client address', () => {
  it('is the socket address unless proxies are trusted', () => {
    expect(clientAddressOf('203.0.113.7', '198.51.100.1', 0)).toBe('203.0.113.7');
    expect(clientAddressOf('::ffff:203.0.113.7', null, 0)).toBe('203.0.113.7');
    expect(clientAddressOf(undefined, null, 0)).toBe('unknown');
  });

  it('reads X-Forwarded-For from the right, skipping only the trusted hops', () => {
    // The client wrote the left-most entry itself: never trusted.
    expect(clientAddressOf('10.0.0.1', 'forged, 198.51.100.1', 1)).toBe('198.51.100.1');
    expect(clientAddressOf('10.0.0.1', 'forged, 198.51.100.1, 10.0.0.2', 2)).toBe('198.51.100.1');
    expect(clientAddressOf('10.0.0.1', '198.51.100.1', 3)).toBe('198.51.100.1');
    expect(clientAddressOf('10.0.0.1', '198.51.100.1:5555', 1)).toBe('198.51.100.1');
    expect(clientAddressOf('10.0.0.1', '', 1)).toBe('10.0.0.1');
  });

  it('counts an IPv6 address by its /64', () => {
    expect(clientAddressOf('2001:db8:1:2:aaaa::1', null, 0)).toBe('2001:db8:1:2::/64');
    expect(clientAddressOf('2001:db8:1:2:bbbb:cccc:dddd:eeee', null, 0)).toBe('2001:db8:1:2::/64');
    expect(clientAddressOf('::1', null, 0)).toBe('0:0:0:0::/64');
    expect(clientAddressOf('10.0.0.1', '[2001:db8::5]:443', 1)).toBe('2001:db8:0:0::/64');
  });
});

describe('writes per API token', () => {
  it('refuses createUser over the limit with TooManyRequests and writes nothing', async () => {
    const { t, token } = await appWith({ RATE_LIMIT_WRITES: '3' });
    // Seeding (alice) goes through the services, not the API: the token's budget is untouched.
    for (let i = 0; i < 3; i++) {
      const res = await t.gql(CREATE_USER, { token, variables: { input: { email: `u${i}@example.com`, username: `user-${i}` } } });
      expect(res.body.data.createUser.__typename).toBe('CreateUserSuccess');
    }
    const refused = await t.gql(CREATE_USER, { token, variables: { input: { email: 'u3@example.com', username: 'user-3' } } });
    expectTooManyRequests(refused);
    expect(refused.body.errors[0].path).toEqual(['createUser']);
    expect(refused.body.data).toBeNull();
    expect(await count(t, 'users')).toBe(4);
  });

  it('shares the budget between createUser and createSSOToken, per token', async () => {
    const { t, acme, token } = await appWith({ RATE_LIMIT_WRITES: '2' });
    expect((await t.gql(CREATE_SSO_TOKEN, { token, variables: { username: 'alice' } })).status).toBe(200);
    expect((await t.gql(CREATE_USER, { token, variables: { input: { email: 'b@example.com', username: 'bobby' } } })).status).toBe(200);
    expectTooManyRequests(await t.gql(CREATE_SSO_TOKEN, { token, variables: { username: 'alice' } }));
    // Another token of the same group has a budget of its own; reads are not writes.
    const other = await acme.token(true);
    expect((await t.gql(CREATE_SSO_TOKEN, { token: other, variables: { username: 'alice' } })).body.data.createSSOToken.__typename).toBe(
      'CreateSSOTokenSuccess',
    );
    expect((await t.gql(GROUP, { token })).status).toBe(200);
  });

  it('checks the token before counting: a bad token is refused as such', async () => {
    const { t } = await appWith({ RATE_LIMIT_WRITES: '1' });
    for (let i = 0; i < 3; i++) {
      const res = await t.gql(CREATE_USER, { variables: { input: { email: 'x@example.com', username: 'xxxxx' } } });
      expect(res.body.errors[0].extensions.code).toBe('UnauthorizedRequest');
    }
  });

  it('starts again when the window ends', async () => {
    const clock = new TestClock();
    const { t, token } = await appWith({ RATE_LIMIT_WRITES: '1' }, { rateLimiter: new MemoryRateLimiter({ now: clock.now }) });
    expect((await t.gql(CREATE_SSO_TOKEN, { token, variables: { username: 'alice' } })).status).toBe(200);
    const refused = await t.gql(CREATE_SSO_TOKEN, { token, variables: { username: 'alice' } });
    expectTooManyRequests(refused);
    expect(refused.headers.get('retry-after')).toBe('60');
    clock.advance(WINDOW_MS);
    expect((await t.gql(CREATE_SSO_TOKEN, { token, variables: { username: 'alice' } })).status).toBe(200);
  });

  it('0 turns the limit off', async () => {
    const { t, token } = await appWith({ RATE_LIMIT_WRITES: '0' });
    for (let i = 0; i < 30; i++) expect((await t.gql(CREATE_SSO_TOKEN, { token, variables: { username: 'alice' } })).status).toBe(200);
  });
});

describe('sign-in attempts per client address', () => {
  it('refuses loginWithSSO over the limit, even with a good token, and leaves that token usable', async () => {
    const clock = new TestClock();
    const { t, acme } = await appWith({ RATE_LIMIT_LOGIN: '2' }, { rateLimiter: new MemoryRateLimiter({ now: clock.now }) });
    for (let i = 0; i < 2; i++) {
      const bad = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: 'not-a-jwt' } });
      expect(bad.body.data.loginWithSSO.__typename).toBe('SSOTokenFailedToParse');
    }
    const good = await acme.ssoToken('alice');
    const refused = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: good } });
    expectTooManyRequests(refused);
    expect(refused.body.errors[0].path).toEqual(['loginWithSSO']);
    expect(refused.headers.get('set-cookie')).toBeNull();
    expect(await count(t, 'sessions')).toBe(0);
    clock.advance(WINDOW_MS);
    const later = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: good } });
    expect(later.body.data.loginWithSSO.__typename).toBe('LoginWithSSOSuccess');
  });

  it('counts each client address apart behind a trusted proxy, and ignores X-Forwarded-For otherwise', async () => {
    const login = (t: TestApp, host: string, forwardedFor: string) =>
      t.gql(LOGIN_WITH_SSO, { host, headers: { 'x-forwarded-for': forwardedFor }, variables: { token: 'junk' } });

    const proxied = await appWith({ RATE_LIMIT_LOGIN: '1', TRUST_PROXY: 'true' });
    expect((await login(proxied.t, proxied.acme.host, '198.51.100.1')).status).toBe(200);
    expectTooManyRequests(await login(proxied.t, proxied.acme.host, '198.51.100.1'));
    expect((await login(proxied.t, proxied.acme.host, '198.51.100.2')).status).toBe(200);
    // A client cannot escape by writing its own entry on the left.
    expectTooManyRequests(await login(proxied.t, proxied.acme.host, 'forged, 198.51.100.1'));

    const direct = await appWith({ RATE_LIMIT_LOGIN: '1' });
    expect((await login(direct.t, direct.acme.host, '198.51.100.1')).status).toBe(200);
    expectTooManyRequests(await login(direct.t, direct.acme.host, '198.51.100.2'));
  });
});

describe('failed API-token attempts per client address', () => {
  it('after the limit, refuses the failing tokens from that address, and never a valid one', async () => {
    const { t, token } = await appWith({ RATE_LIMIT_FAILED_API_TOKEN: '3', TRUST_PROXY: '1' });
    const from = (address: string, bearer: string) => t.gql(GROUP, { token: bearer, headers: { 'x-forwarded-for': address } });
    const forged = `tapi_${'A'.repeat(43)}`;

    // Successful uses do not count.
    for (let i = 0; i < 5; i++) expect((await from('198.51.100.1', token)).status).toBe(200);
    for (let i = 0; i < 3; i++) expect((await from('198.51.100.1', forged)).body.errors[0].extensions.code).toBe('InvalidApiToken');
    expectTooManyRequests(await from('198.51.100.1', forged));
    // A stranger behind the same address (a NAT) cannot lock a valid token out.
    expect((await from('198.51.100.1', token)).status).toBe(200);
    expectTooManyRequests(await from('198.51.100.1', `tapi_${'B'.repeat(43)}`));
    // Another address is not affected.
    expect((await from('198.51.100.2', token)).status).toBe(200);
    // Requests without a token are not attempts.
    expect((await t.gql(GROUP, { headers: { 'x-forwarded-for': '198.51.100.1' } })).body.errors[0].extensions.code).toBe(
      'UnauthorizedRequest',
    );
  });
});

describe('a limiter that fails', () => {
  it('counts limits in process memory meanwhile, and warns once per outage', async () => {
    let down = true;
    const shared = new MemoryRateLimiter();
    const flaky: RateLimiter = {
      hit: async (...args) => (down ? Promise.reject(new Error('limiter down')) : shared.hit(...args)),
      peek: async (...args) => (down ? Promise.reject(new Error('limiter down')) : shared.peek(...args)),
      close: async () => {},
    };
    const config = loadConfig({ DATABASE_URL: ':memory:', SSO_SECRET: TEST_SSO_SECRET, RATE_LIMIT_WRITES: '2' });
    const store = openSqliteStore(':memory:');
    const logs = captureLogs('info');
    const app = createApp({ config, store, services: (await openRuntime(config, { store })).services, rateLimiter: flaky, logger: logs.logger });
    const group = await app.services.groups.create('acme', {}, CLI_CALLER);
    const { token } = await app.services.apiTokens.create(group, null, CLI_CALLER);
    let n = 0;
    const createUser = async () => {
      const res = await app.fetch('http://localhost/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
        body: JSON.stringify({ query: CREATE_USER, variables: { input: { email: `u${n}@example.com`, username: `user-${n++}` } } }),
      });
      const body = await res.json();
      return body.data?.createUser?.__typename ?? body.errors[0].extensions.code;
    };
    // Down: the limit of 2 still holds, counted in memory.
    expect([await createUser(), await createUser(), await createUser()]).toEqual(['CreateUserSuccess', 'CreateUserSuccess', 'TooManyRequests']);
    const warnings = () => logs.lines().filter((l) => l.level === 'warn');
    expect(warnings()).toEqual([expect.objectContaining({ msg: 'rate limiter unavailable; counting limits in this process until it answers again' })]);
    expect(warnings()[0]!.err.message).toBe('limiter down');
    // Back: the shared counts are used again (fresh here), and that is logged once.
    down = false;
    expect([await createUser(), await createUser(), await createUser()]).toEqual(['CreateUserSuccess', 'CreateUserSuccess', 'TooManyRequests']);
    expect(logs.lines().filter((l) => l.msg === 'rate limiter answers again; shared limits restored')).toHaveLength(1);
    expect(warnings()).toHaveLength(1);
    await app.close();
    await store.close();
  });
});
