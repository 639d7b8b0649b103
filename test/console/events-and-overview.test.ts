/**
 * The event log in the console (newest first, by type, a page at a time) and the
 * overview (the group, what it holds, the latest events).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_CALLER } from '../../src/domain/events.ts';
import { consoleApp, expectFailurePage, open, textOf } from '../support/console.ts';
import type { GroupSeed, TestApp } from '../support/harness.ts';

let t: TestApp;
let acme: GroupSeed;
let globex: GroupSeed;
let adminCookie: string;

beforeEach(async () => {
  ({ t, acme, globex, adminCookie } = await consoleApp());
});
afterEach(() => t.close());

const typesOn = (text: string) => [...text.matchAll(/<td><code class="nowrap">([a-z_.]+)<\/code><\/td>/g)].map((m) => m[1]);

describe('the events page', () => {
  it('shows the group’s events newest first, who did them and from where, and only this group’s', async () => {
    await globex.user('gina');
    const page = await open(t, '/admin/events', { host: acme.host, cookie: adminCookie });
    expect(page.status).toBe(200);
    const all = (await t.app.services.events.recent(acme.group, { first: 25, before: null, types: null })).events;
    expect(typesOn(page.text)).toEqual(all.map((e) => e.type));
    expect(typesOn(page.text).slice(0, 3)).toEqual(['webhook_endpoint.created', 'api_token.created', 'session.created']);
    expect(typesOn(page.text).at(-1)).toBe('group.created');
    expect(page.text).not.toContain('gina');
    expect(page.text).toContain('an operator (CLI)');
    // Each event's data, pretty-printed, behind a disclosure.
    expect(page.text).toContain('&quot;username&quot;: &quot;brian&quot;');
  });

  it('filters by type, and pages back through older events keeping the filter', async () => {
    for (let i = 0; i < 30; i++) await acme.user(`user-${String(i).padStart(2, '0')}`);
    const first = await open(t, '/admin/events?types=user.created', { host: acme.host, cookie: adminCookie });
    expect(typesOn(first.text)).toEqual(Array(25).fill('user.created'));
    expect(first.text).toContain('<option value="user.created" selected>');
    expect(first.text).toContain('user <strong>user-29</strong>');
    const older = /<a href="([^"]+)" id="older-events"/.exec(first.text)![1]!.replace(/&amp;/g, '&');
    expect(older).toContain('types=user.created');
    const second = await open(t, older, { host: acme.host, cookie: adminCookie });
    // 30 created here, plus alice and brian.
    expect(typesOn(second.text)).toEqual(Array(7).fill('user.created'));
    expect(second.text).toContain('user <strong>alice</strong>');
    expect(second.text).not.toContain('id="older-events"');
    expect(second.text).toContain('Newest events');

    const none = await open(t, '/admin/events?types=group.deleted', { host: acme.host, cookie: adminCookie });
    expect(textOf(none.text, 'no-events')).toBe('No group.deleted events.');
  });

  it('refuses a type that is no event type (field types) and a cursor it did not hand out (field after), as GraphQL does', async () => {
    expectFailurePage(await open(t, '/admin/events?types=user.deleted', { host: acme.host, cookie: adminCookie }), 'InvalidInput', 'types');
    expectFailurePage(await open(t, '/admin/events?after=eyJ0eCI6IngifQ', { host: acme.host, cookie: adminCookie }), 'InvalidInput', 'after');
  });
});

describe('the overview', () => {
  it('names the group and counts its members, admins, live tokens, live sessions and webhooks', async () => {
    const { apiToken } = await t.app.services.apiTokens.create(acme.group, 'old', CLI_CALLER);
    await t.app.services.apiTokens.revoke(acme.group, apiToken.id, CLI_CALLER);
    await globex.user('gina', { role: 'admin' });
    await globex.session('gina');
    const page = await open(t, '/admin', { host: acme.host, cookie: adminCookie });
    expect(page.status).toBe(200);
    expect(textOf(page.text, 'group-slug')).toBe('acme');
    expect(textOf(page.text, 'count-members')).toBe('2');
    expect(page.text).toContain('1 admin');
    expect(textOf(page.text, 'count-api-tokens')).toBe('1');
    expect(textOf(page.text, 'count-sessions')).toBe('2');
    expect(textOf(page.text, 'count-webhooks')).toBe('1');
    expect(textOf(page.text, 'summary-api')).toContain('on');
    expect(textOf(page.text, 'summary-confirmation')).toBe('sign in at once');
    expect(textOf(page.text, 'latest-events')).toContain('api_token.revoked');
    expect(page.text).toContain('<a href="/admin" aria-current="page">Overview</a>');
  });
});
