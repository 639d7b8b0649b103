/**
 * Who may see the console (API.md §16): a signed-in admin of the group, on the
 * group's own domain, read per request. Every route, page and form, is tried with
 * every kind of visitor who may not: each gets a page that says so, with the right
 * status, the console's headers, and none of the group's data; and nothing changes.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_CALLER } from '../../src/domain/events.ts';
import {
  consoleApp,
  type ConsoleAnswer,
  expectConsoleHeaders,
  open,
  PUBLIC_HOOK_URL,
  post,
  textOf,
} from '../support/console.ts';
import { type GroupSeed, type TestApp, TestClock } from '../support/harness.ts';

let t: TestApp;
let clock: TestClock;
let acme: GroupSeed;
let globex: GroupSeed;
let adminCookie: string;
let memberCookie: string;
let tokenId: string;
let endpointId: string;
let token: string;

beforeEach(async () => {
  clock = new TestClock();
  const setup = await consoleApp({ clock });
  ({ t, acme, globex, adminCookie, memberCookie, token } = setup);
  tokenId = setup.apiToken.id;
  endpointId = setup.endpoint.id;
});
afterEach(() => t.close());

/** Every console route, with what it needs to do something if it were allowed. */
function routes(): Array<{ method: 'GET' | 'POST'; path: string; fields?: Record<string, string> }> {
  return [
    { method: 'GET', path: '/admin' },
    { method: 'GET', path: '/admin/members' },
    { method: 'GET', path: '/admin/members?q=bri' },
    { method: 'GET', path: '/admin/members/remove?username=brian' },
    { method: 'GET', path: '/admin/api-tokens' },
    { method: 'GET', path: `/admin/api-tokens/revoke?id=${tokenId}` },
    { method: 'GET', path: '/admin/sessions' },
    { method: 'GET', path: '/admin/settings' },
    { method: 'GET', path: '/admin/events' },
    { method: 'GET', path: '/admin/webhooks' },
    { method: 'GET', path: `/admin/webhooks/delete?id=${endpointId}` },
    { method: 'POST', path: '/admin/members/remove', fields: { username: 'brian' } },
    { method: 'POST', path: '/admin/api-tokens', fields: { label: 'sneaky', formKey: 'k'.repeat(43) } },
    { method: 'POST', path: '/admin/api-tokens/revoke', fields: { id: tokenId } },
    { method: 'POST', path: '/admin/sessions/revoke', fields: { id: 'x' } },
    { method: 'POST', path: '/admin/settings', fields: { title: 'Taken over', allowedDomains: 'evil.example' } },
    { method: 'POST', path: '/admin/webhooks', fields: { url: 'https://93.184.215.15/steal', formKey: 'k'.repeat(43) } },
    { method: 'POST', path: '/admin/webhooks/delete', fields: { id: endpointId } },
  ];
}

async function call(route: ReturnType<typeof routes>[number], host: string, cookie?: string, headers?: Record<string, string>) {
  if (route.method === 'GET') return open(t, route.path, { host, cookie, headers });
  // The admin's own form token, so only who is asking can make the difference.
  const adminPage = await open(t, '/admin/settings', { host: acme.host, cookie: adminCookie });
  const formToken = /name="csrfToken" value="([^"]+)"/.exec(adminPage.text)?.[1] ?? '';
  return post(t, route.path, { ...route.fields, csrfToken: formToken }, { host, cookie, headers: { ...headers, 'sec-fetch-site': 'same-origin' } });
}

/** Nothing of acme's data is on the page. */
function expectNothingShown(answer: ConsoleAnswer) {
  for (const secret of ['brian@acme.example', 'alice@example.com', 'billing', PUBLIC_HOOK_URL, tokenId, endpointId]) {
    expect(answer.text).not.toContain(secret);
  }
  expect(answer.text).not.toContain('csrfToken');
}

/** Nothing in acme changed. */
async function expectAcmeUntouched() {
  const group = await t.app.services.groups.get('acme');
  expect(group.title).toBeNull();
  expect(group.allowedDomains).toEqual([]);
  const members = await t.app.services.members.list(group, 100, null);
  expect(members.members.map((m) => m.user.username).sort()).toEqual(['alice', 'brian']);
  expect((await t.app.services.apiTokens.list(group)).map((k) => [k.label, k.revokedAt])).toEqual([['billing', null]]);
  expect((await t.app.services.webhooks.list(group)).map((e) => e.url)).toEqual([PUBLIC_HOOK_URL]);
}

describe('the console refuses', () => {
  it('a visitor who is not signed in: 401, a page that says to sign in, and how', async () => {
    for (const route of routes()) {
      const answer = await call(route, acme.host);
      expect(answer.status, `${route.method} ${route.path}`).toBe(401);
      expectConsoleHeaders(answer);
      expect(textOf(answer.text, 'refusal')).toBe('Sign in to manage acme');
      expect(answer.text).toContain('login-link acme');
      expectNothingShown(answer);
    }
    await expectAcmeUntouched();
  });

  it('a member who is not an admin: 403, naming them', async () => {
    for (const route of routes()) {
      const answer = await call(route, acme.host, memberCookie);
      expect(answer.status, `${route.method} ${route.path}`).toBe(403);
      expectConsoleHeaders(answer);
      expect(textOf(answer.text, 'refusal')).toBe('You are not an administrator of acme');
      expect(answer.text).toContain('<strong>brian</strong>');
      expectNothingShown(answer);
    }
    await expectAcmeUntouched();
  });

  it('an admin whose role was taken away after signing in: 403 from the next request on', async () => {
    expect((await open(t, '/admin', { host: acme.host, cookie: adminCookie })).status).toBe(200);
    await t.app.services.members.add(acme.group, 'alice', 'member', CLI_CALLER);
    for (const route of routes()) {
      const answer = await call(route, acme.host, adminCookie);
      expect(answer.status, `${route.method} ${route.path}`).toBe(403);
      expectNothingShown(answer);
    }
  });

  it('an admin of another group: their session is no session on this domain (401)', async () => {
    await globex.user('gina', { role: 'admin' });
    const ginaCookie = await globex.session('gina');
    expect((await open(t, '/admin', { host: globex.host, cookie: ginaCookie })).status).toBe(200);
    for (const route of routes()) {
      const answer = await call(route, acme.host, ginaCookie);
      expect(answer.status, `${route.method} ${route.path}`).toBe(401);
      expectNothingShown(answer);
    }
    // Nor is acme's admin's session anything on globex's domain.
    const crossed = await open(t, '/admin', { host: globex.host, cookie: adminCookie });
    expect(crossed.status).toBe(401);
    expect(textOf(crossed.text, 'refusal')).toBe('Sign in to manage globex');
    await expectAcmeUntouched();
  });

  it('an expired session (401)', async () => {
    clock.advance(t.config.sessionTtlSeconds * 1000 + 1);
    for (const route of routes()) expect((await call(route, acme.host, adminCookie)).status, route.path).toBe(401);
  });

  it('a request with an API token, even one sent with an admin’s cookie (401): one request, one caller', async () => {
    for (const route of routes()) {
      const answer = await call(route, acme.host, adminCookie, { authorization: `Bearer ${token}` });
      expect(answer.status, `${route.method} ${route.path}`).toBe(401);
      expect(answer.text).toContain('an API token cannot open the console');
      expectNothingShown(answer);
    }
    await expectAcmeUntouched();
  });

  it('the bare domain, where no group lives: 404, pointing to the group domains', async () => {
    for (const route of routes()) {
      const answer = await call(route, 'localhost:4000', adminCookie);
      expect(answer.status, `${route.method} ${route.path}`).toBe(404);
      expectConsoleHeaders(answer);
      expect(textOf(answer.text, 'refusal')).toBe('There is no console on this domain');
      expect(answer.text).toContain('http://{group}.localhost:4000/admin');
      expectNothingShown(answer);
    }
    await expectAcmeUntouched();
  });
});

describe('the console’s routes', () => {
  it('answer an admin, each with the console’s headers', async () => {
    for (const route of routes().filter((r) => r.method === 'GET')) {
      const answer = await open(t, route.path, { host: acme.host, cookie: adminCookie });
      expect(answer.status, route.path).toBe(200);
      expectConsoleHeaders(answer);
      expect(answer.text).toContain('<main id="main"');
      expect(textOf(answer.text, 'console-user')).toBe('alice');
    }
  });

  it('answer HEAD as GET', async () => {
    const answer = await t.request('/admin/members', { method: 'HEAD', host: acme.host, headers: { cookie: adminCookie } });
    expect(answer.status).toBe(200);
    expect(answer.headers.get('content-security-policy')).toContain("frame-ancestors 'none'");
  });

  it('refuse other methods with 405 and Allow', async () => {
    const cases: Array<[string, string, string]> = [
      ['POST', '/admin', 'GET, HEAD'],
      ['PUT', '/admin/settings', 'GET, HEAD, POST'],
      ['DELETE', '/admin/members/remove', 'GET, HEAD, POST'],
      ['GET', '/admin/sessions/revoke', 'POST'],
    ];
    for (const [method, path, allow] of cases) {
      const answer = await t.request(path, { method, host: acme.host, headers: { cookie: adminCookie, accept: 'text/html' } });
      expect(answer.status, `${method} ${path}`).toBe(405);
      expect(answer.headers.get('allow')).toBe(allow);
      expect(answer.headers.get('x-frame-options')).toBe('DENY');
    }
  });

  it('answer a path under /admin that is no page with 404, to anyone', async () => {
    for (const path of ['/admin/', '/admin/nothing', '/admin/members/remove/x', '/admin/constructor', '/admin/__proto__']) {
      const answer = await open(t, path, { host: acme.host, cookie: adminCookie });
      expect(answer.status, path).toBe(404);
      expectConsoleHeaders(answer);
      expectNothingShown(answer);
    }
    // Only /admin and below: a path that merely starts the same is someone else's (here, nobody's).
    expect((await open(t, '/administrator', { host: acme.host, cookie: adminCookie })).status).toBe(404);
  });

  it('are linked from the start page for an admin, and not for a member', async () => {
    const forAdmin = await open(t, '/', { host: acme.host, cookie: adminCookie });
    expect(forAdmin.text).toContain('<a href="/admin" id="console-link">');
    const forMember = await open(t, '/', { host: acme.host, cookie: memberCookie });
    expect(forMember.text).toContain('<dd id="username">brian</dd>');
    expect(forMember.text).not.toContain('console-link');
  });
});
