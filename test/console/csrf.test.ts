/**
 * Cross-site request forgery: every console form post must come from the group's
 * own origin (Sec-Fetch-Site, else Origin, as the sign-out) and carry this session's
 * form token. Each form is posted by the signed-in admin's browser from elsewhere, or
 * without the token, or with another session's: refused (InvalidInput, 400), with a
 * page that says so, and nothing changes. The same post from the console's own page
 * goes through.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  consoleApp,
  expectFailurePage,
  formTokenOf,
  hiddenField,
  open,
  PUBLIC_HOOK_URL,
  post,
  textOf,
} from '../support/console.ts';
import type { GroupSeed, TestApp } from '../support/harness.ts';

let t: TestApp;
let acme: GroupSeed;
let globex: GroupSeed;
let adminCookie: string;
let tokenId: string;
let endpointId: string;

beforeEach(async () => {
  const setup = await consoleApp();
  ({ t, acme, globex, adminCookie } = setup);
  tokenId = setup.apiToken.id;
  endpointId = setup.endpoint.id;
});
afterEach(() => t.close());

/** Each form, with what it would change if it went through. */
function forms(): Array<{ path: string; fields: Record<string, string> }> {
  return [
    { path: '/admin/members/remove', fields: { username: 'brian' } },
    { path: '/admin/api-tokens', fields: { label: 'forged', formKey: 'f'.repeat(43) } },
    { path: '/admin/api-tokens/revoke', fields: { id: tokenId } },
    // The id of brian's session is filled in where the form is posted.
    { path: '/admin/sessions/revoke', fields: { id: '' } },
    { path: '/admin/settings', fields: { title: 'Forged', isApiEnabled: 'true', allowedDomains: 'evil.example' } },
    { path: '/admin/webhooks', fields: { url: 'https://93.184.215.15/forged', formKey: 'g'.repeat(43) } },
    { path: '/admin/webhooks/delete', fields: { id: endpointId } },
  ];
}

/** Everything of acme the forms could change. */
async function acmeState() {
  const { services } = t.app;
  const group = await services.groups.get('acme');
  return {
    settings: [group.title, group.isApiEnabled, group.allowedDomains, group.requireSignInConfirmation],
    members: (await services.members.list(group, 100, null)).members.map((m) => [m.user.username, m.role]),
    tokens: (await services.apiTokens.list(group)).map((k) => [k.id, k.revokedAt]),
    sessions: (await services.sessions.list(group, 100, null)).map((s) => s.session.id),
    webhooks: (await services.webhooks.list(group)).map((e) => e.id),
  };
}

/** Posts each form with the fields given and expects the refusal, and acme as it was. */
async function expectEachRefused(cookie: string, extra: Record<string, string>, headers: Record<string, string> | undefined, field: string) {
  const before = await acmeState();
  const brian = await brianSessionId();
  for (const form of forms()) {
    const fields = { ...form.fields, ...(form.path === '/admin/sessions/revoke' ? { id: brian } : {}), ...extra };
    const answer = await post(t, form.path, fields, { host: acme.host, cookie, headers });
    expectFailurePage(answer, 'InvalidInput', field);
    expect(textOf(answer.text, 'failure'), form.path).toBe('This form did not come from this console');
  }
  expect(await acmeState()).toEqual(before);
}

async function brianSessionId(): Promise<string> {
  const sessions = await t.app.services.sessions.list(acme.group, 100, null);
  return sessions.find((s) => s.user.username === 'brian')!.session.id;
}

async function adminFormToken(): Promise<string> {
  return formTokenOf((await open(t, '/admin/settings', { host: acme.host, cookie: adminCookie })).text);
}

const refusals: Array<[string, Record<string, string>]> = [
  ['a sibling group’s page (same site)', { 'sec-fetch-site': 'same-site', origin: 'http://globex.localhost:4000' }],
  ['another site', { 'sec-fetch-site': 'cross-site', origin: 'https://evil.example' }],
  ['another site, with no referrer', { 'sec-fetch-site': 'cross-site', origin: 'null' }],
  ['an Origin of another host (no Sec-Fetch-Site)', { origin: 'http://globex.localhost:4000' }],
  ['Origin: null (no Sec-Fetch-Site)', { origin: 'null' }],
];

describe('console forms', () => {
  it.each(refusals)('refuse a post from %s, even with the admin’s cookie and form token', async (_from, headers) => {
    await expectEachRefused(adminCookie, { csrfToken: await adminFormToken() }, headers, 'origin');
  });

  it('refuse a post without the form token, or with a wrong one, from the console’s own origin', async () => {
    await expectEachRefused(adminCookie, {}, undefined, 'csrfToken');
    const real = await adminFormToken();
    for (const csrfToken of ['', 'x', `${real}x`, real.slice(1), `${real.slice(0, -1)}${real.endsWith('A') ? 'B' : 'A'}`]) {
      await expectEachRefused(adminCookie, { csrfToken }, undefined, 'csrfToken');
    }
  });

  it('refuse another session’s form token: the admin’s own other session, another admin’s, another group’s', async () => {
    await acme.user('carol', { role: 'admin' });
    await globex.user('gina', { role: 'admin' });
    const others = [
      [acme.host, await acme.session('alice')],
      [acme.host, await acme.session('carol')],
      [globex.host, await globex.session('gina')],
    ] as const;
    for (const [host, cookie] of others) {
      const foreign = formTokenOf((await open(t, '/admin/settings', { host, cookie })).text);
      await expectEachRefused(adminCookie, { csrfToken: foreign }, undefined, 'csrfToken');
    }
  });

  it('refuse a body that is not a form (JSON, text), as a page could send it without a preflight', async () => {
    const formToken = await adminFormToken();
    for (const contentType of ['application/json', 'text/plain', 'multipart/form-data; boundary=x']) {
      const answer = await post(t, '/admin/settings', { title: 'Forged', csrfToken: formToken }, { host: acme.host, cookie: adminCookie, contentType });
      expectFailurePage(answer, 'InvalidInput', 'body');
      expect((await t.app.services.groups.get('acme')).title).toBeNull();
    }
  });

  it('accept the form from the console’s own page, and from a client that sends neither Origin nor Sec-Fetch-Site (not a browser)', async () => {
    const page = await open(t, '/admin/settings', { host: acme.host, cookie: adminCookie });
    const fields = { csrfToken: formTokenOf(page.text), title: 'Acme', isApiEnabled: 'true', allowedDomains: '' };
    const fromPage = await post(t, '/admin/settings', fields, { host: acme.host, cookie: adminCookie });
    expect(fromPage.status, fromPage.text).toBe(303);
    expect((await t.app.services.groups.get('acme')).title).toBe('Acme');

    const bare = await post(t, '/admin/settings', { ...fields, title: 'Acme 2' }, { host: acme.host, cookie: adminCookie, headers: {} });
    expect(bare.status).toBe(303);
    const matchingOrigin = await post(t, '/admin/settings', { ...fields, title: 'Acme 3' }, {
      host: acme.host,
      cookie: adminCookie,
      headers: { origin: `http://${acme.host}` },
    });
    expect(matchingOrigin.status).toBe(303);
    expect((await t.app.services.groups.get('acme')).title).toBe('Acme 3');
  });

  it('carry the same form token on every page of one session, and another on another session', async () => {
    const tokens = new Set<string>();
    for (const path of ['/admin/settings', '/admin/api-tokens', '/admin/sessions', '/admin/webhooks', '/admin/members/remove?username=brian']) {
      tokens.add(formTokenOf((await open(t, path, { host: acme.host, cookie: adminCookie })).text));
    }
    expect(tokens.size).toBe(1);
    const other = await acme.session('alice');
    expect(formTokenOf((await open(t, '/admin/settings', { host: acme.host, cookie: other })).text)).not.toBe([...tokens][0]);
    // The create forms also carry a fresh key each time they are shown.
    const keys = new Set<string>();
    for (let i = 0; i < 3; i++) keys.add(hiddenField((await open(t, '/admin/api-tokens', { host: acme.host, cookie: adminCookie })).text, 'formKey'));
    expect(keys.size).toBe(3);
  });
});
