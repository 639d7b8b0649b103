import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LOGIN_WITH_SSO, LOGOUT, VIEWER } from '../support/documents.ts';
import { createTestApp, type GroupSeed, type TestApp, TestClock } from '../support/harness.ts';

let t: TestApp;
let acme: GroupSeed;
let clock: TestClock;

beforeEach(async () => {
  clock = new TestClock();
  t = await createTestApp({ clock });
  acme = await t.seed.group('acme');
  await acme.user('alice');
  await acme.user('bobby');
});
afterEach(() => t.close());

const count = (table: string) => t.count(table);
const cookieOf = (setCookie: string | null) => /^session=([^;]*)/.exec(setCookie ?? '')?.[1] ?? null;

async function login(username: string, cookie?: string, host = acme.host) {
  const res = await t.gql(LOGIN_WITH_SSO, { host, cookie, variables: { token: await acme.ssoToken(username) } });
  return { result: res.body.data.loginWithSSO, secret: cookieOf(res.headers.get('set-cookie')) };
}

const viewer = async (secret: string, host = acme.host) =>
  (await t.gql(VIEWER, { host, cookie: `session=${secret}` })).body.data.viewer;

describe('signing in again (no session fixation)', () => {
  it('gives a new random session and ends the one the browser’s cookie named', async () => {
    const first = await login('alice');
    const second = await login('alice', `session=${first.secret}`);
    expect(second.result.__typename).toBe('LoginWithSSOSuccess');
    expect(second.secret).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(second.secret).not.toBe(first.secret);
    expect(await viewer(first.secret!)).toBeNull();
    expect((await viewer(second.secret!)).user.username).toBe('alice');
    expect(await count('sessions')).toBe(1);
  });

  it('ends the previous session when another user signs in in the same browser', async () => {
    const alice = await login('alice');
    const bob = await login('bobby', `session=${alice.secret}`);
    expect(await viewer(alice.secret!)).toBeNull();
    expect((await viewer(bob.secret!)).user.username).toBe('bobby');
  });

  it('never adopts a cookie value it did not issue (a planted or forged one)', async () => {
    const planted = 'A'.repeat(43);
    const res = await login('alice', `session=${planted}`);
    expect(res.result.__typename).toBe('LoginWithSSOSuccess');
    expect(res.secret).not.toBe(planted);
    expect(await viewer(planted)).toBeNull();
  });

  it('leaves alone a session of another group that a sibling domain planted in the cookie', async () => {
    const other = await t.seed.group('other');
    await other.user('carol');
    const carolCookie = await other.session('carol');
    const res = await login('alice', carolCookie);
    expect(res.result.__typename).toBe('LoginWithSSOSuccess');
    expect((await t.gql(VIEWER, { host: other.host, cookie: carolCookie })).body.data.viewer.user.username).toBe('carol');
  });

  it('keeps the current session when a sign-in fails', async () => {
    const alice = await login('alice');
    const res = await t.gql(LOGIN_WITH_SSO, { host: acme.host, cookie: `session=${alice.secret}`, variables: { token: 'junk' } });
    expect(res.body.data.loginWithSSO.__typename).toBe('SSOTokenFailedToParse');
    expect(res.headers.get('set-cookie')).toBeNull();
    expect((await viewer(alice.secret!)).user.username).toBe('alice');
  });
});

describe('logout', () => {
  it('ends the session server-side: replaying the old cookie gets nothing', async () => {
    const { secret } = await login('alice');
    const cookie = `session=${secret}`;
    const out = await t.gql(LOGOUT, { host: acme.host, cookie });
    expect(out.body.data.logout).toBe(true);
    // A client that ignores the cleared cookie and sends the old one again:
    expect(await viewer(secret!)).toBeNull();
    expect((await t.gql(LOGOUT, { host: acme.host, cookie })).body.data.logout).toBe(false);
    expect(await count('sessions')).toBe(0);
  });
});

describe('purging expired records', () => {
  it('deletes used SSO-token records once the token could no longer verify, and sessions once expired', async () => {
    await login('alice');
    await login('bobby');
    expect([await count('sessions'), await count('sso_token_uses')]).toEqual([2, 2]);

    expect(await t.app.services.sessions.purgeExpired()).toBe(0);
    // Past the SSO token's expiry and the skew allowance: the jti record can go, the sessions stay.
    clock.advance((600 + 121) * 1000);
    expect(await t.app.services.sessions.purgeExpired()).toBe(2);
    expect([await count('sessions'), await count('sso_token_uses')]).toEqual([2, 0]);

    clock.advance(2_592_000 * 1000);
    expect(await t.app.services.sessions.purgeExpired()).toBe(2);
    expect([await count('sessions'), await count('sso_token_uses')]).toEqual([0, 0]);
  });

  it('ends more expired sessions than one unit takes, each with its session.ended event', async () => {
    await login('alice');
    const [owner] = await t.rows('SELECT user_id, group_id FROM sessions');
    // 2,500 sessions long expired (a server started after weeks down): more than one purge unit ends.
    await t.rows(
      `WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 2500)
       INSERT INTO sessions (id, token_hash, user_id, group_id, created_at, expires_at)
       SELECT 'old-' || i, 'old-hash-' || i, '${owner!.user_id}', '${owner!.group_id}', 0, 1 FROM n RETURNING id`,
    );
    expect(await t.app.services.sessions.purgeExpired()).toBe(2500);
    expect(await count('sessions')).toBe(1);
    const [ended] = await t.rows("SELECT count(*) AS n FROM events WHERE type = 'session.ended'");
    expect(Number(ended!.n)).toBe(2500);
  });

  it('runs on a schedule (PURGE_INTERVAL_SECONDS) that stops with the app', async () => {
    vi.useFakeTimers({ toFake: ['setInterval', 'clearInterval'] });
    try {
      const scheduledClock = new TestClock();
      const scheduled = await createTestApp({ clock: scheduledClock, env: { PURGE_INTERVAL_SECONDS: '120' } });
      const g = await scheduled.seed.group('acme');
      await g.user('alice');
      await g.session('alice');
      const sessions = () => scheduled.count('sessions');

      scheduledClock.advance(2_592_000 * 1000 + 1);
      vi.advanceTimersByTime(119_000);
      expect(await sessions()).toBe(1);
      vi.advanceTimersByTime(1_000);
      await vi.waitFor(async () => expect(await sessions()).toBe(0));

      await scheduled.close();
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
