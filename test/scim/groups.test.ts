/** SCIM Groups: directory groups (API.md §18), their members, and the admin mapping, through app.fetch. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { envelopeOf } from '../../src/errors/catalog.ts';
import { acmeApp, type GroupSeed, type TestApp } from '../support/harness.ts';
import { errorOf, GROUP_SCHEMA, patchOps, type ScimClient, scimClient, userBody } from '../support/scim.ts';

let t: TestApp;
let acme: GroupSeed;
let token: string;
let c: ScimClient;

beforeEach(async () => {
  const app = await acmeApp();
  t = app.t;
  acme = app.acme;
  token = app.token;
  c = scimClient(t, token);
});
afterEach(() => t.close());

async function users(n: number, prefix = 'u'): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) ids.push((await c.post('/Users', userBody(`${prefix}${i}@example.com`))).body.id);
  return ids;
}

const members = (res: { body: any }) => (res.body.members ?? []).map((m: { value: string }) => m.value).sort();

describe('directory groups', () => {
  it('creates, reads, replaces and deletes a group with its members', async () => {
    const [a, b, x] = await users(3);
    const created = await c.post('/Groups', { schemas: [GROUP_SCHEMA], displayName: 'Engineering', externalId: 'ext-eng', members: [{ value: a }, { value: 'not-a-member' }] });
    expect(created.status).toBe(201);
    expect(created.headers.get('location')).toBe(`http://localhost:4000/scim/v2/Groups/${created.body.id}`);
    expect(created.body).toMatchObject({ schemas: [GROUP_SCHEMA], displayName: 'Engineering', externalId: 'ext-eng', meta: { resourceType: 'Group' } });
    expect(members(created)).toEqual([a]);
    const id = created.body.id;
    const replaced = await c.put(`/Groups/${id}`, { schemas: [GROUP_SCHEMA], displayName: 'Eng', members: [{ value: b }, { value: x }] });
    expect(replaced.status).toBe(200);
    expect(replaced.body).not.toHaveProperty('externalId');
    expect(members(replaced)).toEqual([b, x].sort());
    expect((await c.get(`/Groups/${id}?excludedAttributes=members`)).body).not.toHaveProperty('members');
    expect((await c.delete(`/Groups/${id}`)).status).toBe(204);
    expect((await c.get(`/Groups/${id}`)).status).toBe(404);
  });

  it('keeps displayName unique in the group, case-insensitively: 409 uniqueness', async () => {
    await c.post('/Groups', { displayName: 'Sales' });
    const again = await c.post('/Groups', { displayName: 'SALES' });
    expect(errorOf(again)).toMatchObject({ status: 409, scimType: 'uniqueness' });
    const other = await t.seed.group('globex');
    expect((await scimClient(t, await other.token()).post('/Groups', { displayName: 'Sales' })).status).toBe(201);
  });

  it('finds groups by displayName (Entra) and lists them with integer totals', async () => {
    await c.post('/Groups', { displayName: 'One' });
    await c.post('/Groups', { displayName: 'Two' });
    const found = await c.get(`/Groups?filter=${encodeURIComponent('displayName eq "two"')}&excludedAttributes=members`);
    expect(found.body).toMatchObject({ totalResults: 1, itemsPerPage: 1, startIndex: 1 });
    expect(found.body.Resources[0].displayName).toBe('Two');
    expect((await c.get('/Groups?count=1&startIndex=2')).body).toMatchObject({ totalResults: 2, itemsPerPage: 1 });
  });

  it('adds and removes members in both shapes Entra and Okta send, and replaces them', async () => {
    const [a, b, x] = await users(3);
    const id = (await c.post('/Groups', { displayName: 'G' })).body.id;
    await c.patch(`/Groups/${id}`, patchOps({ op: 'Add', path: 'members', value: [{ value: a }, { value: b }, { value: x }] }));
    expect(members(await c.get(`/Groups/${id}`))).toEqual([a, b, x].sort());
    // Entra: a value list.
    await c.patch(`/Groups/${id}`, patchOps({ op: 'Remove', path: 'members', value: [{ value: a }] }));
    // Okta and RFC 7644: a value filter.
    const okta = await c.patch(`/Groups/${id}`, patchOps({ op: 'remove', path: `members[value eq "${b}"]` }));
    expect(okta.status).toBe(200);
    expect(members(okta)).toEqual([x]);
    const replaced = await c.patch(`/Groups/${id}`, patchOps({ op: 'replace', path: 'members', value: [{ value: a }] }, { op: 'replace', value: { displayName: 'G2' } }));
    expect(replaced.body.displayName).toBe('G2');
    expect(members(replaced)).toEqual([a]);
    await c.patch(`/Groups/${id}`, patchOps({ op: 'remove', path: 'members' }));
    expect(members(await c.get(`/Groups/${id}`))).toEqual([]);
  });

  it('takes 1,000 member changes in one PATCH', async () => {
    const ids: string[] = [];
    const many = Array.from({ length: 1000 }, (_, i) => ({ email: `bulk${i}@example.com`, username: `bulk${i}` }));
    for (const outcome of await t.app.services.users.createMany(acme.group, many, (await import('../../src/domain/events.ts')).CLI_CALLER)) {
      ids.push((outcome as { id: string }).id);
    }
    const id = (await c.post('/Groups', { displayName: 'Big' })).body.id;
    const res = await c.patch(`/Groups/${id}?excludedAttributes=members`, patchOps({ op: 'add', path: 'members', value: ids.map((value) => ({ value })) }));
    expect(res.status).toBe(200);
    expect(await t.count('directory_group_members')).toBe(1000);
    await t.feedCaughtUp();
    expect(Number((await t.rows(`SELECT count(*) AS n FROM events WHERE type = 'directory_group.member_added'`))[0]!.n)).toBe(1000);
  });

  it('removing a member from the group takes it out of its directory groups', async () => {
    const [a] = await users(1);
    const id = (await c.post('/Groups', { displayName: 'G', members: [{ value: a }] })).body.id;
    await c.delete(`/Users/${a}`);
    expect(members(await c.get(`/Groups/${id}`))).toEqual([]);
  });

  it('records directory group events with data.via "scim"', async () => {
    const [a] = await users(1);
    const id = (await c.post('/Groups', { displayName: 'G' })).body.id;
    await c.patch(`/Groups/${id}`, patchOps({ op: 'add', path: 'members', value: [{ value: a }] }, { op: 'replace', path: 'displayName', value: 'H' }));
    await c.patch(`/Groups/${id}`, patchOps({ op: 'remove', path: 'members', value: [{ value: a }] }));
    await c.delete(`/Groups/${id}`);
    await t.feedCaughtUp();
    const events = await t.rows(`SELECT type, target_type AS "targetType", target_name AS "targetName", data FROM events WHERE type LIKE 'directory_group.%' ORDER BY seq`);
    expect(events.map((e) => e.type)).toEqual([
      'directory_group.created',
      'directory_group.updated',
      'directory_group.member_added',
      'directory_group.member_removed',
      'directory_group.deleted',
    ]);
    for (const e of events) {
      expect(e.targetType).toBe('directory_group');
      expect(JSON.parse(e.data as string).via).toBe('scim');
    }
  });
});

describe('the admin directory group', () => {
  const setAdminGroup = (id: string | null, cookie: string) =>
    t.gql(`mutation($id: ID) { updateGroup(input: { adminDirectoryGroup: $id }) { __typename
      ... on UpdateGroupSuccess { group { adminDirectoryGroup { id displayName } } }
      ... on InvalidInput { code field } } }`, { cookie, host: acme.host, variables: { id } });

  it('makes the members of the mapped directory group admins and everyone else a member, as memberships change', async () => {
    await acme.user('boss', { role: 'admin' });
    const cookie = await acme.session('boss');
    const [a, b] = (await users(2)) as [string, string];
    const id = (await c.post('/Groups', { displayName: 'Admins', members: [{ value: a }] })).body.id;
    const set = await setAdminGroup(id, cookie);
    expect(set.body.data.updateGroup).toEqual({ __typename: 'UpdateGroupSuccess', group: { adminDirectoryGroup: { id, displayName: 'Admins' } } });
    const roles = async () => Object.fromEntries((await c.get('/Users')).body.Resources.map((r: any) => [r.id, r.roles[0].value]));
    expect((await roles())[a]).toBe('admin');
    expect((await roles())[b]).toBe('member');
    // boss is not in the directory group: no longer an admin (the next request sees it).
    expect(Object.values(await roles()).filter((r) => r === 'admin')).toHaveLength(1);
    await c.patch(`/Groups/${id}`, patchOps({ op: 'add', path: 'members', value: [{ value: b }] }));
    expect((await roles())[b]).toBe('admin');
    await c.patch(`/Groups/${id}`, patchOps({ op: 'remove', path: 'members', value: [{ value: a }] }));
    expect((await roles())[a]).toBe('member');
    // The last admin stays: 400 mutability, nothing changed.
    const last = await c.patch(`/Groups/${id}`, patchOps({ op: 'remove', path: 'members', value: [{ value: b }] }));
    expect(errorOf(last)).toMatchObject({ status: 400, scimType: 'mutability', code: 'InvalidInput' });
    expect(last.body.detail).toBe(envelopeOf('InvalidInput').message);
    expect((await roles())[b]).toBe('admin');
    // roles in a user write do not override the mapping.
    const put = await c.put(`/Users/${a}`, userBody('u0@example.com', { roles: [{ value: 'admin' }] }));
    expect(put.body.roles).toEqual([{ value: 'member' }]);
  });

  it('refuses mapping an empty directory group (InvalidInput, field adminDirectoryGroup) and an unknown id', async () => {
    await acme.user('boss', { role: 'admin' });
    const cookie = await acme.session('boss');
    const id = (await c.post('/Groups', { displayName: 'Empty' })).body.id;
    expect((await setAdminGroup(id, cookie)).body.data.updateGroup).toEqual({ __typename: 'InvalidInput', code: 'InvalidInput', field: 'adminDirectoryGroup' });
    expect((await setAdminGroup('nope', cookie)).body.data.updateGroup).toMatchObject({ __typename: 'InvalidInput', field: 'adminDirectoryGroup' });
    const cleared = await setAdminGroup(null, cookie);
    expect(cleared.body.data.updateGroup.group.adminDirectoryGroup).toBeNull();
  });

  it('shows directory groups in GraphQL: directoryGroups, Member.directoryGroups and Member.active', async () => {
    const [a] = await users(1);
    const id = (await c.post('/Groups', { displayName: 'Readers', externalId: 'r', members: [{ value: a }] })).body.id;
    await c.patch(`/Users/${a}`, patchOps({ op: 'replace', path: 'active', value: false }));
    const res = await t.gql(`{ directoryGroups { edges { node { id displayName externalId members { edges { node { user { id } active } } } } } }
      group { members { edges { node { active directoryGroups { displayName } } } } } }`, { token });
    expect(res.body.data.directoryGroups.edges).toEqual([
      { node: { id, displayName: 'Readers', externalId: 'r', members: { edges: [{ node: { user: { id: a }, active: false } }] } } },
    ]);
    expect(res.body.data.group.members.edges).toEqual([{ node: { active: false, directoryGroups: [{ displayName: 'Readers' }] } }]);
  });
});
