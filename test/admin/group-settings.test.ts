/** updateGroup: an admin changes their own group's title, API switch and allowed email domains. */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREATE_USER, GROUP } from '../support/documents.ts';
import { expectResultError, expectTransportError, MEMBERS, UPDATE_GROUP } from '../support/admin-documents.ts';
import { createTestApp, type GroupSeed, type TestApp } from '../support/harness.ts';

let t: TestApp;
let acme: GroupSeed;
let globex: GroupSeed;
let adminCookie: string;

beforeEach(async () => {
  t = await createTestApp();
  acme = await t.seed.group('acme', { title: 'Acme' });
  globex = await t.seed.group('globex', { title: 'Globex', allowedDomains: ['globex.com'] });
  await acme.user('alice', { role: 'admin' });
  adminCookie = await acme.session('alice');
});

afterEach(() => t.close());

const update = (input: Record<string, unknown>) =>
  t.gql(UPDATE_GROUP, { host: acme.host, cookie: adminCookie, variables: { input } });

describe('updateGroup', () => {
  it('changes only the settings given, normalising domains', async () => {
    const res = await update({ allowedDomains: [' Example.COM ', 'example.com', 'acme.io'] });
    expect(res.status).toBe(200);
    expect(res.body.data.updateGroup).toEqual({
      __typename: 'UpdateGroupSuccess',
      group: { slug: 'acme', title: 'Acme', isApiEnabled: true, allowedDomains: ['example.com', 'acme.io'] },
    });
    const retitled = await update({ title: 'Acme Corp' });
    expect(retitled.body.data.updateGroup.group).toEqual({
      slug: 'acme',
      title: 'Acme Corp',
      isApiEnabled: true,
      allowedDomains: ['example.com', 'acme.io'],
    });
  });

  it('puts the new allowed domains into force for createUser at once', async () => {
    await update({ allowedDomains: ['acme.io'] });
    const token = await acme.token();
    const refused = await t.gql(CREATE_USER, {
      host: acme.host,
      token,
      variables: { input: { email: 'eve@example.com', username: 'eve-x' } },
    });
    expect(refused.body.data.createUser.__typename).toBe('InvalidEmailDomain');
    await update({ allowedDomains: [] });
    const allowed = await t.gql(CREATE_USER, {
      host: acme.host,
      token,
      variables: { input: { email: 'eve@example.com', username: 'eve-x' } },
    });
    expect(allowed.body.data.createUser.__typename).toBe('CreateUserSuccess');
  });

  it('switches the API off for tokens, and the admin can switch it back on', async () => {
    const token = await acme.token();
    expect((await update({ isApiEnabled: false })).body.data.updateGroup.group.isApiEnabled).toBe(false);
    expectTransportError(await t.gql(GROUP, { host: acme.host, token }), 'ApiIsDisabled');
    expect((await update({ isApiEnabled: true })).body.data.updateGroup.group.isApiEnabled).toBe(true);
    expect((await t.gql(GROUP, { host: acme.host, token })).body.data.group.slug).toBe('acme');
  });

  it('clears the title with null or "", and leaves a null switch or list as it is', async () => {
    await update({ allowedDomains: ['acme.io'] });
    const cleared = await update({ title: null, isApiEnabled: null, allowedDomains: null });
    expect(cleared.body.data.updateGroup.group).toEqual({
      slug: 'acme',
      title: null,
      isApiEnabled: true,
      allowedDomains: ['acme.io'],
    });
    await update({ title: 'Back' });
    expect((await update({ title: '  ' })).body.data.updateGroup.group.title).toBeNull();
  });

  it('answers an empty input with the group as it is', async () => {
    expect((await update({})).body.data.updateGroup.group).toEqual({
      slug: 'acme',
      title: 'Acme',
      isApiEnabled: true,
      allowedDomains: [],
    });
  });

  it('answers InvalidInput (field allowedDomains) for a bad domain, changing nothing', async () => {
    for (const domains of [['not a domain'], ['example.com', 'localhost'], ['@example.com'], ['x'.repeat(300) + '.com']]) {
      expectResultError(await update({ allowedDomains: domains, title: 'Changed' }), 'updateGroup', 'InvalidInput', 'allowedDomains');
    }
    const tooMany = Array.from({ length: 101 }, (_, i) => `d${i}.example.com`);
    expectResultError(await update({ allowedDomains: tooMany }), 'updateGroup', 'InvalidInput', 'allowedDomains');
    const group = await t.app.services.groups.get('acme');
    expect(group.title).toBe('Acme');
    expect(group.allowedDomains).toEqual([]);
  });

  it('switches requireSignInConfirmation (off by default), and leaves it as it is on null or absence', async () => {
    const read = async () =>
      (await t.gql('{ group { requireSignInConfirmation } }', { host: acme.host, token: await acme.token() })).body.data.group
        .requireSignInConfirmation;
    expect(await read()).toBe(false);
    const on = await t.gql(
      `mutation { updateGroup(input: { requireSignInConfirmation: true }) { ... on UpdateGroupSuccess { group { requireSignInConfirmation } } } }`,
      { host: acme.host, cookie: adminCookie },
    );
    expect(on.body.data.updateGroup.group.requireSignInConfirmation).toBe(true);
    await update({ requireSignInConfirmation: null, title: 'Still on' });
    expect(await read()).toBe(true);
    await update({ title: 'Still on' });
    expect(await read()).toBe(true);
    await update({ requireSignInConfirmation: false });
    expect(await read()).toBe(false);
    // Another group keeps its own setting.
    expect((await t.app.services.groups.get('globex')).requireSignInConfirmation).toBe(false);
  });

  it('answers InvalidInput (field title) for a title over 100 characters', async () => {
    expectResultError(await update({ title: 'x'.repeat(101) }), 'updateGroup', 'InvalidInput', 'title');
  });

  it('gives back a group whose members the admin may list', async () => {
    await acme.user('brian');
    const res = await t.gql(
      `mutation { updateGroup(input: { title: "T" }) {
        ... on UpdateGroupSuccess { group { members { edges { node { user { username } } } } } } } }`,
      { host: acme.host, cookie: adminCookie },
    );
    const edges = res.body.data.updateGroup.group.members.edges;
    expect(edges.map((e: any) => e.node.user.username).sort()).toEqual(['alice', 'brian']);
    // The viewer path lists the same members.
    const viewer = await t.gql(MEMBERS, { host: acme.host, cookie: adminCookie });
    expect(viewer.body.data.viewer.group.members.edges).toHaveLength(2);
  });

  it('never changes another group, from any domain', async () => {
    const onGlobex = await t.gql(UPDATE_GROUP, {
      host: globex.host,
      cookie: adminCookie,
      variables: { input: { title: 'Pwned', isApiEnabled: false, allowedDomains: [] } },
    });
    expectTransportError(onGlobex, 'UnauthorizedRequest');
    await update({ title: 'Acme only' });
    const group = await t.app.services.groups.get('globex');
    expect(group).toMatchObject({ title: 'Globex', isApiEnabled: true, allowedDomains: ['globex.com'] });
  });
});
