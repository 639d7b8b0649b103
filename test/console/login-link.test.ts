/**
 * CLI `login-link <slug> <username> [--redirect-to P] [--json]`: a sign-in URL for an
 * existing member, minted like any SSO token (recorded as sso_token.created by the
 * cli actor), so the first admin can get into the console without a backend.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_CALLER } from '../../src/domain/events.ts';
import { open, textOf } from '../support/console.ts';
import { createTestApp, type GroupSeed, type TestApp } from '../support/harness.ts';
import { cookieFrom } from '../support/rest.ts';

let t: TestApp;
let acme: GroupSeed;

beforeEach(async () => {
  t = await createTestApp({ shared: true });
  acme = await t.seed.group('acme');
  await acme.user('alice');
  await t.admin('member', 'add', 'acme', 'alice', '--role', 'admin');
});
afterEach(() => t.close());

/** Opens a login URL as the browser would, on the host it names. */
async function follow(loginUrl: string) {
  const url = new URL(loginUrl);
  return open(t, url.pathname + url.search, { host: url.host });
}

describe('login-link', () => {
  it('prints a sign-in URL on the group’s domain that signs the member in once', async () => {
    const printed = await t.admin('login-link', 'acme', 'alice');
    expect(printed.code, printed.stderr).toBe(0);
    const loginUrl = printed.stdout.trim();
    expect(loginUrl).toMatch(/^http:\/\/acme\.localhost:4000\/-\/api\/ssotoken\/login\?token=[\w.-]+$/);
    expect(printed.stdout).toBe(`${loginUrl}\n`);

    const signedIn = await follow(loginUrl);
    expect(signedIn.status).toBe(302);
    expect(signedIn.location).toBe('/');
    const cookie = cookieFrom(signedIn.headers)!.pair;
    expect((await open(t, '/admin', { host: acme.host, cookie })).status).toBe(200);
    // Once.
    expect((await follow(loginUrl)).status).toBe(400);

    const [minted] = (await t.app.services.events.recent(acme.group, { first: 1, before: null, types: ['sso_token.created'] })).events;
    expect(minted!.actor).toEqual({ type: 'cli', id: null, name: null });
    expect(minted!.target.name).toBe('alice');
  });

  it('--json prints {"loginUrl","expiresAt"}; --redirect-to sends the browser on, to the console say', async () => {
    const printed = await t.admin('login-link', 'acme', 'ALICE', '--redirect-to', '/admin', '--json');
    expect(printed.code, printed.stderr).toBe(0);
    const json = printed.json();
    expect(Object.keys(json)).toEqual(['loginUrl', 'expiresAt']);
    expect(new Date(json.expiresAt).toISOString()).toBe(json.expiresAt);
    const lifetime = Date.parse(json.expiresAt) - Date.now();
    expect(lifetime).toBeGreaterThan(0);
    expect(lifetime).toBeLessThanOrEqual(t.config.ssoTokenTtlSeconds * 1000);
    const signedIn = await follow(json.loginUrl);
    expect(signedIn.location).toBe('/admin');
  });

  it('follows the group’s sign-in confirmation setting: the link then opens the Continue page', async () => {
    await t.app.services.groups.update(acme.group, { requireSignInConfirmation: true }, CLI_CALLER);
    const { loginUrl } = (await t.admin('login-link', 'acme', 'alice', '--json')).json();
    const opened = await follow(loginUrl);
    expect(opened.status).toBe(200);
    expect(textOf(opened.text, 'continue')).toBe('Continue');
  });

  it('refuses, on stderr with a non-zero exit, an unknown user, a non-member, an unknown group and a redirect off the site', async () => {
    await (await t.seed.group('globex')).user('gina');
    const cases: Array<[string[], RegExp]> = [
      [['login-link', 'acme', 'nobody'], /InvalidUsername/],
      [['login-link', 'acme', 'gina'], /NotGroupMember/],
      [['login-link', 'nowhere', 'alice'], /GroupNotFound/],
      [['login-link', 'acme', 'alice', '--redirect-to', 'https://evil.example/'], /redirectTo.*InvalidInput/],
    ];
    for (const [argv, stderr] of cases) {
      const refused = await t.admin(...argv);
      expect(refused.code, argv.join(' ')).toBe(1);
      expect(refused.stdout).toBe('');
      expect(refused.stderr).toMatch(stderr);
    }
    expect((await t.app.services.events.recent(acme.group, { first: 10, before: null, types: ['sso_token.created'] })).events).toEqual([]);
  });
});
