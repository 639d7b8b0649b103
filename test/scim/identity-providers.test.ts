/**
 * The request sequences Okta and Microsoft Entra ID send, written out as their public
 * documentation shows them (Okta's "SCIM 2.0 protocol reference" and Entra ID's
 * "Tutorial: Develop and plan provisioning for a SCIM endpoint" and "Known issues and
 * resolutions with SCIM 2.0 protocol compliance"): the bodies, headers and query
 * strings as those providers send them, replayed through app.fetch on the run's
 * database. Every step answers what the provider expects, and the event feed ends up
 * with the changes, each marked `data.via: "scim"` (API.md §18).
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envelopeOf } from '../../src/errors/catalog.ts';
import { CREATE_SSO_TOKEN, LOGIN_WITH_SSO } from '../support/documents.ts';
import { acmeApp, type GroupSeed, type TestApp } from '../support/harness.ts';
import { postJson } from '../support/rest.ts';
import { GROUP_SCHEMA, PATCH_SCHEMA, scim, type ScimResponse, USER_SCHEMA } from '../support/scim.ts';

const LIST_SCHEMA = 'urn:ietf:params:scim:api:messages:2.0:ListResponse';
const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';
const TEAMAPI_USER = 'urn:ietf:params:scim:schemas:extension:teamapi:2.0:User';
const BASE = 'http://localhost:4000/scim/v2';
const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

let t: TestApp;
let acme: GroupSeed;
let token: string;

beforeEach(async () => {
  ({ t, acme, token } = await acmeApp());
});
afterEach(() => t.close());

type Send = (method: string, path: string, body?: unknown) => Promise<ScimResponse>;

/** Okta's SCIM client: its Accept, its Content-Type with a charset, its User-Agent. */
const okta: Send = (method, path, body) =>
  scim(t, method, path, body, {
    token,
    headers: {
      accept: 'application/scim+json',
      'user-agent': 'Okta SCIM Client 1.0.0',
      ...(body === undefined ? {} : { 'content-type': 'application/scim+json; charset=utf-8' }),
    },
  });

/** Entra ID's provisioning service: application/scim+json both ways. */
const entra: Send = (method, path, body) =>
  scim(t, method, path, body, {
    token,
    headers: { accept: 'application/scim+json', ...(body === undefined ? {} : { 'content-type': 'application/scim+json' }) },
  });

interface FeedEvent {
  type: string;
  targetType: string;
  targetId: string;
  userAgent: string | null;
  data: Record<string, unknown>;
}

/** The events the API token caused, in feed order, once the feed shows every commit. */
async function tokenEvents(): Promise<FeedEvent[]> {
  await t.feedCaughtUp();
  const rows = await t.rows(
    `SELECT type, target_type AS "targetType", target_id AS "targetId", user_agent AS "userAgent", data FROM events WHERE actor_type = 'api_token' ORDER BY seq`,
  );
  return rows.map((r) => ({
    type: r.type as string,
    targetType: r.targetType as string,
    targetId: r.targetId as string,
    userAgent: (r.userAgent as string | null) ?? null,
    data: JSON.parse(r.data as string),
  }));
}

const emptyList = { schemas: [LIST_SCHEMA], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] };

function expectScimJson(res: ScimResponse, status: number) {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/scim+json; charset=utf-8');
}

describe('Okta', () => {
  it('checks before creating, creates, reads, PUTs a profile change with a password, deactivates without a path and reactivates', async () => {
    // 1. Does the user exist? userName eq, paged as Okta pages.
    const check = await okta('GET', '/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100');
    expectScimJson(check, 200);
    expect(check.body).toEqual(emptyList);

    // 2. It does not: create it.
    const created = await okta('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      userName: 'test.user@okta.local',
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
      displayName: 'Test User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      password: '1mz050nq',
      active: true,
    });
    expectScimJson(created, 201);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`${BASE}/Users/${id}`);
    expect(created.headers.get('etag')).toBe(created.body.meta.version);
    expect(created.body).toEqual({
      schemas: [USER_SCHEMA, TEAMAPI_USER],
      id,
      externalId: '00ujl29u0le5T6Aj10h7',
      userName: 'test.user@okta.local',
      name: { givenName: 'Test', familyName: 'User' },
      emails: [{ value: 'test.user@okta.local', type: 'work', primary: true }],
      active: true,
      roles: [{ value: 'member' }],
      [TEAMAPI_USER]: { username: 'test-user' },
      meta: { resourceType: 'User', created: expect.stringMatching(ISO), lastModified: expect.stringMatching(ISO), location: `${BASE}/Users/${id}`, version: expect.any(String) },
    });
    // Neither the password nor the attributes the product does not keep come back.
    expect(JSON.stringify(created.body)).not.toContain('1mz050nq');
    expect(created.body).not.toHaveProperty('displayName');
    expect(created.body).not.toHaveProperty('groups');
    // The same check now finds it.
    const found = await okta('GET', '/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100');
    expect(found.body).toMatchObject({ totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(found.body.Resources).toEqual([created.body]);

    // 3. Okta reads the user back by id.
    const read = await okta('GET', `/Users/${id}`);
    expectScimJson(read, 200);
    expect(read.body).toEqual(created.body);
    expect(read.headers.get('etag')).toBe(created.body.meta.version);

    // 4. A profile change: Okta PUTs the whole user, the password included.
    const put = await okta('PUT', `/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
      id,
      userName: 'test.user@okta.local',
      name: { givenName: 'Another', middleName: '', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work', display: 'test.user@okta.local' }],
      displayName: 'Another User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      password: 'OktaRocks',
      active: true,
    });
    expectScimJson(put, 200);
    expect(put.body).toMatchObject({ id, userName: 'test.user@okta.local', name: { givenName: 'Another', familyName: 'User' }, active: true });
    expect(put.body.emails).toEqual([{ value: 'test.user@okta.local', type: 'work', primary: true }]);
    expect(put.body[TEAMAPI_USER]).toEqual({ username: 'test-user' });
    expect(put.headers.get('etag')).not.toBe(created.body.meta.version);
    expect(JSON.stringify(put.body)).not.toContain('OktaRocks');
    expect((await t.app.services.members.get(acme.group, 'test-user')).user).toMatchObject({ id, firstName: 'Another', lastName: 'User', email: 'test.user@okta.local' });

    // 5. Deactivation: a PATCH without a path. The member has a session, and an SSO token minted before.
    const cookie = await acme.session('test-user');
    const mintedBefore = await acme.ssoToken('test-user');
    expect(await t.count('sessions')).toBe(1);
    const off = await okta('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: false } }] });
    expectScimJson(off, 200);
    expect(off.body).toMatchObject({ id, active: false, name: { givenName: 'Another', familyName: 'User' } });
    // Its sessions ended with it.
    expect(await t.count('sessions')).toBe(0);
    expect((await t.gql('{ viewer { user { username } } }', { cookie, host: acme.host })).body.data.viewer).toBeNull();
    // Sign-in refused: GraphQL createSSOToken…
    const graphql = await t.gql(CREATE_SSO_TOKEN, { token, variables: { username: 'test-user' } });
    expect(graphql.status).toBe(200);
    expect(graphql.body.data.createSSOToken).toEqual({ __typename: 'MemberSuspended', ...envelopeOf('MemberSuspended') });
    // …the REST route, in its error envelope…
    const rest = await postJson(t, '/-/api/ssotoken/create', { username: 'test-user' }, { token });
    expect(rest.status).toBe(403);
    expect(rest.headers.get('content-type')).toMatch(/^application\/json/);
    expect(rest.body).toEqual({ error: { status: 403, message: 'This member is suspended in this group.', code: 'MemberSuspended' } });
    // …and an SSO token minted before the deactivation signs nobody in.
    const login = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: mintedBefore } });
    expect(login.body.data.loginWithSSO).toEqual({ __typename: 'MemberSuspended', ...envelopeOf('MemberSuspended') });
    expect(await t.count('sessions')).toBe(0);
    // SCIM still returns the member, inactive.
    const inactive = await okta('GET', `/Users/${id}`);
    expect(inactive.body.active).toBe(false);

    // 6. Reactivation, the same shape.
    const on = await okta('PATCH', `/Users/${id}`, { schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'], Operations: [{ op: 'replace', value: { active: true } }] });
    expectScimJson(on, 200);
    expect(on.body.active).toBe(true);
    const again = await postJson(t, '/-/api/ssotoken/create', { username: 'test-user' }, { token });
    expect(again.status).toBe(200);
    expect(again.body.data.token).toEqual(expect.any(String));

    const events = await tokenEvents();
    const scimEvents = events.filter((e) => e.data.via === 'scim');
    expect(events.filter((e) => e.data.via !== 'scim').map((e) => e.type)).toEqual(['sso_token.created']);
    expect(scimEvents.map((e) => [e.type, e.targetType, e.targetId])).toEqual([
      ['user.created', 'user', id],
      ['user.updated', 'user', id],
      ['member.suspended', 'user', id],
      ['session.ended', 'user', id],
      ['member.reactivated', 'user', id],
    ]);
    const [userCreated, userUpdated, suspended, ended, reactivated] = scimEvents.map((e) => e.data);
    expect(userCreated).toEqual({ username: 'test-user', email: 'test.user@okta.local', firstName: 'Test', lastName: 'User', role: 'member', via: 'scim' });
    expect(userUpdated).toEqual({ username: 'test-user', changes: { firstName: { from: 'Test', to: 'Another' } }, via: 'scim' });
    expect(suspended).toEqual({ username: 'test-user', sessionsEnded: 1, via: 'scim' });
    expect(ended).toEqual({ username: 'test-user', sessionId: expect.any(String), reason: 'suspended', via: 'scim' });
    expect(reactivated).toEqual({ username: 'test-user', via: 'scim' });
    // Each records the request that caused it: Okta's user agent.
    for (const e of scimEvents) expect(e.userAgent).toBe('Okta SCIM Client 1.0.0');
  });

  it('pushes a group: looks for it, creates it with members, renames it, removes and adds members, deletes it', async () => {
    const ids: string[] = [];
    for (const [given, family] of [['Test', 'User'], ['Second', 'Person']] as const) {
      const userName = `${given.toLowerCase()}.${family.toLowerCase()}@okta.local`;
      const res = await okta('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User'],
        userName,
        name: { givenName: given, familyName: family },
        emails: [{ primary: true, value: userName, type: 'work' }],
        displayName: `${given} ${family}`,
        locale: 'en-US',
        externalId: `00u${given}`,
        groups: [],
        active: true,
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    const [first, second] = ids as [string, string];

    // Okta looks the group up by name before pushing it.
    const none = await okta('GET', '/Groups?filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100');
    expectScimJson(none, 200);
    expect(none.body).toEqual(emptyList);

    const created = await okta('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      displayName: 'Test SCIMv2',
      members: [{ value: first, display: 'test.user@okta.local' }],
    });
    expectScimJson(created, 201);
    const id = created.body.id as string;
    expect(created.headers.get('location')).toBe(`${BASE}/Groups/${id}`);
    expect(created.body).toEqual({
      schemas: [GROUP_SCHEMA],
      id,
      displayName: 'Test SCIMv2',
      members: [{ value: first, $ref: `${BASE}/Users/${first}`, type: 'User' }],
      meta: { resourceType: 'Group', created: expect.stringMatching(ISO), lastModified: expect.stringMatching(ISO), location: `${BASE}/Groups/${id}`, version: expect.any(String) },
    });
    const read = await okta('GET', `/Groups/${id}?excludedAttributes=members`);
    expectScimJson(read, 200);
    expect(read.body).toMatchObject({ id, displayName: 'Test SCIMv2' });
    expect(read.body).not.toHaveProperty('members');

    // Rename: with a path, and as Okta's reference shows it, the whole value without one (id included).
    const renamed = await okta('PATCH', `/Groups/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'displayName', value: 'Test SCIMv2 renamed' }],
    });
    expectScimJson(renamed, 200);
    expect(renamed.body.displayName).toBe('Test SCIMv2 renamed');
    expect(renamed.body.members.map((m: { value: string }) => m.value)).toEqual([first]);
    const renamedAgain = await okta('PATCH', `/Groups/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', value: { id, displayName: 'Engineering' } }],
    });
    expectScimJson(renamedAgain, 200);
    expect(renamedAgain.body).toMatchObject({ id, displayName: 'Engineering' });

    // Members out by a value filter, in by a value list.
    const removed = await okta('PATCH', `/Groups/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'remove', path: `members[value eq "${first}"]` }],
    });
    expectScimJson(removed, 200);
    expect(removed.body).not.toHaveProperty('members');
    const added = await okta('PATCH', `/Groups/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'add', path: 'members', value: [{ value: second, display: 'second.person@okta.local' }] }],
    });
    expectScimJson(added, 200);
    expect(added.body.members).toEqual([{ value: second, $ref: `${BASE}/Users/${second}`, type: 'User' }]);

    const byName = await okta('GET', '/Groups?filter=displayName%20eq%20%22Engineering%22&startIndex=1&count=100');
    expect(byName.body).toMatchObject({ schemas: [LIST_SCHEMA], totalResults: 1, startIndex: 1, itemsPerPage: 1 });
    expect(byName.body.Resources[0]).toMatchObject({ id, displayName: 'Engineering', members: [{ value: second }] });
    // The old name finds nothing.
    expect((await okta('GET', '/Groups?filter=displayName%20eq%20%22Test%20SCIMv2%22&startIndex=1&count=100')).body).toEqual(emptyList);

    const deleted = await okta('DELETE', `/Groups/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeNull();
    expect((await okta('GET', '/Groups?filter=displayName%20eq%20%22Engineering%22&startIndex=1&count=100')).body).toEqual(emptyList);
    expect((await okta('GET', `/Groups/${id}`)).status).toBe(404);
    // The users stay members of the group.
    expect((await okta('GET', '/Users?startIndex=1&count=100')).body.totalResults).toBe(2);

    const events = await tokenEvents();
    for (const e of events) expect(e.data.via).toBe('scim');
    const groupEvents = events.filter((e) => e.targetType === 'directory_group');
    expect(events.map((e) => e.type)).toEqual(['user.created', 'user.created', ...groupEvents.map((e) => e.type)]);
    expect(groupEvents.map((e) => [e.type, e.targetId, e.data])).toEqual([
      ['directory_group.created', id, { displayName: 'Test SCIMv2', externalId: null, via: 'scim' }],
      ['directory_group.member_added', id, { userId: first, username: 'test-user', via: 'scim' }],
      ['directory_group.updated', id, { changes: { displayName: { from: 'Test SCIMv2', to: 'Test SCIMv2 renamed' } }, via: 'scim' }],
      ['directory_group.updated', id, { changes: { displayName: { from: 'Test SCIMv2 renamed', to: 'Engineering' } }, via: 'scim' }],
      ['directory_group.member_removed', id, { userId: first, username: 'test-user', via: 'scim' }],
      ['directory_group.member_added', id, { userId: second, username: 'second-person', via: 'scim' }],
      ['directory_group.deleted', id, { displayName: 'Engineering', via: 'scim' }],
    ]);
  });
});

describe('Microsoft Entra ID', () => {
  it('tests the connection with a random userName: 200, totalResults 0, no Resources', async () => {
    const res = await entra('GET', `/Users?filter=userName+eq+%22${crypto.randomUUID()}%22`);
    expectScimJson(res, 200);
    expect(res.body).toEqual(emptyList);
    // A read: nothing written, nothing recorded.
    expect(await t.count('users')).toBe(0);
    expect(await tokenEvents()).toEqual([]);
  });

  it('provisions a user in its own shapes: "True", manager as a plain string, "Replace" with "False", "Add" on a value path, then deletes it', async () => {
    const byExternalId = '/Users?filter=externalId+eq+%220a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef%22';
    const lookup = await entra('GET', byExternalId);
    expectScimJson(lookup, 200);
    expect(lookup.body).toEqual(emptyList);

    const created = await entra('POST', '/Users', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1',
      active: 'True',
      emails: [{ primary: true, type: 'work', value: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'givenName familyName', familyName: 'familyName', givenName: 'givenName' },
      roles: [],
      'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User': { employeeNumber: '701984', department: 'Tour Operations', manager: 'OYZCJSRXELCP' },
    });
    expectScimJson(created, 201);
    const id = created.body.id as string;
    const username = created.body[TEAMAPI_USER].username as string;
    expect(username).toBe('test-user-ab6490ee-1e48-4');
    expect(created.body).toMatchObject({
      id,
      externalId: '0a21f0f2-8d2a-4f8e-bf98-7363c4aed4ef',
      userName: 'Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1',
      active: true,
      name: { givenName: 'givenName', familyName: 'familyName' },
      emails: [{ value: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com', type: 'work', primary: true }],
      roles: [{ value: 'member' }],
    });
    // The enterprise extension is accepted and not kept.
    expect(created.body).not.toHaveProperty([ENTERPRISE]);
    expect(JSON.stringify(created.body)).not.toContain('OYZCJSRXELCP');

    // Found by externalId, and by userName as Entra asks for it.
    const found = await entra('GET', byExternalId);
    expect(found.body).toMatchObject({ totalResults: 1, itemsPerPage: 1 });
    expect(found.body.Resources.map((r: { id: string }) => r.id)).toEqual([id]);
    const byUserName = await entra('GET', '/Users?filter=userName+eq+%22Test_User_ab6490ee-1e48-479e-a20b-2d77186b5dd1%22');
    expect(byUserName.body.Resources.map((r: { id: string }) => r.id)).toEqual([id]);

    // Entra's multi-operation PATCH: Add on the work email's value, Replace a name part, Add a manager.
    const patched = await entra('PATCH', `/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        { op: 'Add', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
        { op: 'Replace', path: 'name.givenName', value: 'updatedGivenName' },
        { op: 'Add', path: 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager', value: [{ $ref: null, value: '2819c223-7f76-453a-919d-413861904646' }] },
      ],
    });
    expectScimJson(patched, 200);
    expect(patched.body.emails).toEqual([{ value: 'updatedEmail@microsoft.com', type: 'work', primary: true }]);
    expect(patched.body.name).toEqual({ givenName: 'updatedGivenName', familyName: 'familyName' });
    expect(patched.body.active).toBe(true);
    expect(patched.body).not.toHaveProperty([ENTERPRISE]);
    expect((await t.app.services.scim.member(acme.group, id)).user).toMatchObject({ email: 'updatedEmail@microsoft.com', firstName: 'updatedGivenName' });

    // Disable: Replace with the string "False".
    const disabled = await entra('PATCH', `/Users/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Replace', path: 'active', value: 'False' }],
    });
    expectScimJson(disabled, 200);
    expect(disabled.body.active).toBe(false);
    const refused = await t.gql(CREATE_SSO_TOKEN, { token, variables: { username } });
    expect(refused.body.data.createSSOToken.__typename).toBe('MemberSuspended');

    const deleted = await entra('DELETE', `/Users/${id}`);
    expect(deleted.status).toBe(204);
    expect(deleted.body).toBeNull();
    expect((await entra('GET', `/Users/${id}`)).status).toBe(404);
    expect((await entra('GET', byExternalId)).body).toEqual(emptyList);
    // The membership went; the user record stays.
    expect(await t.count('users')).toBe(1);
    expect(await t.count('memberships')).toBe(0);

    const events = await tokenEvents();
    expect(events.map((e) => [e.type, e.targetId, e.data])).toEqual([
      [
        'user.created',
        id,
        { username, email: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com', firstName: 'givenName', lastName: 'familyName', role: 'member', via: 'scim' },
      ],
      [
        'user.updated',
        id,
        {
          username,
          changes: {
            email: { from: 'Test_User_fd0ea19b-0777-472c-9f96-4f70d2226f2e@testuser.com', to: 'updatedEmail@microsoft.com' },
            firstName: { from: 'givenName', to: 'updatedGivenName' },
          },
          via: 'scim',
        },
      ],
      ['member.suspended', id, { username, sessionsEnded: 0, via: 'scim' }],
      ['member.removed', id, { username, role: 'member', sessionsEnded: 0, via: 'scim' }],
    ]);
  });

  it('provisions a group: finds it without members, creates it, renames it, adds and removes members by value list, deletes it', async () => {
    const ids: string[] = [];
    for (const n of [1, 2, 3]) {
      const res = await entra('POST', '/Users', {
        schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
        externalId: `entra-${n}`,
        userName: `entra${n}@contoso.com`,
        active: 'True',
        emails: [{ primary: true, type: 'work', value: `entra${n}@contoso.com` }],
        meta: { resourceType: 'User' },
        name: { formatted: `Entra ${n}`, familyName: `${n}`, givenName: 'Entra' },
        roles: [],
      });
      expect(res.status).toBe(201);
      ids.push(res.body.id);
    }
    const [a, b, c] = ids as [string, string, string];

    const query = '/Groups?excludedAttributes=members&filter=displayName+eq+%22displayName%22';
    const none = await entra('GET', query);
    expectScimJson(none, 200);
    expect(none.body).toEqual(emptyList);

    const created = await entra('POST', '/Groups', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group', 'http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group'],
      externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159',
      displayName: 'displayName',
      meta: { resourceType: 'Group' },
    });
    expectScimJson(created, 201);
    const id = created.body.id as string;
    expect(created.body).toMatchObject({ schemas: [GROUP_SCHEMA], id, externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'displayName', meta: { resourceType: 'Group' } });
    expect(created.body).not.toHaveProperty('members');

    const add = await entra('PATCH', `/Groups/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Add', path: 'members', value: [{ $ref: null, value: a }, { $ref: null, value: b }, { $ref: null, value: c }] }],
    });
    expectScimJson(add, 200);
    expect(add.body.members.map((m: { value: string }) => m.value).sort()).toEqual([a, b, c].sort());

    // Found by name, without its members, as Entra asks.
    const found = await entra('GET', query);
    expect(found.body).toMatchObject({ totalResults: 1, itemsPerPage: 1 });
    expect(found.body.Resources[0]).toMatchObject({ id, displayName: 'displayName', externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159' });
    expect(found.body.Resources[0]).not.toHaveProperty('members');

    const remove = await entra('PATCH', `/Groups/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Remove', path: 'members', value: [{ $ref: null, value: a }] }],
    });
    expectScimJson(remove, 200);
    expect(remove.body.members.map((m: { value: string }) => m.value).sort()).toEqual([b, c].sort());

    const renamed = await entra('PATCH', `/Groups/${id}`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'Replace', path: 'displayName', value: '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName' }],
    });
    expectScimJson(renamed, 200);
    expect(renamed.body.displayName).toBe('1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName');
    expect(renamed.body.members.map((m: { value: string }) => m.value).sort()).toEqual([b, c].sort());
    expect((await entra('GET', query)).body).toEqual(emptyList);

    expect((await entra('DELETE', `/Groups/${id}`)).status).toBe(204);
    expect((await entra('GET', `/Groups/${id}`)).status).toBe(404);

    const events = await tokenEvents();
    for (const e of events) expect(e.data.via).toBe('scim');
    const groupEvents = events.filter((e) => e.targetType === 'directory_group');
    expect(events.slice(0, 3).map((e) => e.type)).toEqual(['user.created', 'user.created', 'user.created']);
    expect(groupEvents.map((e) => e.type)).toEqual([
      'directory_group.created',
      'directory_group.member_added',
      'directory_group.member_added',
      'directory_group.member_added',
      'directory_group.member_removed',
      'directory_group.updated',
      'directory_group.deleted',
    ]);
    expect(groupEvents[0]!.data).toEqual({ displayName: 'displayName', externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', via: 'scim' });
    expect(groupEvents.slice(1, 4).map((e) => e.data.userId).sort()).toEqual([a, b, c].sort());
    expect(groupEvents[4]!.data).toEqual({ userId: a, username: 'entra1', via: 'scim' });
    expect(groupEvents[5]!.data).toEqual({ changes: { displayName: { from: 'displayName', to: '1879db59-3bdf-4490-ad68-ab880a269474updatedDisplayName' } }, via: 'scim' });
  });

  it('with ?aadOptscim062020: no-path replace with dotted keys, real booleans, a members value filter', async () => {
    const created = await entra('POST', '/Users?aadOptscim062020', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:User', 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User'],
      externalId: 'b8a5d7c5-8f1b-4b4b-9a43-7a1f0b3c2d11',
      userName: 'rfc.user@contoso.com',
      active: true,
      emails: [{ primary: true, type: 'work', value: 'rfc.user@contoso.com' }],
      meta: { resourceType: 'User' },
      name: { formatted: 'Rfc User', familyName: 'User', givenName: 'Rfc' },
      roles: [],
    });
    expectScimJson(created, 201);
    const id = created.body.id as string;
    expect(created.body.active).toBe(true);

    // The RFC shape: no path, an object of (dotted) attribute names, a real boolean.
    const patched = await entra('PATCH', `/Users/${id}?aadOptscim062020`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [
        {
          op: 'replace',
          value: { displayName: 'Pvlo', 'emails[type eq "work"].value': 'rfc.renamed@contoso.com', 'name.givenName': 'A', 'name.familyName': 'Vmpto', active: false },
        },
      ],
    });
    expectScimJson(patched, 200);
    expect(patched.body).toMatchObject({ id, name: { givenName: 'A', familyName: 'Vmpto' }, active: false });
    expect(patched.body.emails).toEqual([{ value: 'rfc.renamed@contoso.com', type: 'work', primary: true }]);
    expect(patched.body).not.toHaveProperty('displayName');
    expect((await t.app.services.scim.member(acme.group, id)).suspendedAt).not.toBeNull();

    const enabled = await entra('PATCH', `/Users/${id}?aadOptscim062020`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'replace', path: 'active', value: true }],
    });
    expectScimJson(enabled, 200);
    expect(enabled.body.active).toBe(true);

    const group = await entra('POST', '/Groups?aadOptscim062020', {
      schemas: ['urn:ietf:params:scim:schemas:core:2.0:Group'],
      externalId: 'c6ad2f5e-4d07-4a26-9e1e-6c27c7fd4a1b',
      displayName: 'RFC group',
      meta: { resourceType: 'Group' },
    });
    expectScimJson(group, 201);
    const groupId = group.body.id as string;
    const added = await entra('PATCH', `/Groups/${groupId}?aadOptscim062020`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'add', path: 'members', value: [{ value: id }] }],
    });
    expect(added.body.members.map((m: { value: string }) => m.value)).toEqual([id]);
    const removed = await entra('PATCH', `/Groups/${groupId}?aadOptscim062020`, {
      schemas: ['urn:ietf:params:scim:api:messages:2.0:PatchOp'],
      Operations: [{ op: 'remove', path: `members[value eq "${id}"]` }],
    });
    expectScimJson(removed, 200);
    expect(removed.body).not.toHaveProperty('members');
    expect(await t.count('directory_group_members')).toBe(0);

    const deleted = await entra('DELETE', `/Users/${id}?aadOptscim062020`);
    expect(deleted.status).toBe(204);
    expect((await entra('GET', `/Users/${id}?aadOptscim062020`)).status).toBe(404);

    const events = await tokenEvents();
    expect(events.map((e) => e.type)).toEqual([
      'user.created',
      'user.updated',
      'member.suspended',
      'member.reactivated',
      'directory_group.created',
      'directory_group.member_added',
      'directory_group.member_removed',
      'member.removed',
    ]);
    for (const e of events) expect(e.data.via).toBe('scim');
    expect(events[1]!.data.changes).toEqual({
      email: { from: 'rfc.user@contoso.com', to: 'rfc.renamed@contoso.com' },
      firstName: { from: 'Rfc', to: 'A' },
      lastName: { from: 'User', to: 'Vmpto' },
    });
  });
});
