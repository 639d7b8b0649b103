/**
 * Sign-in links that survive link scanners (API.md §10), through app.fetch: minting
 * with requireConfirmation (argument, REST field, group default), the confirmation
 * page that GET and HEAD answer without using the token up, the POST of its
 * "Continue" button and its same-origin rule, and the pages that explain failures.
 */
import { createHash } from 'node:crypto';
import { decodeJwt } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAdmin } from '../../src/cli/admin.ts';
import type { ErrorCode } from '../../src/errors/catalog.ts';
import { LOGIN_WITH_SSO, VIEWER } from '../support/documents.ts';
import { createTestDatabase } from '../support/databases.ts';
import { createTestApp, envelopeOf, type GroupSeed, TestClock, type TestApp } from '../support/harness.ts';
import { cookieFrom, get, postJson, type RestResponse } from '../support/rest.ts';

const BROWSER = { accept: 'text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8' };
const LOGIN = '/-/api/ssotoken/login';
const ACME_ORIGIN = 'http://acme.localhost:4000';

let t: TestApp;
let acme: GroupSeed;
let apiToken: string;
const clock = new TestClock();

beforeEach(async () => {
  clock.current = Date.parse('2030-01-01T00:00:00Z');
  t = await createTestApp({ clock });
  acme = await t.seed.group('acme', { title: 'Acme & Co' });
  apiToken = await acme.token();
  await acme.user('alice');
});
afterEach(() => t.close());

const loginPath = (token: string) => `${LOGIN}?token=${encodeURIComponent(token)}`;

/** Mints over GraphQL with these arguments; the success member. */
async function mint(variables: Record<string, unknown> = {}) {
  const res = await t.gql(
    `mutation($username: String!, $redirectTo: String, $requireConfirmation: Boolean) {
      createSSOToken(username: $username, redirectTo: $redirectTo, requireConfirmation: $requireConfirmation) {
        __typename ... on CreateSSOTokenSuccess { token loginUrl expiresAt requireConfirmation }
      }
    }`,
    { token: apiToken, variables: { username: 'alice', ...variables } },
  );
  expect(res.body.data.createSSOToken.__typename).toBe('CreateSSOTokenSuccess');
  return res.body.data.createSSOToken as { token: string; loginUrl: string; requireConfirmation: boolean };
}

const confirmed = async (redirectTo?: string) => (await mint({ requireConfirmation: true, redirectTo })).token;

async function head(path: string, headers: Record<string, string> = {}, host = acme.host) {
  const response = await t.request(path, { method: 'HEAD', host, headers, redirect: 'manual' });
  return { status: response.status, headers: response.headers };
}

/** The confirmation form's POST: `token` url-encoded, with the given headers (Origin, Sec-Fetch-Site, Accept …). */
async function post(token: string | null, headers: Record<string, string>, host = acme.host): Promise<RestResponse> {
  const body = token === null ? '' : new URLSearchParams({ token }).toString();
  const response = await t.request(LOGIN, {
    method: 'POST',
    host,
    headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
    body,
    redirect: 'manual',
  });
  const text = await response.text();
  const json = (response.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : null;
  return { status: response.status, headers: response.headers, body: json, text };
}

const FROM_ACME = { origin: ACME_ORIGIN };
/** What Chromium sends from the confirmation page, whose Referrer-Policy is no-referrer. */
const FROM_ACME_NO_REFERRER = { origin: 'null', 'sec-fetch-site': 'same-origin' };

const used = async () => ({ uses: await t.count('sso_token_uses'), sessions: await t.count('sessions') });

function expectSignedIn(res: RestResponse, location = '/') {
  expect(res.status).toBe(302);
  expect(res.headers.get('location')).toBe(location);
  expect(res.headers.get('cache-control')).toBe('no-store');
  expect(res.headers.get('referrer-policy')).toBe('no-referrer');
  expect(cookieFrom(res.headers)?.pair).toMatch(/^session=[\w-]{43}$/);
}

function expectJsonError(res: RestResponse, code: ErrorCode) {
  expect(res.status).toBe(envelopeOf(code).status);
  expect(res.body).toEqual({ error: envelopeOf(code) });
  expect(cookieFrom(res.headers)).toBeNull();
}

/** The headers every page carries: no framing, no caching, no referrer, nothing from elsewhere. */
function expectPageHeaders(headers: Headers) {
  expect(headers.get('content-type')).toBe('text/html; charset=utf-8');
  const csp = headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(csp).toContain("form-action 'self'");
  expect(csp).toMatch(/style-src 'sha256-[A-Za-z0-9+/=]+'/);
  expect(csp).not.toMatch(/unsafe-inline|unsafe-eval|https?:/);
  expect(headers.get('x-frame-options')).toBe('DENY');
  expect(headers.get('cache-control')).toBe('no-store');
  expect(headers.get('referrer-policy')).toBe('no-referrer');
  expect(headers.get('x-content-type-options')).toBe('nosniff');
  expect(cookieFrom(headers)).toBeNull();
}

/** A page explaining a failure: its status, the catalog code, status and message, and the plain-words heading. */
function expectExplained(res: RestResponse, code: ErrorCode, heading: RegExp) {
  const { status, message } = envelopeOf(code);
  expect(res.status).toBe(status);
  expectPageHeaders(res.headers);
  expect(res.text).toContain(`<code id="error-code">${code}</code>`);
  expect(res.text).toContain(`<span id="error-status">${status}</span>`);
  expect(res.text).toContain(message);
  expect(/<h1>([^<]*)<\/h1>/.exec(res.text)?.[1]).toMatch(heading);
  expect(res.text).toMatch(/<p id="explanation">/);
  expect(res.text).not.toContain('id="continue"');
}

describe('minting with requireConfirmation', () => {
  it('signs the choice into the token (claim rc), and says it in the result', async () => {
    const on = await mint({ requireConfirmation: true });
    expect(on.requireConfirmation).toBe(true);
    expect(decodeJwt(on.token).rc).toBe(true);
    const off = await mint({ requireConfirmation: false });
    expect(off.requireConfirmation).toBe(false);
    expect(decodeJwt(off.token).rc).toBeUndefined();
  });

  it('takes the group’s requireSignInConfirmation when the argument is left out or null, and an explicit choice over it', async () => {
    expect((await mint()).requireConfirmation).toBe(false);
    await t.app.services.groups.update(acme.group, { requireSignInConfirmation: true });
    for (const variables of [{}, { requireConfirmation: null }]) {
      const minted = await mint(variables);
      expect(minted.requireConfirmation).toBe(true);
      expect(decodeJwt(minted.token).rc).toBe(true);
    }
    expect((await mint({ requireConfirmation: false })).requireConfirmation).toBe(false);
    // The group's default really governs the login URL.
    const res = await get(t, loginPath((await mint()).token), { host: acme.host });
    expect(res.status).toBe(200);
    expect(await used()).toEqual({ uses: 0, sessions: 0 });
  });

  it('takes the REST body field requireConfirmation, null as absent', async () => {
    const create = (body: Record<string, unknown>) => postJson(t, '/-/api/ssotoken/create', { username: 'alice', ...body }, { token: apiToken });
    const on = await create({ requireConfirmation: true });
    expect(on.status).toBe(200);
    expect(on.body.data.requireConfirmation).toBe(true);
    expect(decodeJwt(on.body.data.token).rc).toBe(true);
    expect((await create({ requireConfirmation: false })).body.data.requireConfirmation).toBe(false);
    expect((await create({ requireConfirmation: null })).body.data.requireConfirmation).toBe(false);
    await t.app.services.groups.update(acme.group, { requireSignInConfirmation: true });
    expect((await create({})).body.data.requireConfirmation).toBe(true);
    expect((await create({ requireConfirmation: false })).body.data.requireConfirmation).toBe(false);
  });

  it('refuses a REST requireConfirmation that is not a boolean: InvalidInput on requireConfirmation', async () => {
    for (const requireConfirmation of ['true', 1, {}]) {
      const res = await postJson(t, '/-/api/ssotoken/create', { username: 'alice', requireConfirmation }, { token: apiToken });
      expect(res.status).toBe(400);
      expect(res.body.error).toEqual(envelopeOf('InvalidInput'));
      expect(res.body.details.field).toBe('requireConfirmation');
    }
  });

  it('follows the group setting that the CLI flags set', async () => {
    const database = await createTestDatabase({ shared: true });
    const env = { DATABASE_URL: database.url };
    const admin = (...argv: string[]) => runAdmin(argv, { env, stdout: () => {}, stderr: () => {} });
    const other = await createTestApp({ store: database.store });
    try {
      const beta = await other.seed.group('beta');
      await beta.user('bruno');
      const mintedFor = async () => (await other.app.services.signIn.createSsoToken(await other.app.services.groups.get('beta'), 'bruno')).requireConfirmation;
      expect(await mintedFor()).toBe(false);
      expect(await admin('group', 'update', 'beta', '--require-sign-in-confirmation')).toBe(0);
      expect(await mintedFor()).toBe(true);
      expect(await admin('group', 'update', 'beta', '--no-require-sign-in-confirmation')).toBe(0);
      expect(await mintedFor()).toBe(false);
    } finally {
      await other.close();
      await database.close();
    }
  });

  it('cannot be taken out by editing the URL: a token with its claim changed does not verify, and the real one still works', async () => {
    const token = await confirmed();
    const [header, payload, signature] = token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    delete claims.rc;
    const edited = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    expectJsonError(await get(t, loginPath(edited), { host: acme.host }), 'SSOTokenFailedToParse');
    expect(await used()).toEqual({ uses: 0, sessions: 0 });
    expectSignedIn(await post(token, FROM_ACME));
  });
});

describe('GET and HEAD of the login URL of a token minted with confirmation', () => {
  it('answer 200 with a page naming the group and the user and one Continue button, using nothing up', async () => {
    const token = await confirmed('/welcome');
    const res = await get(t, loginPath(token), { host: acme.host, headers: BROWSER });
    expect(res.status).toBe(200);
    expectPageHeaders(res.headers);
    expect(res.text).toContain('<strong id="sign-in-user">alice</strong>');
    expect(res.text).toContain('<h1>Sign in to <span id="sign-in-group">Acme &amp; Co</span></h1>');
    expect(res.text).toContain('to group <code>acme</code>');
    expect(res.text.match(/<form /g)).toHaveLength(1);
    expect(res.text).toContain(`<form method="post" action="${LOGIN}">`);
    expect(res.text).toContain(`<input type="hidden" name="token" value="${token}">`);
    expect(res.text.match(/<button /g)).toHaveLength(1);
    expect(res.text).toMatch(/<button type="submit" id="continue" class="primary">Continue<\/button>/);
    expect(res.text).toContain('<meta name="viewport" content="width=device-width, initial-scale=1">');
    expect(await used()).toEqual({ uses: 0, sessions: 0 });
  });

  it('load nothing from elsewhere and run nothing inline but the stylesheet the CSP names by hash', async () => {
    const res = await get(t, loginPath(await confirmed()), { host: acme.host, headers: BROWSER });
    expect(res.text).not.toMatch(/<script|<link|<img|<iframe|\ssrc=|url\(|@import|\son\w+=/i);
    expect(res.text).not.toMatch(/https?:\/\//);
    const styles = [...res.text.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
    expect(styles).toHaveLength(1);
    const hash = createHash('sha256').update(styles[0]!).digest('base64');
    expect(res.headers.get('content-security-policy')).toContain(`style-src 'sha256-${hash}'`);
  });

  it('answer the same page to any client, and escape the group title', async () => {
    await t.app.services.groups.update(acme.group, { title: '<script>alert(1)</script>' });
    const res = await get(t, loginPath(await confirmed()), { host: acme.host });
    expect(res.status).toBe(200);
    expect(res.text).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(res.text).not.toContain('<script>');
  });

  it('name the slug alone for a group without a title', async () => {
    await t.app.services.groups.update(acme.group, { title: null });
    const res = await get(t, loginPath(await confirmed()), { host: acme.host });
    expect(res.text).toContain('<span id="sign-in-group">acme</span>');
    expect(res.text).not.toContain('<code>acme</code>');
  });

  it('leave the token usable however often a scanner GETs and HEADs it', async () => {
    const token = await confirmed('/inbox');
    for (let i = 0; i < 3; i++) {
      expect((await get(t, loginPath(token), { host: acme.host })).status).toBe(200);
      const probed = await head(loginPath(token));
      expect(probed.status).toBe(200);
      expectPageHeaders(probed.headers);
    }
    expect(await used()).toEqual({ uses: 0, sessions: 0 });
    expectSignedIn(await post(token, FROM_ACME), '/inbox');
    expect(await used()).toEqual({ uses: 1, sessions: 1 });
  });

  it('HEAD never signs in, not even with a token minted without confirmation: it answers the redirect without a cookie', async () => {
    const token = (await mint({ redirectTo: '/home' })).token;
    const probed = await head(loginPath(token));
    expect(probed.status).toBe(302);
    expect(probed.headers.get('location')).toBe('/home');
    expect(cookieFrom(probed.headers)).toBeNull();
    expect(await used()).toEqual({ uses: 0, sessions: 0 });
    // The original one-GET sign-in still works afterwards.
    expectSignedIn(await get(t, loginPath(token), { host: acme.host }), '/home');
  });

  it('HEAD answers a failure with its status, as a GET would', async () => {
    const token = await confirmed();
    expect((await head(loginPath(token), {}, 'other.localhost:4000')).status).toBe(400);
    expect((await head(LOGIN)).status).toBe(envelopeOf('MissingRequiredQueryParameter').status);
    expectSignedIn(await post(token, FROM_ACME));
    const again = await head(loginPath(token), BROWSER);
    expect(again.status).toBe(envelopeOf('InvalidSSOTokenPayload').status);
    expectPageHeaders(again.headers);
  });
});

describe('pages that explain a failure, with the catalog code', () => {
  it('an already used token: InvalidSSOTokenPayload, "already used"', async () => {
    const token = await confirmed();
    expectSignedIn(await post(token, FROM_ACME));
    expectExplained(await get(t, loginPath(token), { host: acme.host, headers: BROWSER }), 'InvalidSSOTokenPayload', /already been used/);
    expectJsonError(await get(t, loginPath(token), { host: acme.host }), 'InvalidSSOTokenPayload');
    expect(await used()).toEqual({ uses: 1, sessions: 1 });
  });

  it('an expired token: SSOTokenFailedToParse, "expired"', async () => {
    const token = await confirmed();
    clock.advance((600 + 61) * 1000);
    expectExplained(await get(t, loginPath(token), { host: acme.host, headers: BROWSER }), 'SSOTokenFailedToParse', /expired/);
  });

  it('a malformed token: SSOTokenFailedToParse, "not valid"', async () => {
    const token = await confirmed();
    for (const bad of ['not-a-token', token.slice(0, -2)]) {
      expectExplained(await get(t, loginPath(bad), { host: acme.host, headers: BROWSER }), 'SSOTokenFailedToParse', /not valid/);
    }
  });

  it('a token of another group: InvalidRequestDomain, "another site", and it stays usable', async () => {
    await t.seed.group('other');
    const token = await confirmed();
    const res = await get(t, loginPath(token), { host: 'other.localhost:4000', headers: BROWSER });
    expectExplained(res, 'InvalidRequestDomain', /another site/);
    expectSignedIn(await post(token, FROM_ACME));
  });

  it('no token at all: MissingRequiredQueryParameter, "incomplete"', async () => {
    expectExplained(await get(t, LOGIN, { host: acme.host, headers: BROWSER }), 'MissingRequiredQueryParameter', /incomplete/);
  });

  it('a user no longer in the group, and a group deleted', async () => {
    const token = await confirmed();
    await t.app.services.members.remove(acme.group, 'alice');
    expectExplained(await get(t, loginPath(token), { host: acme.host, headers: BROWSER }), 'NotGroupMember', /not a member/);
    await t.app.services.groups.delete('acme');
    expectExplained(await get(t, loginPath(token), { host: acme.host, headers: BROWSER }), 'GroupNotFound', /no longer exists/);
  });
});

describe('POST /-/api/ssotoken/login (the Continue button)', () => {
  it('signs in from the group’s own origin: 302 to redirectTo with the session cookie', async () => {
    const token = await confirmed('/welcome?tab=1');
    const res = await post(token, FROM_ACME);
    expectSignedIn(res, '/welcome?tab=1');
    const viewer = await t.gql(VIEWER, { host: acme.host, cookie: cookieFrom(res.headers)!.pair });
    expect(viewer.body.data.viewer).toMatchObject({ user: { username: 'alice' }, group: { slug: 'acme' } });
    expect(await used()).toEqual({ uses: 1, sessions: 1 });
  });

  it('falls back on Sec-Fetch-Site: same-origin when Origin is null or absent', async () => {
    expectSignedIn(await post(await confirmed(), FROM_ACME_NO_REFERRER));
    expectSignedIn(await post(await confirmed(), { 'sec-fetch-site': 'same-origin' }));
  });

  it.each([
    ['another group’s origin (a sibling on the same site)', { origin: 'http://evil.localhost:4000' }],
    ['another site', { origin: 'https://evil.example' }],
    ['the group’s host over another scheme', { origin: 'https://acme.localhost:4000' }],
    ['the group’s host on another port', { origin: 'http://acme.localhost:4001' }],
    ['the bare domain', { origin: 'http://localhost:4000' }],
    ['Origin null from a cross-site page', { origin: 'null', 'sec-fetch-site': 'cross-site' }],
    ['Origin null from a sibling domain', { origin: 'null', 'sec-fetch-site': 'same-site' }],
    ['Origin null typed into the address bar', { origin: 'null', 'sec-fetch-site': 'none' }],
    ['Origin null and nothing else', { origin: 'null' }],
    ['neither header (not a browser)', {}],
    ['a cross-site Origin that Sec-Fetch-Site calls same-origin', { origin: 'http://evil.localhost:4000', 'sec-fetch-site': 'same-origin' }],
  ])('refuses a POST from %s: InvalidRequestDomain, using nothing up', async (_from, headers: Record<string, string>) => {
    const token = await confirmed();
    expectJsonError(await post(token, headers), 'InvalidRequestDomain');
    expect(await used()).toEqual({ uses: 0, sessions: 0 });
    expectSignedIn(await post(token, FROM_ACME));
  });

  it('explains a refused cross-origin POST to a browser in words', async () => {
    const token = await confirmed();
    const res = await post(token, { ...BROWSER, origin: 'http://evil.localhost:4000' });
    expectExplained(res, 'InvalidRequestDomain', /did not come from the group’s own page/);
  });

  it('refuses a POST on another group’s domain or the bare domain, even from that origin', async () => {
    await t.seed.group('other');
    const token = await confirmed();
    expectJsonError(await post(token, { origin: 'http://other.localhost:4000' }, 'other.localhost:4000'), 'InvalidRequestDomain');
    expectJsonError(await post(token, { origin: 'http://localhost:4000' }, 'localhost:4000'), 'InvalidRequestDomain');
    expect(await used()).toEqual({ uses: 0, sessions: 0 });
  });

  it('answers a token already used with InvalidSSOTokenPayload (400), and a browser with "already used"', async () => {
    const token = await confirmed();
    expectSignedIn(await post(token, FROM_ACME));
    expectJsonError(await post(token, FROM_ACME), 'InvalidSSOTokenPayload');
    expectExplained(await post(token, { ...FROM_ACME, ...BROWSER }), 'InvalidSSOTokenPayload', /already been used/);
    expect(await used()).toEqual({ uses: 1, sessions: 1 });
  });

  it('signs in with a token minted without confirmation too, under the same origin rule', async () => {
    const token = (await mint({ requireConfirmation: false })).token;
    expectJsonError(await post(token, { origin: 'http://evil.localhost:4000' }), 'InvalidRequestDomain');
    expectSignedIn(await post(token, FROM_ACME_NO_REFERRER));
  });

  it('refuses a form without a token, or a body that is not a form: InvalidInput', async () => {
    const missing = await post(null, FROM_ACME);
    expect(missing.status).toBe(400);
    expect(missing.body).toEqual({ error: envelopeOf('InvalidInput'), details: { field: 'token', reason: expect.any(String) } });
    const json = await t.request(LOGIN, {
      method: 'POST',
      host: acme.host,
      headers: { ...FROM_ACME, 'content-type': 'application/json' },
      body: JSON.stringify({ token: await confirmed() }),
    });
    expect(json.status).toBe(400);
    expect((await json.json()).details.field).toBe('body');
    expect(await used()).toEqual({ uses: 0, sessions: 0 });
  });

  it('answers an expired or malformed token with the codes loginWithSSO gives', async () => {
    const expiring = await confirmed();
    clock.advance((600 + 61) * 1000);
    const cases = [expiring, 'garbage'];
    for (const token of cases) {
      const rest = await post(token, FROM_ACME);
      const gql = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token } });
      const { __typename, ...envelope } = gql.body.data.loginWithSSO;
      expect(rest.body.error).toEqual({ status: envelope.status, message: envelope.message, code: envelope.code });
    }
  });
});

describe('loginWithSSO', () => {
  it('signs in with a token minted with confirmation: it is an explicit call, not a link a scanner follows', async () => {
    const res = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: await confirmed() } });
    expect(res.body.data.loginWithSSO.__typename).toBe('LoginWithSSOSuccess');
  });
});

describe('the route', () => {
  it('takes GET, HEAD and POST, and answers any other method with 405 and Allow', async () => {
    const put = await t.request(`${LOGIN}?token=x`, { method: 'PUT', host: acme.host });
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toBe('GET, HEAD, POST');
  });
});
