/**
 * What goes wrong on the console's side: the admin's write rate limit (429 with
 * Retry-After, nothing written; one budget with the admin's GraphQL writes) and an
 * unexpected failure (masked to InternalError on a page, nothing of it shown, logged
 * once with the request's id).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { expectTransportError, UPDATE_GROUP } from '../support/admin-documents.ts';
import { consoleApp, expectFailurePage, formTokenOf, open, post, textOf } from '../support/console.ts';
import type { TestApp } from '../support/harness.ts';
import { captureLogs } from '../support/logs.ts';

let t: TestApp;
afterEach(() => t.close());

describe('the console', () => {
  it('counts each form post against the admin’s write rate limit: over it, 429 with Retry-After, nothing written', async () => {
    const setup = await consoleApp({ env: { RATE_LIMIT_WRITES: '1' } });
    t = setup.t;
    const { acme, adminCookie } = setup;
    const csrfToken = formTokenOf((await open(t, '/admin/settings', { host: acme.host, cookie: adminCookie })).text);
    const first = await post(t, '/admin/settings', { csrfToken, title: 'First', isApiEnabled: 'true' }, { host: acme.host, cookie: adminCookie });
    expect(first.status).toBe(303);
    const second = await post(t, '/admin/settings', { csrfToken, title: 'Second', isApiEnabled: 'true' }, { host: acme.host, cookie: adminCookie });
    expectFailurePage(second, 'TooManyRequests');
    expect(Number(second.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(textOf(second.text, 'failure')).toBe('Too many changes at once');
    expect((await t.app.services.groups.get('acme')).title).toBe('First');
    // Reading is not writing.
    expect((await open(t, '/admin/settings', { host: acme.host, cookie: adminCookie })).status).toBe(200);
  });

  it('counts a form post and the same admin’s GraphQL write against one budget: one policy, one runner', async () => {
    const setup = await consoleApp({ env: { RATE_LIMIT_WRITES: '2' } });
    t = setup.t;
    const { acme, adminCookie } = setup;
    const as = { host: acme.host, cookie: adminCookie };
    const updateGroup = (title: string) => t.gql(UPDATE_GROUP, { ...as, variables: { input: { title } } });
    expect((await updateGroup('By GraphQL')).body.data.updateGroup.group.title).toBe('By GraphQL');
    const csrfToken = formTokenOf((await open(t, '/admin/settings', as)).text);
    const form = { csrfToken, title: 'By console', isApiEnabled: 'true' };
    expect((await post(t, '/admin/settings', form, as)).status).toBe(303);
    // The budget is spent, whichever transport asks next.
    expectTransportError(await updateGroup('Refused'), 'TooManyRequests');
    expectFailurePage(await post(t, '/admin/settings', { ...form, title: 'Refused' }, as), 'TooManyRequests');
    expect((await t.app.services.groups.get('acme')).title).toBe('By console');
  });

  it('masks an unexpected failure to InternalError, shows nothing of it, and logs it once with the request id', async () => {
    const logs = captureLogs();
    const setup = await consoleApp({ logger: logs.logger });
    t = setup.t;
    const { acme, adminCookie } = setup;
    const heal = await t.breakTable('api_tokens');
    const answer = await open(t, '/admin/api-tokens', { host: acme.host, cookie: adminCookie, headers: { 'x-request-id': 'console-failure-1' } });
    await heal();
    expectFailurePage(answer, 'InternalError');
    expect(textOf(answer.text, 'failure')).toBe('Something went wrong');
    const shown = /<main[\s\S]*<\/main>/.exec(answer.text)![0];
    expect(shown).not.toMatch(/api_tokens|sqlite|SQL|relation|select|stack|\.ts:/i);
    // Still the admin's console around it.
    expect(textOf(answer.text, 'console-user')).toBe('alice');
    const lines = logs.lines().filter((line) => line.requestId === 'console-failure-1');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ status: 500, path: '/admin/api-tokens', code: 'InternalError' });
    expect(JSON.stringify(lines[0])).toMatch(/api_tokens/);
  });
});
