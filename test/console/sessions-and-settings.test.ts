/**
 * Sessions and settings in the console: who is signed in and ending a session;
 * changing the settings and seeing them take effect, refusals shown beside the
 * fields with the catalog's message and GraphQL's field names.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_CALLER } from '../../src/domain/events.ts';
import { consoleApp, expectConsoleHeaders, expectFailurePage, formTokenOf, open, post, textOf } from '../support/console.ts';
import type { GroupSeed, TestApp } from '../support/harness.ts';
import { cookieFrom } from '../support/rest.ts';

let t: TestApp;
let acme: GroupSeed;
let globex: GroupSeed;
let adminCookie: string;
let memberCookie: string;
let token: string;

beforeEach(async () => {
  ({ t, acme, globex, adminCookie, memberCookie, token } = await consoleApp());
});
afterEach(() => t.close());

const viewer = (cookie: string) => t.gql('{ viewer { user { username } } }', { host: acme.host, cookie });

async function sessionIdOf(username: string): Promise<string> {
  return (await t.app.services.sessions.list(acme.group, 100, null)).find((s) => s.user.username === username)!.session.id;
}

describe('the sessions page', () => {
  it('lists who is signed in, marks this browser, and ends another session at once', async () => {
    const page = await open(t, '/admin/sessions', { host: acme.host, cookie: adminCookie });
    expect(page.status).toBe(200);
    expect([...page.text.matchAll(/<th scope="row">([a-z]+)/g)].map((m) => m[1])).toEqual(['alice', 'brian']);
    expect(page.text).toContain('<span class="badge you">this browser</span>');
    // Never a session's secret.
    for (const cookie of [adminCookie, memberCookie]) expect(page.text).not.toContain(cookie.slice('session='.length));

    const brian = await sessionIdOf('brian');
    const ended = await post(t, '/admin/sessions/revoke', { id: brian, csrfToken: formTokenOf(page.text) }, { host: acme.host, cookie: adminCookie });
    expect(ended.status).toBe(303);
    expect(ended.location).toBe('/admin/sessions?done=ended');
    expect((await viewer(memberCookie)).body.data.viewer).toBeNull();
    expect((await viewer(adminCookie)).body.data.viewer).toEqual({ user: { username: 'alice' } });

    const [event] = (await t.app.services.events.recent(acme.group, { first: 1, before: null, types: ['session.ended'] })).events;
    expect([event!.actor.name, event!.target.name, JSON.parse(event!.data).reason]).toEqual(['alice', 'brian', 'revoked']);
  });

  it('signs the admin out when they end their own session', async () => {
    const page = await open(t, '/admin/sessions', { host: acme.host, cookie: adminCookie });
    const own = await post(t, '/admin/sessions/revoke', { id: await sessionIdOf('alice'), csrfToken: formTokenOf(page.text) }, { host: acme.host, cookie: adminCookie });
    expect(own.status).toBe(303);
    expect(own.location).toBe('/');
    expect(cookieFrom(own.headers)?.attributes).toMatch(/Max-Age=0/);
    expect((await viewer(adminCookie)).body.data.viewer).toBeNull();
  });

  it('answers an unknown id, or another group’s session, with InvalidInput (field id)', async () => {
    await globex.user('gina');
    await globex.session('gina');
    const theirs = (await t.app.services.sessions.list(globex.group, 10, null))[0]!.session.id;
    const csrfToken = formTokenOf((await open(t, '/admin/sessions', { host: acme.host, cookie: adminCookie })).text);
    for (const id of ['', 'nope', theirs]) {
      expectFailurePage(await post(t, '/admin/sessions/revoke', { id, csrfToken }, { host: acme.host, cookie: adminCookie }), 'InvalidInput', 'id');
    }
    expect(await t.app.services.sessions.list(globex.group, 10, null)).toHaveLength(1);
  });

  it('pages 20 sessions at a time', async () => {
    for (let i = 0; i < 20; i++) await acme.session('brian');
    const first = await open(t, '/admin/sessions', { host: acme.host, cookie: adminCookie });
    expect([...first.text.matchAll(/<th scope="row">/g)]).toHaveLength(20);
    const next = /<a href="([^"]+)" id="next-sessions"/.exec(first.text)![1]!;
    const second = await open(t, next, { host: acme.host, cookie: adminCookie });
    expect([...second.text.matchAll(/<th scope="row">/g)]).toHaveLength(2);
    expect(second.text).not.toContain('id="next-sessions"');
  });
});

describe('the settings page', () => {
  async function settingsForm() {
    return formTokenOf((await open(t, '/admin/settings', { host: acme.host, cookie: adminCookie })).text);
  }

  it('shows the settings as they are and saves them: each takes effect, recorded with the admin as actor', async () => {
    const page = await open(t, '/admin/settings', { host: acme.host, cookie: adminCookie });
    expect(page.text).toMatch(/id="isApiEnabled" name="isApiEnabled" value="true" checked/);
    expect(page.text).not.toMatch(/id="requireSignInConfirmation" name="requireSignInConfirmation" value="true" checked/);

    // API off, domains limited, sign-in confirmation on (checkbox left out: off).
    const saved = await post(
      t,
      '/admin/settings',
      { csrfToken: formTokenOf(page.text), title: '  Acme Inc  ', allowedDomains: 'ACME.io\nacme.org, acme.io', requireSignInConfirmation: 'true' },
      { host: acme.host, cookie: adminCookie },
    );
    expect(saved.status).toBe(303);
    expect(saved.location).toBe('/admin/settings?done=saved');
    const group = await t.app.services.groups.get('acme');
    expect(group).toMatchObject({ title: 'Acme Inc', isApiEnabled: false, allowedDomains: ['acme.io', 'acme.org'], requireSignInConfirmation: true });

    const refused = await t.gql('{ group { slug } }', { token });
    expect(refused.body.errors[0].extensions.code).toBe('ApiIsDisabled');
    const minted = await t.app.services.signIn.createSsoToken(group, 'brian', {}, CLI_CALLER);
    expect(minted.requireConfirmation).toBe(true);

    const shown = await open(t, saved.location!, { host: acme.host, cookie: adminCookie });
    expect(textOf(shown.text, 'notice')).toBe('The settings were saved.');
    expect(shown.text).toContain('>acme.io\nacme.org</textarea>');
    expect(shown.text).toContain('value="Acme Inc"');
    expect(shown.text).toContain('<div class="brand">Acme Inc');

    const [event] = (await t.app.services.events.recent(acme.group, { first: 1, before: null, types: ['group.updated'] })).events;
    expect(event!.actor.name).toBe('alice');
    expect(JSON.parse(event!.data).changes).toEqual({
      title: { from: null, to: 'Acme Inc' },
      isApiEnabled: { from: true, to: false },
      allowedDomains: { from: [], to: ['acme.io', 'acme.org'] },
      requireSignInConfirmation: { from: false, to: true },
    });

    // Switched back on, the token works again; the admin kept the console all along.
    const back = await post(t, '/admin/settings', { csrfToken: await settingsForm(), title: 'Acme Inc', isApiEnabled: 'true', allowedDomains: '' }, { host: acme.host, cookie: adminCookie });
    expect(back.status).toBe(303);
    expect((await t.gql('{ group { slug } }', { token })).body).toEqual({ data: { group: { slug: 'acme' } } });
    expect(await t.app.services.groups.get('acme')).toMatchObject({ allowedDomains: [], requireSignInConfirmation: false });
  });

  it('refuses a domain that is no domain name: the form again, values kept, InvalidInput (field allowedDomains), nothing saved', async () => {
    const refused = await post(
      t,
      '/admin/settings',
      { csrfToken: await settingsForm(), title: 'Changed', isApiEnabled: 'true', allowedDomains: 'acme.io\nnot a domain' },
      { host: acme.host, cookie: adminCookie },
    );
    expectFailurePage(refused, 'InvalidInput', 'allowedDomains');
    expect(textOf(refused.text, 'allowedDomains-error')).toBe('"not a domain" is not a domain name');
    expect(refused.text).toContain('>acme.io\nnot a domain</textarea>');
    expect(refused.text).toContain('value="Changed"');
    expect(refused.text).toContain('role="alert"');
    expect(await t.app.services.groups.get('acme')).toMatchObject({ title: null, allowedDomains: [] });
  });

  it('refuses a title over 100 characters (InvalidInput, field title), and more than 100 domains', async () => {
    const csrfToken = await settingsForm();
    expectFailurePage(await post(t, '/admin/settings', { csrfToken, title: 'T'.repeat(101), isApiEnabled: 'true' }, { host: acme.host, cookie: adminCookie }), 'InvalidInput', 'title');
    const many = Array.from({ length: 101 }, (_, i) => `d${i}.example`).join('\n');
    expectFailurePage(await post(t, '/admin/settings', { csrfToken, allowedDomains: many, isApiEnabled: 'true' }, { host: acme.host, cookie: adminCookie }), 'InvalidInput', 'allowedDomains');
    expect((await t.app.services.groups.get('acme')).title).toBeNull();
  });

  it('saves nothing and records nothing when nothing changed', async () => {
    const before = (await t.app.services.events.recent(acme.group, { first: 100, before: null, types: null })).events.length;
    const same = await post(t, '/admin/settings', { csrfToken: await settingsForm(), title: '', isApiEnabled: 'true', allowedDomains: '' }, { host: acme.host, cookie: adminCookie });
    expect(same.status).toBe(303);
    expectConsoleHeaders(same);
    expect((await t.app.services.events.recent(acme.group, { first: 100, before: null, types: null })).events.length).toBe(before);
  });
});
