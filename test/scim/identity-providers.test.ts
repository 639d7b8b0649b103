/**
 * The request sequences Okta and Microsoft Entra ID send, written out as their public
 * documentation shows them (Okta's "SCIM 2.0 protocol reference" and Entra ID's
 * "Tutorial: Develop and plan provisioning for a SCIM endpoint"), replayed through
 * app.fetch on the run's database: every step answers what the provider expects.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envelopeOf } from '../../src/errors/catalog.ts';
import { acmeApp, type GroupSeed, type TestApp } from '../support/harness.ts';
import { postJson } from '../support/rest.ts';
import { GROUP_SCHEMA, PATCH_SCHEMA, type ScimClient, scimClient, USER_SCHEMA } from '../support/scim.ts';

const ENTERPRISE = 'urn:ietf:params:scim:schemas:extension:enterprise:2.0:User';

let t: TestApp;
let acme: GroupSeed;
let token: string;
let c: ScimClient;

beforeEach(async () => {
  ({ t, acme, token } = await acmeApp());
  c = scimClient(t, token);
});
afterEach(() => t.close());

async function scimEvents(): Promise<Array<{ type: string; via: string | undefined }>> {
  await t.feedCaughtUp();
  const rows = await t.rows(`SELECT type, data FROM events WHERE actor_type = 'api_token' ORDER BY seq`);
  return rows.map((r) => ({ type: r.type as string, via: JSON.parse(r.data as string).via }));
}

describe('Okta', () => {
  it('provisions, updates, deactivates and reactivates a user', async () => {
    // Okta checks first whether the user exists.
    const check = await c.get('/Users?filter=userName%20eq%20%22test.user%40okta.local%22&startIndex=1&count=100');
    expect(check.status).toBe(200);
    expect(check.body).toEqual({ schemas: ['urn:ietf:params:scim:api:messages:2.0:ListResponse'], totalResults: 0, startIndex: 1, itemsPerPage: 0, Resources: [] });

    const created = await c.post('/Users', {
      schemas: [USER_SCHEMA],
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
    expect(created.status).toBe(201);
    const id = created.body.id;
    expect(created.body).toMatchObject({ userName: 'test.user@okta.local', externalId: '00ujl29u0le5T6Aj10h7', active: true });

    expect((await c.get(`/Users/${id}`)).body.userName).toBe('test.user@okta.local');

    // A profile change: Okta PUTs the whole user, password included.
    const put = await c.put(`/Users/${id}`, {
      schemas: [USER_SCHEMA],
      id,
      userName: 'test.user@okta.local',
      name: { givenName: 'Another', familyName: 'User' },
      emails: [{ primary: true, value: 'test.user@okta.local', type: 'work' }],
      displayName: 'Another User',
      locale: 'en-US',
      externalId: '00ujl29u0le5T6Aj10h7',
      groups: [],
      password: 'OktaRocks',
      active: true,
    });
    expect(put.status).toBe(200);
    expect(put.body.name).toEqual({ givenName: 'Another', familyName: 'User' });

    // Deactivation: a PATCH without a path.
    const session = await acme.session('test-user');
    expect(session).toMatch(/^session=/);
    const off = await c.patch(`/Users/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', value: { active: false } }] });
    expect(off.status).toBe(200);
    expect(off.body.active).toBe(false);
    expect(await t.count('sessions')).toBe(0);
    const graphql = await t.gql('mutation { createSSOToken(username: "test-user") { __typename ... on Error { code status message } } }', { token });
    expect(graphql.body.data.createSSOToken).toEqual({ __typename: 'MemberSuspended', ...envelopeOf('MemberSuspended') });
    const rest = await postJson(t, '/-/api/ssotoken/create', { username: 'test-user' }, { token });
    expect(rest.status).toBe(403);
    expect(rest.body).toEqual({ error: envelopeOf('MemberSuspended') });

    const on = await c.patch(`/Users/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'replace', value: { active: true } }] });
    expect(on.body.active).toBe(true);
    expect((await postJson(t, '/-/api/ssotoken/create', { username: 'test-user' }, { token })).status).toBe(200);

    expect(await scimEvents()).toEqual([
      { type: 'user.created', via: 'scim' },
      { type: 'user.updated', via: 'scim' },
      { type: 'member.suspended', via: 'scim' },
      { type: 'session.ended', via: 'scim' },
      { type: 'member.reactivated', via: 'scim' },
      { type: 'sso_token.created', via: undefined },
    ]);
  });

  it('pushes a group: create with members, rename, remove and add members, find, delete', async () => {
    const ids: string[] = [];
    for (const n of [1, 2]) ids.push((await c.post('/Users', { schemas: [USER_SCHEMA], userName: `okta${n}@okta.local`, emails: [{ value: `okta${n}@okta.local`, primary: true }] })).body.id);
    const created = await c.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Test SCIMv2', members: [{ value: ids[0], display: 'okta1@okta.local' }] });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const renamed = await c.patch(`/Groups/${id}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [{ op: 'replace', value: { id, displayName: 'Test SCIMv2 renamed' } }],
    });
    expect(renamed.body.displayName).toBe('Test SCIMv2 renamed');
    const removed = await c.patch(`/Groups/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'remove', path: `members[value eq "${ids[0]}"]` }] });
    expect(removed.body).not.toHaveProperty('members');
    const added = await c.patch(`/Groups/${id}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [{ op: 'add', path: 'members', value: [{ value: ids[1], display: 'okta2@okta.local' }] }],
    });
    expect(added.body.members.map((m: { value: string }) => m.value)).toEqual([ids[1]]);
    const found = await c.get(`/Groups?filter=${encodeURIComponent('displayName eq "Test SCIMv2 renamed"')}&startIndex=1&count=100`);
    expect(found.body.totalResults).toBe(1);
    expect((await c.delete(`/Groups/${id}`)).status).toBe(204);
    expect((await scimEvents()).map((e) => e.type)).toEqual([
      'user.created',
      'user.created',
      'directory_group.created',
      'directory_group.member_added',
      'directory_group.updated',
      'directory_group.member_removed',
      'directory_group.member_added',
      'directory_group.deleted',
    ]);
  });
});

describe('Microsoft Entra ID', () => {
  it('tests the connection with a random userName: 200 and an empty list', async () => {
    const res = await c.get(`/Users?filter=userName+eq+%22${crypto.randomUUID()}%22`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ totalResults: 0, Resources: [] });
  });

  it('provisions a user with its own shapes: "True", manager as a string, "Replace" with "False", value paths', async () => {
    expect((await c.get(`/Users?filter=${encodeURIComponent('externalId eq "58342554-38d6-4ec8-948c-50044d0a33fd"')}`)).body.totalResults).toBe(0);
    const created = await c.post('/Users', {
      schemas: [USER_SCHEMA, ENTERPRISE],
      externalId: '58342554-38d6-4ec8-948c-50044d0a33fd',
      userName: 'Test_User_feed3ace-693c-4e5a-82e2-694be1b39934',
      active: 'True',
      displayName: 'displayName',
      emails: [{ primary: true, type: 'work', value: 'Test_User_22370c1a-9012-42b2-bf64-86099c2a1c22@testuser.com' }],
      meta: { resourceType: 'User' },
      name: { familyName: 'familyName', givenName: 'givenName' },
      roles: [],
      [ENTERPRISE]: { manager: 'OYZCJSRXELCP', department: 'Engineering' },
    });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const byExternalId = await c.get(`/Users?filter=${encodeURIComponent('externalId eq "58342554-38d6-4ec8-948c-50044d0a33fd"')}`);
    expect(byExternalId.body.Resources.map((r: any) => r.id)).toEqual([id]);

    const patched = await c.patch(`/Users/${id}`, {
      schemas: [PATCH_SCHEMA],
      Operations: [
        { op: 'Replace', path: 'emails[type eq "work"].value', value: 'updatedEmail@microsoft.com' },
        { op: 'Replace', path: 'name.familyName', value: 'updatedFamilyName' },
        { op: 'Add', path: `${ENTERPRISE}:manager`, value: [{ $ref: null, value: 'NewManager' }] },
      ],
    });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ emails: [{ value: 'updatedEmail@microsoft.com', type: 'work', primary: true }], name: { familyName: 'updatedFamilyName' } });

    const disabled = await c.patch(`/Users/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Replace', path: 'active', value: 'False' }] });
    expect(disabled.body.active).toBe(false);
    expect((await c.delete(`/Users/${id}`)).status).toBe(204);
    expect((await scimEvents()).map((e) => e.type)).toEqual(['user.created', 'user.updated', 'member.suspended', 'member.removed']);
  });

  it('provisions a group: find it without members, create, add and remove members in its own shapes', async () => {
    const ids: string[] = [];
    for (const n of [1, 2]) ids.push((await c.post('/Users', { userName: `entra${n}@contoso.com`, emails: [{ value: `entra${n}@contoso.com`, type: 'work', primary: true }] })).body.id);
    const none = await c.get(`/Groups?excludedAttributes=members&filter=displayName+eq+%22displayName%22`);
    expect(none.body).toMatchObject({ totalResults: 0, Resources: [] });
    const created = await c.post('/Groups', { schemas: [GROUP_SCHEMA], externalId: '8aa1a0c0-c4c3-4bc0-b4a5-2ef676900159', displayName: 'displayName', meta: { resourceType: 'Group' } });
    expect(created.status).toBe(201);
    const id = created.body.id;
    const add = await c.patch(`/Groups/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Add', path: 'members', value: ids.map((value) => ({ value })) }] });
    expect(add.status).toBe(200);
    const remove = await c.patch(`/Groups/${id}`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'Remove', path: 'members', value: [{ value: ids[0] }] }] });
    expect(remove.body.members.map((m: { value: string }) => m.value)).toEqual([ids[1]]);
    const found = await c.get(`/Groups?excludedAttributes=members&filter=displayName+eq+%22displayName%22`);
    expect(found.body.Resources[0]).not.toHaveProperty('members');
  });

  it('with aadOptscim062020: the RFC shapes, dotted keys without a path, real booleans, a members filter', async () => {
    const user = (await c.post('/Users?aadOptscim062020', { userName: 'rfc@contoso.com', emails: [{ value: 'rfc@contoso.com', primary: true }] })).body;
    const patched = await c.patch(`/Users/${user.id}?aadOptscim062020`, {
      schemas: [PATCH_SCHEMA],
      Operations: [{ op: 'replace', value: { 'name.givenName': 'Rfc', 'name.familyName': 'Shape', active: false } }],
    });
    expect(patched.body).toMatchObject({ name: { givenName: 'Rfc', familyName: 'Shape' }, active: false });
    const group = (await c.post('/Groups?aadOptscim062020', { displayName: 'RFC', members: [{ value: user.id }] })).body;
    const removed = await c.patch(`/Groups/${group.id}?aadOptscim062020`, { schemas: [PATCH_SCHEMA], Operations: [{ op: 'remove', path: `members[value eq "${user.id}"]` }] });
    expect(removed.status).toBe(200);
    expect(removed.body).not.toHaveProperty('members');
    const events = await scimEvents();
    expect(events.every((e) => e.via === 'scim')).toBe(true);
  });
});
