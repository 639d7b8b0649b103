/**
 * The console's side of API.md §17: the session and API-token lists say through
 * which token's sign-in link a session was signed in, revoking that token ends
 * those sessions (signing out the admin whose own session it was), and Settings
 * switches adminSignInWithApiToken.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREATE_SSO_TOKEN, LOGIN_WITH_SSO, VIEWER } from '../support/documents.ts';
import { consoleApp, expectConsoleHeaders, formTokenOf, hiddenField, open, post, textOf } from '../support/console.ts';
import type { GroupSeed, TestApp } from '../support/harness.ts';
import { cookieFrom, postJson } from '../support/rest.ts';

let t: TestApp;
let acme: GroupSeed;
let adminCookie: string;
/** The "billing" API token of consoleApp. */
let token: string;
let apiTokenId: string;

beforeEach(async () => {
  let apiToken;
  ({ t, acme, adminCookie, token, apiToken } = await consoleApp());
  apiTokenId = apiToken.id;
});
afterEach(() => t.close());

async function signInThrough(username: string): Promise<string> {
  const minted = (await t.gql(CREATE_SSO_TOKEN, { token, variables: { username } })).body.data.createSSOToken;
  const login = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: minted.token } });
  return `session=${login.body.data.loginWithSSO.session.token}`;
}

const rowOf = (text: string, username: string) =>
  [...text.matchAll(/<tr>\s*<th scope="row">([a-z]+)[\s\S]*?<\/tr>/g)].filter((m) => m[1] === username).map((m) => m[0]);

describe('which token’s link a session came through', () => {
  it('the sessions page names the token, or the CLI’s login link', async () => {
    await signInThrough('brian');
    const page = await open(t, '/admin/sessions', { host: acme.host, cookie: adminCookie });
    expect(page.status).toBe(200);
    const [cli, fromToken] = rowOf(page.text, 'brian');
    expect(cli).toContain('a login link from the CLI');
    expect(fromToken).toContain('API token <span class="through">billing</span>');
    expect(rowOf(page.text, 'alice')[0]).toContain('a login link from the CLI');
  });

  it('the API-token list says a token was made in a session signed in through another token', async () => {
    const cookie = await signInThrough('alice');
    const form = await open(t, '/admin/api-tokens', { host: acme.host, cookie });
    const made = await post(
      t,
      '/admin/api-tokens',
      { csrfToken: formTokenOf(form.text), formKey: hiddenField(form.text, 'formKey'), label: 'second' },
      { host: acme.host, cookie },
    );
    expect(made.status).toBe(200);

    const listed = await open(t, '/admin/api-tokens', { host: acme.host, cookie: adminCookie });
    const row = /<th scope="row">second<\/th>([\s\S]*?)<\/tr>/.exec(listed.text)![1]!;
    expect(row).toContain('in a session signed in through <span class="through">billing</span>');
    expect(/<th scope="row">billing<\/th>([\s\S]*?)<\/tr>/.exec(listed.text)![1]).not.toContain('signed in through');
  });
});

describe('revoking a token in the console', () => {
  it('ends the sessions of its links; revoking the token of one’s own session warns first, then signs out', async () => {
    const brian = await signInThrough('brian');
    const alice = await signInThrough('alice');

    const confirm = await open(t, `/admin/api-tokens/revoke?id=${apiTokenId}`, { host: acme.host, cookie: alice });
    expect(confirm.text).toContain('every session signed in through them ends now');
    expect(textOf(confirm.text, 'ends-yours')).toBe('You signed in through this token’s link: this signs you out.');
    // Not so for an admin signed in otherwise.
    const other = await open(t, `/admin/api-tokens/revoke?id=${apiTokenId}`, { host: acme.host, cookie: adminCookie });
    expect(textOf(other.text, 'ends-yours')).toBeNull();

    const revoked = await post(t, '/admin/api-tokens/revoke', { id: apiTokenId, csrfToken: formTokenOf(confirm.text) }, { host: acme.host, cookie: alice });
    expect(revoked.status).toBe(303);
    expect(revoked.location).toBe('/');
    expect(cookieFrom(revoked.headers)?.attributes).toMatch(/Max-Age=0/i);
    expectConsoleHeaders(revoked);

    for (const cookie of [alice, brian]) expect((await t.gql(VIEWER, { host: acme.host, cookie })).body.data.viewer).toBeNull();
    expect((await t.gql(VIEWER, { host: acme.host, cookie: adminCookie })).body.data.viewer).not.toBeNull();
    const { events } = await t.app.services.events.recent(acme.group, { first: 10, before: null, types: ['session.ended'] });
    expect(events.map((e) => JSON.parse(e.data).reason)).toEqual(['api_token_revoked', 'api_token_revoked']);
  });
});

describe('Settings: administrators’ sign-in links', () => {
  it('shows the setting, saves it off (SignInNotAllowed for an admin’s link) and on again, recorded', async () => {
    const page = await open(t, '/admin/settings', { host: acme.host, cookie: adminCookie });
    expect(page.text).toMatch(/id="adminSignInWithApiToken-on" name="adminSignInWithApiToken" value="true" checked/);
    expect(page.text).not.toMatch(/id="adminSignInWithApiToken-off" name="adminSignInWithApiToken" value="false" checked/);

    const fields = { csrfToken: formTokenOf(page.text), title: '', isApiEnabled: 'true', allowedDomains: '' };
    const saved = await post(t, '/admin/settings', { ...fields, adminSignInWithApiToken: 'false' }, { host: acme.host, cookie: adminCookie });
    expect(saved.status).toBe(303);
    expect((await t.app.services.groups.get('acme')).adminSignInWithApiToken).toBe(false);

    const shown = await open(t, '/admin/settings', { host: acme.host, cookie: adminCookie });
    expect(shown.text).toMatch(/id="adminSignInWithApiToken-off" name="adminSignInWithApiToken" value="false" checked/);
    expect(textOf(shown.text, 'summary-admin-sign-in') ?? shown.text).toContain('SignInNotAllowed');

    const refused = await postJson(t, '/-/api/ssotoken/create', { username: 'alice' }, { token });
    expect(refused.status).toBe(403);
    expect(refused.body.error.code).toBe('SignInNotAllowed');
    expect((await postJson(t, '/-/api/ssotoken/create', { username: 'brian' }, { token })).status).toBe(200);

    const [event] = (await t.app.services.events.recent(acme.group, { first: 1, before: null, types: ['group.updated'] })).events;
    expect(JSON.parse(event!.data).changes).toEqual({ adminSignInWithApiToken: { from: true, to: false } });

    const back = await post(t, '/admin/settings', { ...fields, adminSignInWithApiToken: 'true' }, { host: acme.host, cookie: adminCookie });
    expect(back.status).toBe(303);
    expect((await t.app.services.groups.get('acme')).adminSignInWithApiToken).toBe(true);
  });
});
