/**
 * API tokens in the console: created with a label and shown once on the POST's own
 * answer (never in a URL or a cookie), created once however often the form is sent,
 * listed with their last use, revoked after a confirmation; each write recorded with
 * the admin as actor.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CLI_CALLER } from '../../src/domain/events.ts';
import { envelopeOf } from '../../src/errors/catalog.ts';
import {
  consoleApp,
  expectConsoleHeaders,
  expectFailurePage,
  formTokenOf,
  hiddenField,
  open,
  post,
  shownSecret,
  textOf,
} from '../support/console.ts';
import type { GroupSeed, TestApp } from '../support/harness.ts';

let t: TestApp;
let acme: GroupSeed;
let globex: GroupSeed;
let adminCookie: string;

beforeEach(async () => {
  ({ t, acme, globex, adminCookie } = await consoleApp());
});
afterEach(() => t.close());

const GROUP_QUERY = '{ group { slug } }';

async function createForm() {
  const page = await open(t, '/admin/api-tokens', { host: acme.host, cookie: adminCookie });
  return { csrfToken: formTokenOf(page.text), formKey: hiddenField(page.text, 'formKey') };
}

describe('creating an API token', () => {
  it('shows the token once, on the answer to the form, and it works at once', async () => {
    const form = await createForm();
    const created = await post(t, '/admin/api-tokens', { ...form, label: 'CI runner' }, { host: acme.host, cookie: adminCookie });
    expect(created.status).toBe(200);
    expectConsoleHeaders(created);
    expect(created.location).toBeNull();
    expect(created.headers.getSetCookie()).toEqual([]);
    expect(textOf(created.text, 'created-heading')).toBe('API token “CI runner” created');
    const secret = shownSecret(created.text)!;
    expect(secret).toMatch(/^tapi_[A-Za-z0-9_-]{43}$/);
    // The copy button runs only with JavaScript; without it the field is there to select.
    expect(created.text).toContain('<button type="button" class="secondary" id="copy" data-copy="secret" hidden>Copy</button>');
    expect(textOf(created.text, 'secret-warning')).toContain('it is shown only this once');

    const used = await t.gql(GROUP_QUERY, { token: secret });
    expect(used.body).toEqual({ data: { group: { slug: 'acme' } } });

    // The list shows it, its last use, never the secret.
    const listed = await open(t, '/admin/api-tokens', { host: acme.host, cookie: adminCookie });
    expect(listed.text).toContain('CI runner');
    expect(listed.text).not.toContain(secret);
    const row = /<th scope="row">CI runner<\/th>([\s\S]*?)<\/tr>/.exec(listed.text)![1]!;
    expect(row).toMatch(/<td><time datetime="[^"]+">[\s\S]*?<\/time><\/td>\s*<td><time datetime=/);
    expect(row).toContain('active');

    const [event] = (await t.app.services.events.recent(acme.group, { first: 1, before: null, types: ['api_token.created'] })).events;
    expect(event!.actor).toEqual({ type: 'user', id: expect.any(String), name: 'alice' });
    expect(event!.target.name).toBe('CI runner');
    expect(JSON.stringify(event)).not.toContain(secret);
  });

  it('creates once however often the same form is sent (a reload): the answer says so, without the secret', async () => {
    const form = await createForm();
    const first = await post(t, '/admin/api-tokens', { ...form, label: 'once' }, { host: acme.host, cookie: adminCookie });
    const secret = shownSecret(first.text)!;
    for (let i = 0; i < 2; i++) {
      const again = await post(t, '/admin/api-tokens', { ...form, label: 'once' }, { host: acme.host, cookie: adminCookie });
      expect(again.status).toBe(200);
      expect(textOf(again.text, 'created-heading')).toBe('This API token was created already');
      expect(shownSecret(again.text)).toBeNull();
      expect(again.text).not.toContain(secret);
      expect(again.text).toContain('once');
    }
    expect((await t.app.services.apiTokens.list(acme.group)).map((k) => k.label)).toEqual(['billing', 'once']);

    // The same form with another label is refused (the key was used for another request); a fresh form creates.
    const changed = await post(t, '/admin/api-tokens', { ...form, label: 'twice' }, { host: acme.host, cookie: adminCookie });
    expectFailurePage(changed, 'IdempotencyKeyReused');
    const fresh = await post(t, '/admin/api-tokens', { ...(await createForm()), label: 'twice' }, { host: acme.host, cookie: adminCookie });
    expect(shownSecret(fresh.text)).toMatch(/^tapi_/);
    expect((await t.app.services.apiTokens.list(acme.group)).map((k) => k.label)).toEqual(['billing', 'once', 'twice']);
  });

  it('refuses a label over 100 characters: the form again with InvalidInput (field label), the label kept, nothing created', async () => {
    const label = 'L'.repeat(101);
    const refused = await post(t, '/admin/api-tokens', { ...(await createForm()), label }, { host: acme.host, cookie: adminCookie });
    expectFailurePage(refused, 'InvalidInput', 'label');
    expect(textOf(refused.text, 'label-error')).toBe('must be at most 100 characters');
    expect(refused.text).toContain(`value="${label}"`);
    expect(refused.text).toContain('aria-invalid="true" aria-describedby="label-hint label-error"');
    expect(shownSecret(refused.text)).toBeNull();
    expect((await t.app.services.apiTokens.list(acme.group)).map((k) => k.label)).toEqual(['billing']);
  });

  it('creates a token without a label', async () => {
    const created = await post(t, '/admin/api-tokens', { ...(await createForm()), label: '  ' }, { host: acme.host, cookie: adminCookie });
    expect(textOf(created.text, 'created-heading')).toBe('API token “Unlabelled token” created');
    expect((await t.app.services.apiTokens.list(acme.group)).map((k) => k.label)).toEqual(['billing', null]);
  });

  it('refuses a create form without its key', async () => {
    const { csrfToken } = await createForm();
    for (const formKey of [null, 'short', '!'.repeat(43)]) {
      const fields: Record<string, string> = { csrfToken, label: 'keyless' };
      if (formKey !== null) fields.formKey = formKey;
      const refused = await post(t, '/admin/api-tokens', fields, { host: acme.host, cookie: adminCookie });
      expectFailurePage(refused, 'InvalidInput', 'formKey');
    }
    expect((await t.app.services.apiTokens.list(acme.group)).map((k) => k.label)).toEqual(['billing']);
  });
});

describe('revoking an API token', () => {
  it('asks first, then revokes it: the next request with it is InvalidApiToken', async () => {
    const { token, apiToken } = await t.app.services.apiTokens.create(acme.group, 'to revoke', CLI_CALLER);
    expect((await t.gql(GROUP_QUERY, { token })).status).toBe(200);

    const confirm = await open(t, `/admin/api-tokens/revoke?id=${apiToken.id}`, { host: acme.host, cookie: adminCookie });
    expect(textOf(confirm.text, 'confirm-heading')).toBe('Revoke the API token “to revoke”?');
    expect(confirm.text).toContain(`<input type="hidden" name="id" value="${apiToken.id}">`);
    expect((await t.gql(GROUP_QUERY, { token })).status).toBe(200);

    const revoked = await post(t, '/admin/api-tokens/revoke', { id: apiToken.id, csrfToken: formTokenOf(confirm.text) }, { host: acme.host, cookie: adminCookie });
    expect(revoked.status).toBe(303);
    expect(revoked.location).toBe('/admin/api-tokens?done=revoked');
    const refused = await t.gql(GROUP_QUERY, { token });
    expect(refused.status).toBe(envelopeOf('InvalidApiToken').status);
    expect(refused.body.errors[0].extensions.code).toBe('InvalidApiToken');

    const listed = await open(t, revoked.location!, { host: acme.host, cookie: adminCookie });
    expect(textOf(listed.text, 'notice')).toBe('The API token was revoked: requests with it are refused from now on.');
    expect(/<th scope="row">to revoke<\/th>([\s\S]*?)<\/tr>/.exec(listed.text)![1]).toContain('revoked');
    const [event] = (await t.app.services.events.recent(acme.group, { first: 1, before: null, types: ['api_token.revoked'] })).events;
    expect([event!.actor.name, event!.target.id]).toEqual(['alice', apiToken.id]);
  });

  it('answers an unknown id, or another group’s token, as GraphQL does: InvalidInput, field id', async () => {
    const { apiToken: theirs } = await t.app.services.apiTokens.create(globex.group, 'globex', CLI_CALLER);
    const { csrfToken } = await createForm();
    for (const id of ['', 'no-such-id', theirs.id]) {
      expectFailurePage(await open(t, `/admin/api-tokens/revoke?id=${id}`, { host: acme.host, cookie: adminCookie }), 'InvalidInput', 'id');
      expectFailurePage(await post(t, '/admin/api-tokens/revoke', { id, csrfToken }, { host: acme.host, cookie: adminCookie }), 'InvalidInput', 'id');
    }
    expect((await t.app.services.apiTokens.list(globex.group))[0]!.revokedAt).toBeNull();
  });

  it('warns while the API is switched off', async () => {
    await t.app.services.groups.update(acme.group, { isApiEnabled: false }, CLI_CALLER);
    const page = await open(t, '/admin/api-tokens', { host: acme.host, cookie: adminCookie });
    expect(textOf(page.text, 'api-off')).toContain('The API is switched off');
  });
});
