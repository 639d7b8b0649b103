/**
 * Provisioning in the console (API.md §18): the SCIM base URL and header to give the
 * identity provider, a token made for it (shown once, as on the API tokens page), the
 * directory groups it pushed, and the one that names the admins; and suspended
 * members marked on the members page.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { GroupRecord } from '../../src/db/store.ts';
import { CLI_CALLER } from '../../src/domain/events.ts';
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
import { scim } from '../support/scim.ts';

let t: TestApp;
let acme: GroupSeed;
let globex: GroupSeed;
let adminCookie: string;
let memberCookie: string;

beforeEach(async () => {
  ({ t, acme, globex, adminCookie, memberCookie } = await consoleApp());
});
afterEach(() => t.close());

const PAGE = '/admin/provisioning';

const openPage = (path = PAGE) => open(t, path, { host: acme.host, cookie: adminCookie });

async function idOf(username: string, group: GroupRecord = acme.group): Promise<string> {
  return (await t.app.services.members.get(group, username)).user.id;
}

const roleOf = async (username: string) => (await t.app.services.members.get(acme.group, username)).role;

/** A directory group as the identity provider pushes it. */
function directoryGroup(displayName: string, memberIds: string[], externalId: string | null = null, group: GroupRecord = acme.group) {
  return t.app.services.scim.saveDirectoryGroup(group, null, { displayName, externalId, replaceMembers: memberIds, memberOps: [] }, CLI_CALLER);
}

/** The group as the database has it now (the seed's record is as it was created). */
async function acmeNow(): Promise<GroupRecord> {
  return t.app.services.groups.get('acme');
}

async function saveAdminGroup(value: string) {
  const page = await openPage();
  return post(t, PAGE, { csrfToken: formTokenOf(page.text), adminDirectoryGroup: value }, { host: acme.host, cookie: adminCookie });
}

describe('the provisioning page', () => {
  it('gives the SCIM base URL on the API’s own host and the header, in the navigation', async () => {
    const page = await openPage();
    expect(page.status).toBe(200);
    expectConsoleHeaders(page);
    expect(textOf(page.text, 'scim-base-url')).toBe('http://localhost:4000/scim/v2');
    expect(textOf(page.text, 'scim-auth-header')).toBe('Authorization: Bearer <token>');
    expect(page.text).toContain('<a href="/admin/provisioning" aria-current="page">Provisioning</a>');
    expect(textOf(page.text, 'create-provisioning-token')).toBe('Create a token for provisioning');
    expect(page.text).not.toContain('id="api-off"');
    // Every other page links to it.
    expect((await openPage('/admin')).text).toContain('<a href="/admin/provisioning">Provisioning</a>');
  });

  it('says so when the identity provider has pushed no group yet, and offers only None', async () => {
    const page = await openPage();
    expect(textOf(page.text, 'no-directory-groups')).toContain('The identity provider has not pushed any group yet.');
    expect(page.text).not.toContain('id="directory-groups"');
    const select = /<select id="adminDirectoryGroup" name="adminDirectoryGroup"[^>]*>([\s\S]*?)<\/select>/.exec(page.text)![1]!;
    expect([...select.matchAll(/<option value="([^"]*)"( selected)?>([^<]*)</g)].map((m) => [m[1], m[2] ?? '', m[3]])).toEqual([
      ['', ' selected', 'None (roles are set one by one)'],
    ]);
    expect(textOf(page.text, 'adminDirectoryGroup-hint')).toContain('a change that would leave the group without an admin is refused');
  });

  it('warns while the API is switched off (the identity provider is refused)', async () => {
    await t.app.services.groups.update(acme.group, { isApiEnabled: false }, CLI_CALLER);
    expect(textOf((await openPage()).text, 'api-off')).toContain('The API is switched off');
  });
});

describe('the token for provisioning', () => {
  it('is shown once, labelled, and the identity provider can call SCIM with it as a Bearer', async () => {
    const page = await openPage();
    const form = { csrfToken: formTokenOf(page.text), formKey: hiddenField(page.text, 'formKey') };
    const created = await post(t, '/admin/provisioning/token', form, { host: acme.host, cookie: adminCookie });
    expect(created.status).toBe(200);
    expectConsoleHeaders(created);
    expect(created.location).toBeNull();
    expect(textOf(created.text, 'created-heading')).toBe('API token “SCIM provisioning” created');
    const secret = shownSecret(created.text)!;
    expect(secret).toMatch(/^tapi_[A-Za-z0-9_-]{43}$/);
    expect(textOf(created.text, 'secret-warning')).toContain('it is shown only this once');
    expect(created.text).toContain('http://localhost:4000/scim/v2');
    expect(created.text).toContain('<a href="/admin/provisioning" aria-current="page">Provisioning</a>');

    const config = await scim(t, 'GET', '/ServiceProviderConfig', undefined, { token: secret });
    expect(config.status).toBe(200);
    expect(config.body.schemas).toEqual(['urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig']);
    expect((await scim(t, 'GET', '/Users?count=1', undefined, { token: secret })).body.totalResults).toBe(2);
    expect((await scim(t, 'GET', '/ServiceProviderConfig')).status).toBe(401);

    // A reload sends the form again: nothing more is made, and the secret is not shown again.
    const again = await post(t, '/admin/provisioning/token', form, { host: acme.host, cookie: adminCookie });
    expect(textOf(again.text, 'created-heading')).toBe('This API token was created already');
    expect(shownSecret(again.text)).toBeNull();
    expect(again.text).not.toContain(secret);
    expect((await t.app.services.apiTokens.list(acme.group)).map((k) => k.label)).toEqual(['billing', 'SCIM provisioning']);

    // Listed with the others, never with its secret.
    const tokens = await openPage('/admin/api-tokens');
    expect(tokens.text).toContain('<th scope="row">SCIM provisioning</th>');
    expect(tokens.text).not.toContain(secret);
    const [event] = (await t.app.services.events.recent(acme.group, { first: 1, before: null, types: ['api_token.created'] })).events;
    expect([event!.actor.name, event!.target.name]).toEqual(['alice', 'SCIM provisioning']);
  });

  it('refuses a form without its key on the page itself, making nothing', async () => {
    const page = await openPage();
    const refused = await post(t, '/admin/provisioning/token', { csrfToken: formTokenOf(page.text) }, { host: acme.host, cookie: adminCookie });
    expectFailurePage(refused, 'InvalidInput', 'formKey');
    expect(textOf(refused.text, 'scim-base-url')).toBe('http://localhost:4000/scim/v2');
    expect((await t.app.services.apiTokens.list(acme.group)).map((k) => k.label)).toEqual(['billing']);
  });

  it('answers only POST', async () => {
    const answer = await openPage('/admin/provisioning/token');
    expect(answer.status).toBe(405);
    expect(answer.headers.get('allow')).toBe('POST');
  });
});

describe('directory groups', () => {
  it('lists each with its external id and member count, oldest first', async () => {
    const [alice, brian] = [await idOf('alice'), await idOf('brian')];
    await directoryGroup('Admins', [alice]);
    await directoryGroup('Engineering <all>', [alice, brian], 'ext-eng-1');
    await directoryGroup('Globex staff', [], null, globex.group);
    const page = await openPage();
    expect(page.text).not.toContain('id="no-directory-groups"');
    const table = /<table id="directory-groups">([\s\S]*?)<\/table>/.exec(page.text)![1]!;
    const rows = [...table.matchAll(/<tr>\s*<th scope="row">([^<]*)<\/th>\s*<td>([\s\S]*?)<\/td>\s*<td class="num">(\d+)<\/td>/g)];
    expect(rows.map((r) => [r[1], r[2]!.replace(/<[^>]+>/g, ''), r[3]])).toEqual([
      ['Admins', '—', '1'],
      ['Engineering &lt;all&gt;', 'ext-eng-1', '2'],
    ]);
    expect(page.text).not.toContain('Globex staff');
    const options = [...page.text.matchAll(/<option value="([^"]*)"( selected)?>([^<]*)</g)].map((m) => m[3]);
    expect(options).toEqual(['None (roles are set one by one)', 'Admins', 'Engineering &lt;all&gt;']);
  });
});

describe('the admins’ directory group', () => {
  it('makes its members the admins and everyone else a member; None keeps the roles as they are', async () => {
    const [alice, brian] = [await idOf('alice'), await idOf('brian')];
    await acme.user('carol', { role: 'admin' });
    const admins = await directoryGroup('Admins', [alice, brian]);
    expect([await roleOf('brian'), await roleOf('carol')]).toEqual(['member', 'admin']);

    const saved = await saveAdminGroup(admins.id);
    expect(saved.status).toBe(303);
    expect(saved.location).toBe('/admin/provisioning?done=mapped');
    expect([await roleOf('alice'), await roleOf('brian'), await roleOf('carol')]).toEqual(['admin', 'admin', 'member']);
    expect((await acmeNow()).adminDirectoryGroupId).toBe(admins.id);

    const page = await openPage(saved.location!);
    expect(textOf(page.text, 'notice')).toContain('the members of that directory group are now the admins');
    expect(page.text).toContain(`<option value="${admins.id}" selected>Admins</option>`);
    expect(page.text).toContain('<span class="badge admin" title="Its members are the group’s admins">admins</span>');
    // The members page says so too.
    const members = await openPage('/admin/members');
    const roleCell = (name: string) => new RegExp(`<th scope="row">${name}[\\s\\S]*?</td>\\s*<td>[\\s\\S]*?</td>\\s*<td>([\\s\\S]*?)</td>`).exec(members.text)![1];
    expect([roleCell('brian'), roleCell('carol')]).toEqual(['<span class="badge admin">admin</span>', 'member']);

    // As the identity provider changes the directory group, the roles follow.
    await t.app.services.scim.saveDirectoryGroup(acme.group, admins.id, { memberOps: [{ op: 'remove', ids: [brian] }] }, CLI_CALLER);
    expect(await roleOf('brian')).toBe('member');

    const [updated] = (await t.app.services.events.recent(acme.group, { first: 1, before: null, types: ['group.updated'] })).events;
    expect(updated!.actor.name).toBe('alice');
    expect(JSON.parse(updated!.data).changes.adminDirectoryGroup).toEqual({ from: null, to: admins.id });

    const cleared = await saveAdminGroup('');
    expect(cleared.location).toBe('/admin/provisioning?done=cleared');
    expect((await acmeNow()).adminDirectoryGroupId).toBeNull();
    expect([await roleOf('alice'), await roleOf('brian'), await roleOf('carol')]).toEqual(['admin', 'member', 'member']);
    const after = await openPage(cleared.location!);
    expect(textOf(after.text, 'notice')).toContain('roles are set one by one again');
    expect(after.text).toContain('<option value="" selected>None (roles are set one by one)</option>');
  });

  it('refuses a directory group without a member (the group would have no admin): the page again with the error beside the select', async () => {
    const empty = await directoryGroup('Nobody', []);
    const refused = await saveAdminGroup(empty.id);
    expectFailurePage(refused, 'InvalidInput', 'adminDirectoryGroup');
    expect(textOf(refused.text, 'adminDirectoryGroup-error')).toBe('the directory group has no member: the group would have no admin');
    expect(refused.text).toContain('aria-invalid="true" aria-describedby="adminDirectoryGroup-hint adminDirectoryGroup-error"');
    expect(refused.text).toContain(`<option value="${empty.id}" selected>Nobody</option>`);
    expect(textOf(refused.text, 'scim-base-url')).toBe('http://localhost:4000/scim/v2');
    expect((await acmeNow()).adminDirectoryGroupId).toBeNull();
    expect([await roleOf('alice'), await roleOf('brian')]).toEqual(['admin', 'member']);
  });

  it('refuses another group’s directory group, or an unknown id', async () => {
    const theirs = await directoryGroup('Globex admins', [], null, globex.group);
    for (const id of [theirs.id, 'no-such-id']) {
      const refused = await saveAdminGroup(id);
      expectFailurePage(refused, 'InvalidInput', 'adminDirectoryGroup');
      expect(textOf(refused.text, 'adminDirectoryGroup-error')).toBe('no directory group with this id in this group');
    }
    expect((await acmeNow()).adminDirectoryGroupId).toBeNull();
  });

  it('closes the console to an admin left outside the directory group', async () => {
    const others = await directoryGroup('Others', [await idOf('brian')]);
    const saved = await saveAdminGroup(others.id);
    expect(saved.status).toBe(303);
    expect(await roleOf('alice')).toBe('member');
    const closed = await openPage(saved.location!);
    expect(closed.status).toBe(403);
    expect(textOf(closed.text, 'refusal')).toBe('You are not an administrator of acme');
  });
});

describe('who may use it', () => {
  it('refuses a member who is not an admin, and anyone signed out, showing and changing nothing', async () => {
    const group = await directoryGroup('Staff', [await idOf('brian')]);
    const adminPage = await openPage();
    const fields = { csrfToken: formTokenOf(adminPage.text), formKey: hiddenField(adminPage.text, 'formKey'), adminDirectoryGroup: group.id };
    for (const [cookie, status] of [[memberCookie, 403], [undefined, 401]] as const) {
      const seen = await open(t, PAGE, { host: acme.host, cookie });
      expect(seen.status).toBe(status);
      expectConsoleHeaders(seen);
      expect(seen.text).not.toContain('scim-base-url');
      expect(seen.text).not.toContain('Staff');
      for (const path of [PAGE, '/admin/provisioning/token']) {
        const posted = await post(t, path, fields, { host: acme.host, cookie });
        expect(posted.status).toBe(status);
        expect(shownSecret(posted.text)).toBeNull();
      }
    }
    expect((await acmeNow()).adminDirectoryGroupId).toBeNull();
    expect(await roleOf('alice')).toBe('admin');
    expect((await t.app.services.apiTokens.list(acme.group)).map((k) => k.label)).toEqual(['billing']);
  });

  it('refuses a form without the session’s form token', async () => {
    const group = await directoryGroup('Staff', [await idOf('alice')]);
    const refused = await post(t, PAGE, { adminDirectoryGroup: group.id }, { host: acme.host, cookie: adminCookie });
    expectFailurePage(refused, 'InvalidInput', 'csrfToken');
    expect((await acmeNow()).adminDirectoryGroupId).toBeNull();
  });
});

describe('suspended members', () => {
  it('are marked on the members page until the identity provider restores them', async () => {
    const brian = await idOf('brian');
    const setActive = (active: boolean) =>
      t.app.services.scim.replaceUser(
        acme.group,
        brian,
        (current) => ({
          userName: current.scim?.userName ?? current.user.username,
          externalId: null,
          emails: [{ value: current.user.email, primary: true }],
          givenName: null,
          familyName: null,
          active,
          role: null,
        }),
        CLI_CALLER,
      );
    const badge = '<span class="badge bad" title="Suspended by the identity provider (SCIM): cannot sign in">suspended</span>';
    expect((await openPage('/admin/members')).text).not.toContain(badge);

    await setActive(false);
    const page = await openPage('/admin/members');
    expect(page.text).toContain(`<th scope="row">brian ${badge}</th>`);
    expect(page.text.split(badge)).toHaveLength(2);

    await setActive(true);
    expect((await openPage('/admin/members')).text).not.toContain('suspended');
  });
});
