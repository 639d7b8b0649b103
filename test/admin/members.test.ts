/** Group.members, user(username) and removeMember: paging, errors, and never another group's members. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { VIEWER } from '../support/documents.ts';
import {
  expectResultError,
  expectTransportError,
  MEMBERS,
  MEMBERS_BY_TOKEN,
  REMOVE_MEMBER,
  USER,
} from '../support/admin-documents.ts';
import { createTestApp, type GroupSeed, type TestApp, TestClock, type TestResponse } from '../support/harness.ts';

let t: TestApp;
let clock: TestClock;
let acme: GroupSeed;
let globex: GroupSeed;
let adminCookie: string;

beforeEach(async () => {
  clock = new TestClock(Date.parse('2026-01-01T00:00:00Z'));
  t = await createTestApp({ clock });
  acme = await t.seed.group('acme');
  globex = await t.seed.group('globex');
  await acme.user('alice', { role: 'admin' });
  for (const name of ['brian', 'carol', 'david']) {
    clock.advance(1000);
    await acme.user(name);
  }
  await globex.user('gina', { role: 'admin' });
  await globex.user('gus-globex');
  adminCookie = await acme.session('alice');
});

afterEach(() => t.close());

const usernames = (connection: any) => connection.edges.map((e: any) => e.node.user.username);

describe('Group.members', () => {
  it('lists the group’s members oldest first, with role and join time', async () => {
    const res = await t.gql(MEMBERS, { host: acme.host, cookie: adminCookie });
    expect(res.status).toBe(200);
    const members = res.body.data.viewer.group.members;
    expect(usernames(members)).toEqual(['alice', 'brian', 'carol', 'david']);
    expect(members.edges[0].node).toEqual({
      role: 'admin',
      joinedAt: '2026-01-01T00:00:00.000Z',
      user: { username: 'alice' },
    });
    expect(members.edges[1].node.role).toBe('member');
    expect(members.pageInfo).toEqual({ hasNextPage: false, endCursor: members.edges[3].cursor });
  });

  it('pages with first and after, to the end', async () => {
    const seen: string[] = [];
    let after: string | null = null;
    for (let page = 0; page < 3; page++) {
      const res: TestResponse = await t.gql(MEMBERS_BY_TOKEN, {
        host: acme.host,
        token: await acme.token(),
        variables: { first: 3, after },
      });
      const { edges, pageInfo }: { edges: unknown[]; pageInfo: { endCursor: string | null; hasNextPage: boolean } } =
        res.body.data.group.members;
      seen.push(...usernames({ edges }));
      after = pageInfo.endCursor;
      if (!pageInfo.hasNextPage) break;
    }
    expect(seen).toEqual(['alice', 'brian', 'carol', 'david']);
  });

  it('pages members who joined in the same millisecond without losing any', async () => {
    for (const name of ['emma', 'frank', 'grace', 'henry']) await acme.user(name);
    const seen: string[] = [];
    let after: string | null = null;
    let hasNextPage = true;
    while (hasNextPage) {
      const res: TestResponse = await t.gql(MEMBERS, { host: acme.host, cookie: adminCookie, variables: { first: 1, after } });
      const members: any = res.body.data.viewer.group.members;
      seen.push(...usernames(members));
      ({ hasNextPage, endCursor: after } = members.pageInfo);
    }
    expect(seen.sort()).toEqual(['alice', 'brian', 'carol', 'david', 'emma', 'frank', 'grace', 'henry']);
  });

  it('answers first: 0 with no edges and a null endCursor', async () => {
    const res = await t.gql(MEMBERS, { host: acme.host, cookie: adminCookie, variables: { first: 0 } });
    expect(res.body.data.viewer.group.members).toEqual({ edges: [], pageInfo: { hasNextPage: true, endCursor: null } });
  });

  it('takes up to 100 and refuses more, or a negative first: InvalidInput (field first)', async () => {
    const ok = await t.gql(MEMBERS, { host: acme.host, cookie: adminCookie, variables: { first: 100 } });
    expect(usernames(ok.body.data.viewer.group.members)).toHaveLength(4);
    for (const first of [101, -1]) {
      const res = await t.gql(MEMBERS, { host: acme.host, cookie: adminCookie, variables: { first } });
      expectTransportError(res, 'InvalidInput', 'first');
      expect(res.body.errors[0].message).toMatch(/between 0 and 100/);
    }
  });

  it('refuses a cursor it did not write: InvalidInput (field after)', async () => {
    const sessionCursor = Buffer.from(JSON.stringify({ createdAt: 1, id: 'x' })).toString('base64url');
    const extraKey = Buffer.from(JSON.stringify({ joinedAt: 1, userId: 'x', more: 1 })).toString('base64url');
    for (const after of ['', 'not-a-cursor', '!!!', sessionCursor, extraKey, 'x'.repeat(600)]) {
      const res = await t.gql(MEMBERS, { host: acme.host, cookie: adminCookie, variables: { after } });
      expectTransportError(res, 'InvalidInput', 'after');
    }
  });

  it('never lists another group’s members, through a token or an admin', async () => {
    const byToken = await t.gql(MEMBERS_BY_TOKEN, { host: globex.host, token: await globex.token() });
    expect(usernames(byToken.body.data.group.members).sort()).toEqual(['gina', 'gus-globex']);
    const byAdmin = await t.gql(MEMBERS, { host: acme.host, cookie: adminCookie });
    expect(usernames(byAdmin.body.data.viewer.group.members)).not.toContain('gina');
  });

  it('is not reachable through the result of a login (that request has no session yet)', async () => {
    const token = await acme.ssoToken('alice');
    const query = `mutation ($token: String!) {
      loginWithSSO(token: $token) { ... on LoginWithSSOSuccess { session { group { members { edges { cursor } } } } } }
    }`;
    const res = await t.gql(query, { host: acme.host, variables: { token } });
    expectTransportError(res, 'UnauthorizedRequest');
  });
});

describe('user', () => {
  it('returns a member of the group, by admin or API token', async () => {
    const byAdmin = await t.gql(USER, { host: acme.host, cookie: adminCookie, variables: { username: '  Carol ' } });
    expect(byAdmin.body.data.user).toMatchObject({ __typename: 'User', username: 'carol', email: 'carol@example.com' });
    const byToken = await t.gql(USER, { host: acme.host, token: await acme.token(), variables: { username: 'brian' } });
    expect(byToken.body.data.user).toMatchObject({ __typename: 'User', username: 'brian' });
  });

  it('answers InvalidUsername for a malformed name, too short or too long included', async () => {
    for (const username of ['-carol', 'ca rol', 'abc', 'x'.repeat(26)]) {
      const res = await t.gql(USER, { host: acme.host, cookie: adminCookie, variables: { username } });
      expectResultError(res, 'user', 'InvalidUsername');
    }
  });

  it('answers NotGroupMember for another group’s user, and InvalidUsername for a name that is no user', async () => {
    for (const [username, code] of [
      ['gina', 'NotGroupMember'],
      ['nobody-at-all', 'InvalidUsername'],
    ] as const) {
      const byAdmin = await t.gql(USER, { host: acme.host, cookie: adminCookie, variables: { username } });
      expectResultError(byAdmin, 'user', code);
      const byToken = await t.gql(USER, { host: acme.host, token: await acme.token(), variables: { username } });
      expectResultError(byToken, 'user', code);
    }
  });
});

describe('removeMember', () => {
  it('removes a member and ends their sessions in the group at once', async () => {
    const carolCookie = await acme.session('carol');
    await acme.session('carol');
    const res = await t.gql(REMOVE_MEMBER, { host: acme.host, cookie: adminCookie, variables: { username: 'Carol' } });
    expect(res.status).toBe(200);
    expect(res.body.data.removeMember).toEqual({ __typename: 'RemoveMemberSuccess', username: 'carol', revokedSessions: 2 });

    expect((await t.gql(VIEWER, { host: acme.host, cookie: carolCookie })).body.data.viewer).toBeNull();
    const again = await t.gql(USER, { host: acme.host, cookie: adminCookie, variables: { username: 'carol' } });
    expectResultError(again, 'user', 'NotGroupMember');
  });

  it('keeps the user’s membership and sessions in their other groups', async () => {
    await t.app.services.members.add(globex.group, 'carol', 'member');
    const carolOnGlobex = await globex.session('carol');
    const res = await t.gql(REMOVE_MEMBER, { host: acme.host, token: await acme.token(), variables: { username: 'carol' } });
    expect(res.body.data.removeMember.revokedSessions).toBe(0);
    const viewer = await t.gql(VIEWER, { host: globex.host, cookie: carolOnGlobex });
    expect(viewer.body.data.viewer.user.username).toBe('carol');
  });

  it('works with an API token of the group', async () => {
    const res = await t.gql(REMOVE_MEMBER, { host: acme.host, token: await acme.token(), variables: { username: 'david' } });
    expect(res.body.data.removeMember).toEqual({ __typename: 'RemoveMemberSuccess', username: 'david', revokedSessions: 0 });
  });

  it('answers InvalidUsername for a malformed name and for a name that is no user', async () => {
    const bad = await t.gql(REMOVE_MEMBER, { host: acme.host, cookie: adminCookie, variables: { username: 'no way' } });
    expectResultError(bad, 'removeMember', 'InvalidUsername');
    const nobody = await t.gql(REMOVE_MEMBER, { host: acme.host, cookie: adminCookie, variables: { username: 'nobody' } });
    expectResultError(nobody, 'removeMember', 'InvalidUsername');
  });

  it('never removes another group’s member: NotGroupMember, and they stay', async () => {
    const byToken = await t.gql(REMOVE_MEMBER, { host: acme.host, token: await acme.token(), variables: { username: 'gus-globex' } });
    expectResultError(byToken, 'removeMember', 'NotGroupMember');
    const byAdmin = await t.gql(REMOVE_MEMBER, { host: acme.host, cookie: adminCookie, variables: { username: 'gina' } });
    expectResultError(byAdmin, 'removeMember', 'NotGroupMember');
    const globexMembers = await t.app.services.members.list(globex.group, 100, null);
    expect(globexMembers.members.map((m) => m.user.username).sort()).toEqual(['gina', 'gus-globex']);
  });

  it('refuses to remove the last admin: transport-level InvalidInput (field username), HTTP 400', async () => {
    const res = await t.gql(REMOVE_MEMBER, { host: acme.host, cookie: adminCookie, variables: { username: 'alice' } });
    expectTransportError(res, 'InvalidInput', 'username');
    expect(res.body.errors[0].message).toBe('the last admin of a group cannot be removed');
    expect(res.body.errors[0].path).toEqual(['removeMember']);
    const byToken = await t.gql(REMOVE_MEMBER, { host: acme.host, token: await acme.token(), variables: { username: 'alice' } });
    expectTransportError(byToken, 'InvalidInput', 'username');
    expect((await t.gql(VIEWER, { host: acme.host, cookie: adminCookie })).body.data.viewer.user.username).toBe('alice');
  });

  it('lets an admin remove another admin, or themselves, while one admin remains', async () => {
    await t.app.services.members.add(acme.group, 'brian', 'admin');
    const res = await t.gql(REMOVE_MEMBER, { host: acme.host, cookie: adminCookie, variables: { username: 'alice' } });
    expect(res.body.data.removeMember).toEqual({ __typename: 'RemoveMemberSuccess', username: 'alice', revokedSessions: 1 });
    // Alice's own session went with her membership.
    expect((await t.gql(VIEWER, { host: acme.host, cookie: adminCookie })).body.data.viewer).toBeNull();
  });

  it('keeps one admin when two admins remove each other at the same time', async () => {
    await t.app.services.members.add(acme.group, 'brian', 'admin');
    const brianCookie = await acme.session('brian');
    const [a, b] = await Promise.all([
      t.gql(REMOVE_MEMBER, { host: acme.host, cookie: adminCookie, variables: { username: 'brian' } }),
      t.gql(REMOVE_MEMBER, { host: acme.host, cookie: brianCookie, variables: { username: 'alice' } }),
    ]);
    const succeeded = [a, b].filter((r) => r.body.data?.removeMember?.__typename === 'RemoveMemberSuccess');
    expect(succeeded.length).toBeLessThanOrEqual(1);
    expect(await t.store.countAdmins(acme.group.id)).toBe(1);
  });
});
