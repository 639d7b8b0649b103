/**
 * Who may administer a group (API.md §8): a group admin by session cookie on the
 * group's own domain, or, where marked, an API token of the group. Every
 * operation is tried with every kind of wrong caller.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GROUP } from '../support/documents.ts';
import {
  API_TOKENS,
  CREATE_API_TOKEN,
  expectTransportError,
  MEMBERS,
  MEMBERS_BY_TOKEN,
  REMOVE_MEMBER,
  REVOKE_API_TOKEN,
  REVOKE_SESSION,
  SESSIONS,
  UPDATE_GROUP,
  USER,
  USERNAME_AVAILABLE,
} from '../support/admin-documents.ts';
import { adminApp, type GroupSeed, type TestApp, TestClock, type TestResponse } from '../support/harness.ts';
import { CLI_CALLER } from '../../src/domain/events.ts';

interface Operation {
  name: string;
  /** The document as a session caller sends it. */
  query: string;
  /** The document as an API token caller sends it (differs only for Group.members). */
  tokenQuery?: string;
  variables?: Record<string, unknown>;
  allowApiToken: boolean;
}

const operations: Operation[] = [
  { name: 'Group.members', query: MEMBERS, tokenQuery: MEMBERS_BY_TOKEN, allowApiToken: true },
  { name: 'user', query: USER, variables: { username: 'alice' }, allowApiToken: true },
  { name: 'usernameAvailable', query: USERNAME_AVAILABLE, variables: { username: 'someone' }, allowApiToken: true },
  { name: 'apiTokens', query: API_TOKENS, allowApiToken: false },
  { name: 'sessions', query: SESSIONS, allowApiToken: false },
  { name: 'createApiToken', query: CREATE_API_TOKEN, variables: { label: 'x' }, allowApiToken: false },
  {
    name: 'revokeApiToken',
    query: REVOKE_API_TOKEN,
    variables: { id: '00000000-0000-0000-0000-000000000000' },
    allowApiToken: false,
  },
  { name: 'updateGroup', query: UPDATE_GROUP, variables: { input: { title: 'Changed' } }, allowApiToken: false },
  { name: 'removeMember', query: REMOVE_MEMBER, variables: { username: 'brian' }, allowApiToken: true },
  {
    name: 'revokeSession',
    query: REVOKE_SESSION,
    variables: { id: '00000000-0000-0000-0000-000000000000' },
    allowApiToken: false,
  },
];

let t: TestApp;
let clock: TestClock;
let acme: GroupSeed;
let globex: GroupSeed;
let adminCookie: string;
let memberCookie: string;

beforeEach(async () => {
  clock = new TestClock();
  ({ t, acme, globex, adminCookie } = await adminApp({ clock }));
  await acme.user('brian');
  await globex.user('gina', { role: 'admin' });
  memberCookie = await acme.session('brian');
});

afterEach(() => t.close());

/** Nothing changed in acme: alice and brian are still members, the title is untouched. */
async function expectAcmeUntouched() {
  const members = await t.app.services.members.list(acme.group, 100, null);
  expect(members.members.map((m) => m.user.username).sort()).toEqual(['alice', 'brian']);
  expect((await t.app.services.groups.get('acme')).title).toBeNull();
}

describe.each(operations)('$name', (op) => {
  it('refuses a request with neither cookie nor token: UnauthorizedRequest, HTTP 401', async () => {
    const query = op.tokenQuery ?? op.query;
    expectTransportError(await t.gql(query, { host: acme.host, variables: op.variables }), 'UnauthorizedRequest');
    expectTransportError(await t.gql(query, { variables: op.variables }), 'UnauthorizedRequest');
    await expectAcmeUntouched();
  });

  it('refuses a plain member’s session', async () => {
    const res = await t.gql(op.query, { host: acme.host, cookie: memberCookie, variables: op.variables });
    expectTransportError(res, 'UnauthorizedRequest');
    await expectAcmeUntouched();
  });

  it('refuses an admin whose role was taken away after signing in', async () => {
    await t.app.services.members.add(acme.group, 'alice', 'member', CLI_CALLER);
    const res = await t.gql(op.query, { host: acme.host, cookie: adminCookie, variables: op.variables });
    expectTransportError(res, 'UnauthorizedRequest');
  });

  it('refuses an admin whose session has expired', async () => {
    clock.advance(t.config.sessionTtlSeconds * 1000 + 1);
    const res = await t.gql(op.query, { host: acme.host, cookie: adminCookie, variables: op.variables });
    expectNoSessionRefused(res);
  });

  it('refuses the admin of one group on another group’s domain, and on the bare domain', async () => {
    const onGlobex = await t.gql(op.query, { host: globex.host, cookie: adminCookie, variables: op.variables });
    expectNoSessionRefused(onGlobex);
    const onBare = await t.gql(op.query, { cookie: adminCookie, variables: op.variables });
    expectNoSessionRefused(onBare);
    expect((await t.app.services.groups.get('globex')).title).toBeNull();
    await expectAcmeUntouched();
  });

  /** A cookie that is no session here: refused, or for Group.members, no viewer (so no group) at all. */
  function expectNoSessionRefused(res: TestResponse) {
    if (op.query === MEMBERS) {
      expect(res.status).toBe(200);
      expect(res.body).toEqual({ data: { viewer: null } });
    } else {
      expectTransportError(res, 'UnauthorizedRequest');
    }
  }

  it('lets the group’s admin in', async () => {
    const res = await t.gql(op.query, { host: acme.host, cookie: adminCookie, variables: op.variables });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it('keeps admins in when the group’s API is disabled (isApiEnabled governs tokens only)', async () => {
    await t.app.services.groups.update(acme.group, { isApiEnabled: false }, CLI_CALLER);
    const res = await t.gql(op.query, { host: acme.host, cookie: adminCookie, variables: op.variables });
    expect(res.status).toBe(200);
    expect(res.body.errors).toBeUndefined();
  });

  it(op.allowApiToken ? 'lets an API token of the group in' : 'refuses API tokens: UnauthorizedRequest', async () => {
    const res = await t.gql(op.tokenQuery ?? op.query, {
      host: acme.host,
      token: await acme.token(),
      variables: op.variables,
    });
    if (op.allowApiToken) {
      expect(res.status).toBe(200);
      expect(res.body.errors).toBeUndefined();
    } else {
      expectTransportError(res, 'UnauthorizedRequest');
      await expectAcmeUntouched();
    }
  });

  it('refuses a group’s API token on another group’s domain: InvalidRequestDomain', async () => {
    const res = await t.gql(op.tokenQuery ?? op.query, {
      host: globex.host,
      token: await acme.token(),
      variables: op.variables,
    });
    expectTransportError(res, 'InvalidRequestDomain');
    await expectAcmeUntouched();
  });

  it('answers an invalid Authorization header with its own refusal, even beside an admin cookie', async () => {
    const headers = { authorization: 'Bearer tapi_not-a-token' };
    const res = await t.gql(op.query, { host: acme.host, cookie: adminCookie, headers, variables: op.variables });
    expectTransportError(res, 'InvalidApiToken');
  });

  it('refuses an API token of a group with its API disabled: ApiIsDisabled', async () => {
    const token = await acme.token();
    await t.app.services.groups.update(acme.group, { isApiEnabled: false }, CLI_CALLER);
    const res = await t.gql(op.tokenQuery ?? op.query, { host: acme.host, token, variables: op.variables });
    expectTransportError(res, 'ApiIsDisabled');
  });

  it('acts as the API token when a token and an admin cookie come together', async () => {
    const res = await t.gql(op.tokenQuery ?? op.query, {
      host: acme.host,
      token: await acme.token(),
      cookie: adminCookie,
      variables: op.variables,
    });
    if (op.allowApiToken) expect(res.body.errors).toBeUndefined();
    else expectTransportError(res, 'UnauthorizedRequest');
  });
});

describe('the group query', () => {
  it('still needs an API token: an admin session alone gets UnauthorizedRequest', async () => {
    expectTransportError(await t.gql(GROUP, { host: acme.host, cookie: adminCookie }), 'UnauthorizedRequest');
  });
});
