/**
 * Webhooks in the console: adding an endpoint (its secret shown once, created once),
 * the refusals GraphQL gives for a URL or a type list, deleting one after a
 * confirmation; and, against a real server and a real receiver, each endpoint's
 * recent deliveries with their status.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { CLI_CALLER } from '../../src/domain/events.ts';
import {
  consoleApp,
  expectConsoleHeaders,
  expectFailurePage,
  formTokenOf,
  hiddenField,
  open,
  post,
  PUBLIC_HOOK_URL,
  shownSecret,
  textOf,
} from '../support/console.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import type { TestApp } from '../support/harness.ts';
import { HttpClient } from '../support/http-client.ts';
import { adminEntry, run, type RunningServer, startServer } from '../support/processes.ts';
import { type Receiver, startReceiver, WEBHOOK_TEST_ENV } from '../support/webhooks.ts';

let t: TestApp | null = null;
let database: TestDatabase | null = null;
let server: RunningServer | null = null;
let receiver: Receiver | null = null;
afterEach(async () => {
  await t?.close();
  await server?.stop('SIGKILL');
  await receiver?.close();
  await database?.close();
  t = server = receiver = database = null;
});

describe('adding a webhook endpoint', () => {
  it('shows its secret once, on the answer to the form; the same form again adds nothing more', async () => {
    const setup = await consoleApp();
    t = setup.t;
    const { acme, adminCookie } = setup;
    const page = await open(t, '/admin/webhooks', { host: acme.host, cookie: adminCookie });
    expect(page.text).toContain(PUBLIC_HOOK_URL);
    const form: Array<[string, string]> = [
      ['csrfToken', formTokenOf(page.text)],
      ['formKey', hiddenField(page.text, 'formKey')],
      ['url', 'https://93.184.215.14/hooks/second'],
      ['types', 'member.removed'],
      ['types', 'user.created'],
    ];
    const added = await post(t, '/admin/webhooks', form, { host: acme.host, cookie: adminCookie });
    expect(added.status).toBe(200);
    expectConsoleHeaders(added);
    expect(textOf(added.text, 'created-heading')).toBe('Webhook endpoint added');
    const secret = shownSecret(added.text)!;
    expect(secret).toMatch(/^whsec_/);
    expect(added.text).toContain('member.removed, user.created');

    const again = await post(t, '/admin/webhooks', form, { host: acme.host, cookie: adminCookie });
    expect(textOf(again.text, 'created-heading')).toBe('This webhook endpoint was created already');
    expect(again.text).not.toContain(secret);
    const endpoints = await t.app.services.webhooks.list(acme.group);
    expect(endpoints.map((e) => [e.url, e.types])).toEqual([
      [PUBLIC_HOOK_URL, null],
      ['https://93.184.215.14/hooks/second', ['member.removed', 'user.created']],
    ]);
    const [event] = (await t.app.services.events.recent(acme.group, { first: 1, before: null, types: ['webhook_endpoint.created'] })).events;
    expect([event!.actor.name, event!.target.name]).toEqual(['alice', 'https://93.184.215.14/hooks/second']);
  });

  it('refuses what GraphQL refuses, beside the field: a bad URL (InvalidInput, url), a private address (WebhookEndpointInvalid), an unknown type (InvalidInput, types)', async () => {
    const setup = await consoleApp();
    t = setup.t;
    const { acme, adminCookie } = setup;
    const attempt = async (fields: Array<[string, string]>) => {
      const page = await open(t!, '/admin/webhooks', { host: acme.host, cookie: adminCookie });
      return post(t!, '/admin/webhooks', [['csrfToken', formTokenOf(page.text)], ['formKey', hiddenField(page.text, 'formKey')], ...fields], {
        host: acme.host,
        cookie: adminCookie,
      });
    };
    const badUrl = await attempt([['url', 'ftp://example.com/x']]);
    expectFailurePage(badUrl, 'InvalidInput', 'url');
    expect(badUrl.text).toContain('id="url-error"');
    expect(badUrl.text).toContain('value="ftp://example.com/x"');

    const loopback = await attempt([['url', 'http://127.0.0.1:9/hooks'], ['types', 'user.created']]);
    expectFailurePage(loopback, 'WebhookEndpointInvalid');
    expect(textOf(loopback.text, 'url-error')).toBe('127.0.0.1 resolves to a non-public address');
    expect(loopback.text).toMatch(/value="user.created" checked/);

    expectFailurePage(await attempt([['url', PUBLIC_HOOK_URL], ['types', 'user.deleted']]), 'InvalidInput', 'types');
    expect(await t.app.services.webhooks.list(acme.group)).toHaveLength(1);
  });
});

describe('deleting a webhook endpoint', () => {
  it('asks first, then deletes it, recorded with the admin as actor; an unknown or foreign id is InvalidInput (field id)', async () => {
    const setup = await consoleApp();
    t = setup.t;
    const { acme, globex, adminCookie, endpoint } = setup;
    const confirm = await open(t, `/admin/webhooks/delete?id=${endpoint.id}`, { host: acme.host, cookie: adminCookie });
    expect(textOf(confirm.text, 'confirm-heading')).toBe('Delete this webhook endpoint?');
    expect(confirm.text).toContain(PUBLIC_HOOK_URL);
    const deleted = await post(t, '/admin/webhooks/delete', { id: endpoint.id, csrfToken: formTokenOf(confirm.text) }, { host: acme.host, cookie: adminCookie });
    expect(deleted.status).toBe(303);
    expect(deleted.location).toBe('/admin/webhooks?done=deleted');
    expect(await t.app.services.webhooks.list(acme.group)).toEqual([]);
    const page = await open(t, deleted.location!, { host: acme.host, cookie: adminCookie });
    expect(textOf(page.text, 'notice')).toBe('The webhook endpoint was deleted: nothing more is sent to it.');
    expect(textOf(page.text, 'no-webhooks')).toBe('The group has no webhook endpoints yet.');
    const [event] = (await t.app.services.events.recent(acme.group, { first: 1, before: null, types: ['webhook_endpoint.deleted'] })).events;
    expect(event!.actor.name).toBe('alice');

    const { endpoint: theirs } = await t.app.services.webhooks.create(globex.group, 'https://93.184.215.14/globex', null, CLI_CALLER);
    for (const id of [endpoint.id, 'nope', theirs.id]) {
      expectFailurePage(await open(t, `/admin/webhooks/delete?id=${id}`, { host: acme.host, cookie: adminCookie }), 'InvalidInput', 'id');
      expectFailurePage(
        await post(t, '/admin/webhooks/delete', { id, csrfToken: formTokenOf(confirm.text) }, { host: acme.host, cookie: adminCookie }),
        'InvalidInput',
        'id',
      );
    }
    expect(await t.app.services.webhooks.list(globex.group)).toHaveLength(1);
  });
});

describe('recent deliveries, from a real server', () => {
  it('lists each attempt with the event’s type and the receiver’s status, failures and retries included', async () => {
    receiver = await startReceiver((_delivery, index) => (index === 0 ? 500 : 204));
    database = await createTestDatabase({ shared: true });
    server = await startServer({ DATABASE_URL: database.url, ...WEBHOOK_TEST_ENV });
    const port = server.port;
    const host = `demo.localhost:${port}`;
    const http = new HttpClient(port);
    const cli = async (...args: string[]) => {
      const result = await run(process.execPath, [...adminEntry, ...args], { DATABASE_URL: database!.url, PUBLIC_URL: server!.origin });
      expect(result.code, result.stderr).toBe(0);
      return result.stdout;
    };
    const api = (path: string, body: unknown) =>
      http.send({ method: 'POST', path, headers: { host, authorization: `Bearer ${server!.demoToken}`, 'content-type': 'application/json' }, body: JSON.stringify(body) });

    expect((await api('/-/api/user/create', { email: 'ada@example.com', username: 'adalove' })).status).toBe(200);
    await cli('member', 'add', 'demo', 'adalove', '--role', 'admin');
    const { loginUrl } = JSON.parse(await cli('login-link', 'demo', 'adalove', '--json'));
    const signedIn = await http.send({ method: 'GET', path: new URL(loginUrl).pathname + new URL(loginUrl).search, headers: { host } });
    expect(signedIn.status).toBe(302);
    const cookie = String(signedIn.headers['set-cookie']).split(';')[0]!;

    const get = async (path: string) => http.send({ method: 'GET', path, headers: { host, cookie, accept: 'text/html' } });
    const form = await get('/admin/webhooks');
    const body = new URLSearchParams({
      csrfToken: formTokenOf(form.text),
      formKey: hiddenField(form.text, 'formKey'),
      url: receiver.url('/console'),
      types: 'user.created',
    }).toString();
    const added = await http.send({
      method: 'POST',
      path: '/admin/webhooks',
      headers: { host, cookie, 'content-type': 'application/x-www-form-urlencoded', origin: `http://${host}`, 'sec-fetch-site': 'same-origin' },
      body,
    });
    expect(added.status, added.text.slice(0, 500)).toBe(200);
    const secret = shownSecret(added.text)!;

    expect((await api('/-/api/user/create', { email: 'bo@example.com', username: 'bo-123' })).status).toBe(200);
    await receiver.waitFor('the retry of user.created', () => receiver!.deliveries.length >= 2);
    receiver.verifyAll('/console', secret);

    // The second attempt is written by the delivery thread shortly after the receiver answers it.
    let page = await get('/admin/webhooks');
    for (let i = 0; i < 200 && !/<span class="badge ok">204<\/span>/.test(page.text); i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      page = await get('/admin/webhooks');
    }
    const rows = [...page.text.matchAll(/<tr>\s*<td class="when">[\s\S]*?<\/tr>/g)].map((m) => m[0]);
    expect(rows).toHaveLength(2);
    // Newest first: the retry that succeeded, then the first attempt, answered 500 and retried.
    expect(rows[0]).toContain('<code class="nowrap">user.created</code>');
    expect(rows[0]).toContain('<span class="badge ok">204</span>');
    expect(rows[0]).toMatch(/<td class="num">2<\/td>/);
    expect(rows[1]).toContain('<span class="badge bad">500</span>');
    expect(rows[1]).toContain('HTTP 500');
    expect(rows[1]).toMatch(/<td class="num">1<\/td>/);
    expect(page.text).toContain(receiver.deliveries[0]!.id);
    http.agent.destroy();
  });
});
