import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { StorageWriteError } from '../../src/db/store.ts';
import type { ErrorCode } from '../../src/errors/catalog.ts';
import { createTestApp, envelopeOf, type GroupSeed, TestClock, type TestApp } from '../support/harness.ts';
import { cookieFrom, get, type RestResponse } from '../support/rest.ts';
import { CLI_CALLER } from '../../src/domain/events.ts';

const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };

function loginPath(token: string): string {
  return `/-/api/ssotoken/login?token=${encodeURIComponent(token)}`;
}

function expectJsonError(res: RestResponse, code: ErrorCode) {
  expect(res.status).toBe(envelopeOf(code).status);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.body).toEqual({ error: envelopeOf(code) });
  expect(cookieFrom(res.headers)).toBeNull();
}

function expectErrorPage(res: RestResponse, code: ErrorCode) {
  const { status, message } = envelopeOf(code);
  expect(res.status).toBe(status);
  expect(res.headers.get('content-type')).toBe('text/html; charset=utf-8');
  expect(res.text).toContain(`<code id="error-code">${code}</code>`);
  expect(res.text).toContain(`<span id="error-status">${status}</span>`);
  expect(res.text).toContain(message);
  expect(res.headers.get('content-security-policy')).toContain("default-src 'none'");
  expect(cookieFrom(res.headers)).toBeNull();
}

let t: TestApp;
let acme: GroupSeed;
const clock = new TestClock(Date.parse('2030-01-01T00:00:00Z'));

beforeEach(async () => {
  clock.current = Date.parse('2030-01-01T00:00:00Z');
  t = await createTestApp({ clock });
  acme = await t.seed.group('acme');
  await acme.user('alice');
});
afterEach(() => t.close());

describe('GET /-/api/ssotoken/login', () => {
  it('signs in on the group’s domain: 302 to "/" with the session cookie', async () => {
    const res = await get(t, loginPath(await acme.ssoToken('alice')), { host: acme.host });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/');
    expect(res.headers.get('cache-control')).toBe('no-store');
    expect(res.headers.get('referrer-policy')).toBe('no-referrer');
    const cookie = cookieFrom(res.headers);
    expect(cookie?.pair).toMatch(/^session=[\w-]{43}$/);
    expect(cookie?.attributes).toMatch(/HttpOnly/);
    expect(cookie?.attributes).toMatch(/SameSite=Lax/);
    expect(cookie?.attributes).toMatch(/Path=\//);
    expect(cookie?.attributes).toMatch(/Max-Age=\d+/);
    expect(cookie?.attributes).not.toMatch(/Secure/);

    const viewer = await t.gql('{ viewer { user { username } group { slug } } }', { host: acme.host, cookie: cookie!.pair });
    expect(viewer.body.data.viewer).toEqual({ user: { username: 'alice' }, group: { slug: 'acme' } });
  });

  it('redirects to the redirectTo the token was minted with', async () => {
    const res = await get(t, loginPath(await acme.ssoToken('alice', '/welcome?tab=profile')), { host: acme.host });
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/welcome?tab=profile');
  });

  it('sets a Secure cookie when PUBLIC_URL is https', async () => {
    const secure = await createTestApp({ env: { PUBLIC_URL: 'https://localhost' } });
    try {
      const group = await secure.seed.group('acme');
      await group.user('alice');
      const res = await get(secure, loginPath(await group.ssoToken('alice')), { host: group.host });
      expect(cookieFrom(res.headers)?.attributes).toMatch(/Secure/);
    } finally {
      await secure.close();
    }
  });

  describe('without a token: MissingRequiredQueryParameter', () => {
    it('as JSON for an API client', async () => {
      expectJsonError(await get(t, '/-/api/ssotoken/login', { host: acme.host }), 'MissingRequiredQueryParameter');
      expectJsonError(await get(t, '/-/api/ssotoken/login?token=', { host: acme.host }), 'MissingRequiredQueryParameter');
    });

    it('as a page for a browser', async () => {
      expectErrorPage(
        await get(t, '/-/api/ssotoken/login', { host: acme.host, headers: BROWSER }),
        'MissingRequiredQueryParameter',
      );
    });
  });

  describe('a token used twice: InvalidSSOTokenPayload', () => {
    it('as JSON for an API client, and as a page for a browser', async () => {
      const token = await acme.ssoToken('alice');
      expect((await get(t, loginPath(token), { host: acme.host })).status).toBe(302);
      expectJsonError(await get(t, loginPath(token), { host: acme.host }), 'InvalidSSOTokenPayload');
      expectErrorPage(await get(t, loginPath(token), { host: acme.host, headers: BROWSER }), 'InvalidSSOTokenPayload');
    });
  });

  it('a token that is not a JWT: SSOTokenFailedToParse', async () => {
    expectJsonError(await get(t, loginPath('not.a.jwt'), { host: acme.host }), 'SSOTokenFailedToParse');
    expectErrorPage(await get(t, loginPath('<script>'), { host: acme.host, headers: BROWSER }), 'SSOTokenFailedToParse');
  });

  it('an expired token: SSOTokenFailedToParse', async () => {
    const token = await acme.ssoToken('alice');
    clock.advance((600 + 61) * 1000);
    expectJsonError(await get(t, loginPath(token), { host: acme.host }), 'SSOTokenFailedToParse');
  });

  it('off the group’s domain: InvalidRequestDomain, and the token stays usable', async () => {
    const other = await t.seed.group('other');
    const token = await acme.ssoToken('alice');
    expectJsonError(await get(t, loginPath(token)), 'InvalidRequestDomain');
    expectJsonError(await get(t, loginPath(token), { host: other.host }), 'InvalidRequestDomain');
    expect((await get(t, loginPath(token), { host: acme.host })).status).toBe(302);
  });

  it('a user no longer in the group: NotGroupMember', async () => {
    const token = await acme.ssoToken('alice');
    await t.app.services.members.remove(acme.group, 'alice', {}, CLI_CALLER);
    expectJsonError(await get(t, loginPath(token), { host: acme.host }), 'NotGroupMember');
  });

  it('storage failing while writing the session: failedToCreateSession, nothing leaked', async () => {
    const token = await acme.ssoToken('alice');
    t.store.createSessionUsingSsoToken = async () => {
      throw new StorageWriteError(new Error('SQLITE_IOERR: INSERT INTO sessions'));
    };
    const res = await get(t, loginPath(token), { host: acme.host });
    expectJsonError(res, 'failedToCreateSession');
    expect(res.text).not.toMatch(/SQLITE|INSERT/);
  });

  it('an unexpected failure: InternalError, masked, on the page too', async () => {
    const token = await acme.ssoToken('alice');
    t.store.findMember = async () => {
      throw new Error('SQLITE_CORRUPT: SELECT * FROM memberships');
    };
    const json = await get(t, loginPath(token), { host: acme.host });
    expectJsonError(json, 'InternalError');
    expect(json.text).not.toMatch(/SQLITE|SELECT/);
    const page = await get(t, loginPath(token), { host: acme.host, headers: BROWSER });
    expectErrorPage(page, 'InternalError');
    expect(page.text).not.toMatch(/SQLITE|SELECT/);
  });

  it('answers the same codes as loginWithSSO over GraphQL', async () => {
    const used = await acme.ssoToken('alice');
    await get(t, loginPath(used), { host: acme.host });
    const cases: Array<[string, string | undefined]> = [
      [used, acme.host],
      ['garbage', acme.host],
      [await acme.ssoToken('alice'), undefined],
    ];
    for (const [token, host] of cases) {
      const rest = await get(t, loginPath(token), { host });
      const gql = await t.gql('mutation($t: String!) { loginWithSSO(token: $t) { __typename ... on Error { status code message } } }', {
        host,
        variables: { t: token },
      });
      const { __typename, ...envelope } = gql.body.data.loginWithSSO;
      expect(rest.body.error).toEqual(envelope);
    }
  });
});
