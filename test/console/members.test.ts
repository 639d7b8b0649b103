/**
 * Members in the console: paged like Group.members (oldest first), searched by
 * username prefix, removed after a confirmation step, with the member's sessions
 * ending and the removal recorded with the admin as actor.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { consoleApp, expectConsoleHeaders, expectFailurePage, formTokenOf, open, post, textOf } from '../support/console.ts';
import type { GroupSeed, TestApp } from '../support/harness.ts';

let t: TestApp;
let acme: GroupSeed;
let adminCookie: string;
let memberCookie: string;

beforeEach(async () => {
  ({ t, acme, adminCookie, memberCookie } = await consoleApp());
});
afterEach(() => t.close());

const usernamesOn = (text: string) => [...text.matchAll(/<th scope="row">([a-z0-9-]+)/g)].map((m) => m[1]);

describe('the members page', () => {
  it('lists members oldest first, 20 a page, with Next page until the end', async () => {
    const names = Array.from({ length: 23 }, (_, i) => `member-${String(i).padStart(2, '0')}`);
    for (const name of names) await acme.user(name);
    const first = await open(t, '/admin/members', { host: acme.host, cookie: adminCookie });
    expect(first.status).toBe(200);
    expect(usernamesOn(first.text)).toEqual(['alice', 'brian', ...names.slice(0, 18)]);
    expect(first.text).toContain('brian@acme.example');
    expect(first.text).toContain('<span class="badge admin">admin</span>');
    const next = /<a href="([^"]+)" id="next-members"/.exec(first.text)![1]!.replace(/&amp;/g, '&');
    const second = await open(t, next, { host: acme.host, cookie: adminCookie });
    expect(usernamesOn(second.text)).toEqual(names.slice(18));
    expect(second.text).not.toContain('id="next-members"');
    expect(second.text).toContain('First page');
  });

  it('finds members by username prefix, normalised like a username, and pages through the matches', async () => {
    for (const name of ['bri-01', 'bri-02', 'bridget', 'carol', 'abri']) await acme.user(name);
    await t.seed.group('other').then((other) => other.user('brienne'));
    const found = await open(t, '/admin/members?q=%20BRI%20', { host: acme.host, cookie: adminCookie });
    expect(usernamesOn(found.text)).toEqual(['brian', 'bri-01', 'bri-02', 'bridget']);
    expect(found.text).toContain('Members whose username starts with <code>bri</code>');
    expect(found.text).toContain('value="bri"');
    expect((await open(t, '/admin/members?q=bri-', { host: acme.host, cookie: adminCookie })).text).toMatch(/bri-01[\s\S]*bri-02/);

    for (const q of ['zz', 'a b', '%25', '_', 'é', 'x'.repeat(26)]) {
      const none = await open(t, `/admin/members?q=${encodeURIComponent(q)}`, { host: acme.host, cookie: adminCookie });
      expect(none.status, q).toBe(200);
      expect(usernamesOn(none.text), q).toEqual([]);
      expect(none.text).toContain('id="no-members"');
    }
  });

  it('pages the matches of a search with the search kept', async () => {
    for (let i = 0; i < 21; i++) await acme.user(`bee-${String(i).padStart(2, '0')}`);
    await acme.user('zed-00');
    const first = await open(t, '/admin/members?q=bee', { host: acme.host, cookie: adminCookie });
    expect(usernamesOn(first.text)).toHaveLength(20);
    const next = /<a href="([^"]+)" id="next-members"/.exec(first.text)![1]!.replace(/&amp;/g, '&');
    expect(next).toContain('q=bee');
    expect(usernamesOn((await open(t, next, { host: acme.host, cookie: adminCookie })).text)).toEqual(['bee-20']);
  });

  it('refuses a cursor it did not hand out: InvalidInput, field after', async () => {
    const answer = await open(t, '/admin/members?after=bm90LWEtY3Vyc29y', { host: acme.host, cookie: adminCookie });
    expectFailurePage(answer, 'InvalidInput', 'after');
  });
});

describe('removing a member', () => {
  it('asks first, then removes them, ends their sessions here, and records it with the admin as actor', async () => {
    const confirm = await open(t, '/admin/members/remove?username=brian', { host: acme.host, cookie: adminCookie });
    expect(confirm.status).toBe(200);
    expectConsoleHeaders(confirm);
    expect(textOf(confirm.text, 'confirm-heading')).toBe('Remove brian from acme?');
    expect(confirm.text).toContain('brian@acme.example');
    expect(confirm.text).toContain('<input type="hidden" name="username" value="brian">');
    // Asking changed nothing.
    expect((await open(t, '/', { host: acme.host, cookie: memberCookie })).text).toContain('<dd id="username">brian</dd>');

    const removed = await post(t, '/admin/members/remove', { username: 'brian', csrfToken: formTokenOf(confirm.text) }, { host: acme.host, cookie: adminCookie });
    expect(removed.status).toBe(303);
    expect(removed.location).toBe('/admin/members?done=removed');
    expectConsoleHeaders(removed);

    const after = await open(t, removed.location!, { host: acme.host, cookie: adminCookie });
    expect(textOf(after.text, 'notice')).toBe('The member was removed, and their sessions in this group ended.');
    expect(usernamesOn(after.text)).toEqual(['alice']);
    // brian's session ended with the membership.
    expect((await open(t, '/', { host: acme.host, cookie: memberCookie })).text).toContain('Not signed in');

    const events = (await t.app.services.events.recent(acme.group, { first: 10, before: null, types: ['member.removed', 'session.ended'] })).events;
    expect(events.map((e) => [e.type, e.actor.type, e.actor.name, e.target.name])).toEqual([
      ['session.ended', 'user', 'alice', 'brian'],
      ['member.removed', 'user', 'alice', 'brian'],
    ]);
    expect(JSON.parse(events[1]!.data)).toEqual({ username: 'brian', role: 'member', sessionsEnded: 1 });
    expect(events[1]!.requestId).toEqual(expect.any(String));
  });

  it('never removes the last admin: the confirmation again, with InvalidInput (field username) and the catalog message', async () => {
    const confirm = await open(t, '/admin/members/remove?username=alice', { host: acme.host, cookie: adminCookie });
    expect(confirm.text).toContain('This is you');
    const refused = await post(t, '/admin/members/remove', { username: 'alice', csrfToken: formTokenOf(confirm.text) }, { host: acme.host, cookie: adminCookie });
    expectFailurePage(refused, 'InvalidInput', 'username');
    expect(refused.text).toContain('the last admin of a group cannot be removed');
    expect(textOf(refused.text, 'confirm-heading')).toBe('Remove alice from acme?');
    expect((await open(t, '/admin', { host: acme.host, cookie: adminCookie })).status).toBe(200);
  });

  it('lets an admin remove themselves when another admin stays, signing them out', async () => {
    await acme.user('carol', { role: 'admin' });
    const confirm = await open(t, '/admin/members/remove?username=alice', { host: acme.host, cookie: adminCookie });
    const removed = await post(t, '/admin/members/remove', { username: 'alice', csrfToken: formTokenOf(confirm.text) }, { host: acme.host, cookie: adminCookie });
    expect(removed.status).toBe(303);
    expect(removed.location).toBe('/');
    expect((await open(t, '/admin', { host: acme.host, cookie: adminCookie })).status).toBe(401);
  });

  it('answers a username that names no user, or a user of another group, as GraphQL does', async () => {
    await (await t.seed.group('globex2')).user('gina');
    const cases: Array<[string, 'InvalidUsername' | 'NotGroupMember']> = [
      ['nobody-here', 'InvalidUsername'],
      ['x', 'InvalidUsername'],
      ['gina', 'NotGroupMember'],
    ];
    for (const [username, code] of cases) {
      expectFailurePage(await open(t, `/admin/members/remove?username=${username}`, { host: acme.host, cookie: adminCookie }), code);
      const token = formTokenOf((await open(t, '/admin/settings', { host: acme.host, cookie: adminCookie })).text);
      expectFailurePage(await post(t, '/admin/members/remove', { username, csrfToken: token }, { host: acme.host, cookie: adminCookie }), code);
    }
  });
});
