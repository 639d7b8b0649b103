/**
 * Every change of API.md §13's table, made through the public API or the CLI, and
 * read back through `events`: its type, actor, target, request facts and data.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CREATE_API_TOKEN,
  EVENTS,
  REMOVE_MEMBER,
  REVOKE_API_TOKEN,
  REVOKE_SESSION,
  SESSIONS,
  UPDATE_GROUP,
} from '../support/admin-documents.ts';
import { CREATE_SSO_TOKEN, CREATE_USER, LOGIN_WITH_SSO, LOGOUT } from '../support/documents.ts';
import { createTestApp, type GroupSeed, type TestApp, TestClock } from '../support/harness.ts';
import { cookieFrom, get, postJson } from '../support/rest.ts';

let t: TestApp;
let clock: TestClock;
let acme: GroupSeed;
let token: string;
let adminCookie: string;

beforeEach(async () => {
  clock = new TestClock(Date.parse('2026-06-01T09:00:00Z'));
  t = await createTestApp({ clock, shared: true });
  acme = await t.seed.group('acme');
  token = await acme.token();
  await acme.user('alice', { role: 'admin' });
  adminCookie = await acme.session('alice');
});
afterEach(() => t.close());

interface EventNode {
  id: string;
  type: string;
  occurredAt: string;
  actor: { type: string; id: string | null; name: string | null };
  target: { type: string; id: string; name: string | null };
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  data: Record<string, unknown>;
}

/** The group's events of these types (all when none), through `events` with the API token. */
async function events(...types: string[]): Promise<EventNode[]> {
  await t.feedCaughtUp();
  const res = await t.gql(EVENTS, { token, variables: { first: 500, types: types.length ? types : null } });
  expect(res.status).toBe(200);
  return res.body.data.events.edges.map((e: any) => ({ ...e.node, data: JSON.parse(e.node.data) }));
}

/** The one event of `type` recorded since the test's setup. */
async function onlyEvent(type: string): Promise<EventNode> {
  const found = await events(type);
  expect(found.map((e) => e.type)).toEqual([type]);
  return found[0]!;
}

const requestHeaders = { 'user-agent': 'backend/1.0', 'x-request-id': 'req-42' };
const tokenActor = () => ({ type: 'api_token', id: expect.any(String), name: 'test' });

describe('events recorded with each change', () => {
  it('user.created: createUser, with the API token as actor and the request’s user agent and id', async () => {
    const res = await t.gql(CREATE_USER, {
      token,
      headers: requestHeaders,
      variables: { input: { email: 'Grace@Example.com', username: 'grace', firstName: 'Grace' } },
    });
    const user = res.body.data.createUser.user;
    const event = await events('user.created').then((all) => all.find((e) => e.target.name === 'grace')!);
    expect(event).toEqual({
      id: expect.any(String),
      type: 'user.created',
      occurredAt: new Date(clock.now()).toISOString(),
      actor: tokenActor(),
      target: { type: 'user', id: user.id, name: 'grace' },
      ip: null,
      userAgent: 'backend/1.0',
      requestId: 'req-42',
      data: { username: 'grace', email: 'Grace@Example.com', firstName: 'Grace', lastName: null, role: 'member' },
    });
    const apiTokens = await t.rows(`SELECT id FROM api_tokens WHERE label = 'test'`);
    expect(event.actor.id).toBe(apiTokens[0]!.id);
  });

  it('user.created: the REST route too; a refused create records nothing', async () => {
    const before = (await events('user.created')).length;
    await postJson(t, '/-/api/user/create', { email: 'h@example.com', username: 'hopper' }, { token });
    await postJson(t, '/-/api/user/create', { email: 'h@example.com', username: 'hopper2' }, { token });
    const created = await events('user.created');
    expect(created.length - before).toBe(1);
    expect(created.at(-1)).toMatchObject({ actor: tokenActor(), target: { type: 'user', name: 'hopper' } });
  });

  it('sso_token.created: a minted sign-in link names who had it made, for whom, and its id, never the token', async () => {
    const res = await t.gql(CREATE_SSO_TOKEN, { token, variables: { username: 'alice', redirectTo: '/home' } });
    const minted = res.body.data.createSSOToken;
    const event = (await events('sso_token.created')).at(-1)!;
    expect(event).toMatchObject({
      actor: tokenActor(),
      target: { type: 'user', name: 'alice' },
      data: { username: 'alice', tokenId: expect.any(String), expiresAt: minted.expiresAt, redirectTo: '/home' },
    });
    expect(JSON.stringify(event)).not.toContain(minted.token);
    expect(JSON.stringify(event)).not.toContain(minted.token.split('.')[2]);

    await postJson(t, '/-/api/ssotoken/create', { username: 'alice' }, { token });
    expect((await events('sso_token.created')).at(-1)).toMatchObject({ actor: tokenActor(), data: { redirectTo: null } });
  });

  it('session.created by loginWithSSO and the login URL, with the minting API token as actor (API.md §17) and the minted token’s id', async () => {
    const minted = (await t.gql(CREATE_SSO_TOKEN, { token, variables: { username: 'alice' } })).body.data.createSSOToken;
    const login = await t.gql(LOGIN_WITH_SSO, { host: acme.host, headers: requestHeaders, variables: { token: minted.token } });
    expect(login.body.data.loginWithSSO.__typename).toBe('LoginWithSSOSuccess');
    const tokenId = (await events('sso_token.created')).at(-1)!.data.tokenId;
    const created = (await events('session.created')).at(-1)!;
    expect(created).toMatchObject({
      actor: tokenActor(),
      target: { type: 'user', name: 'alice' },
      userAgent: 'backend/1.0',
      requestId: 'req-42',
      data: { username: 'alice', sessionId: expect.any(String), tokenId },
    });
    expect(JSON.stringify(created)).not.toContain(login.body.data.loginWithSSO.session.token);

    const url = new URL((await t.gql(CREATE_SSO_TOKEN, { token, variables: { username: 'alice' } })).body.data.createSSOToken.loginUrl);
    const opened = await get(t, url.pathname + url.search, { host: acme.host });
    expect(opened.status).toBe(302);
    expect((await events('session.created')).length).toBe(3);
  });

  it('session.ended: logout, revokeSession, a newer login replacing it, and expiry, each with its reason', async () => {
    await acme.user('brian');
    const brian = await acme.session('brian');
    expect((await t.gql(LOGOUT, { host: acme.host, cookie: brian })).body.data.logout).toBe(true);

    const brian2 = await acme.session('brian');
    const sessions = (await t.gql(SESSIONS, { host: acme.host, cookie: adminCookie })).body.data.sessions;
    const brianSession = sessions.find((s: any) => s.user.username === 'brian');
    await t.gql(REVOKE_SESSION, { host: acme.host, cookie: adminCookie, variables: { id: brianSession.id } });
    expect(brian2).toBeTruthy();

    const brian3 = await acme.session('brian');
    const ssoToken = await acme.ssoToken('brian');
    const relogin = await t.gql(LOGIN_WITH_SSO, { host: acme.host, cookie: brian3, variables: { token: ssoToken } });
    expect(relogin.body.data.loginWithSSO.__typename).toBe('LoginWithSSOSuccess');

    clock.advance(t.config.sessionTtlSeconds * 1000 + 1);
    await t.app.services.sessions.purgeExpired();

    const ended = await events('session.ended');
    expect(ended.map((e) => [e.actor.type, e.data.reason])).toEqual([
      ['user', 'logout'],
      ['user', 'revoked'],
      ['system', 'replaced'],
      ['system', 'expired'],
      ['system', 'expired'],
    ]);
    expect(ended[0]).toMatchObject({ actor: { name: 'brian' }, target: { type: 'user', name: 'brian' } });
    expect(ended[1]).toMatchObject({ actor: { name: 'alice' }, data: { sessionId: brianSession.id, username: 'brian' } });
    // The expired ones: alice's from the setup, and brian's latest.
    expect(ended.slice(3).map((e) => e.data.username).sort()).toEqual(['alice', 'brian']);
  });

  it('member.removed (and its sessions ended) by removeMember; member.added and member.role_changed by the CLI', async () => {
    await acme.user('carol');
    await acme.session('carol');
    const removed = await t.gql(REMOVE_MEMBER, { token, headers: requestHeaders, variables: { username: 'carol' } });
    expect(removed.body.data.removeMember).toMatchObject({ revokedSessions: 1 });
    const event = await onlyEvent('member.removed');
    expect(event).toMatchObject({
      actor: tokenActor(),
      target: { type: 'user', name: 'carol' },
      requestId: 'req-42',
      data: { username: 'carol', role: 'member', sessionsEnded: 1 },
    });
    const ended = (await events('session.ended')).at(-1)!;
    expect(ended).toMatchObject({ actor: tokenActor(), data: { username: 'carol', reason: 'member_removed' } });

    expect((await t.admin('member', 'add', 'acme', 'carol')).code).toBe(0);
    expect((await t.admin('member', 'add', 'acme', 'carol', '--role', 'admin')).code).toBe(0);
    expect((await t.admin('member', 'add', 'acme', 'carol', '--role', 'admin')).code).toBe(0);
    expect((await t.admin('member', 'remove', 'acme', 'carol')).code).toBe(0);
    const changes = (await events('member.added', 'member.role_changed', 'member.removed')).filter((e) => e.target.name === 'carol');
    expect(changes.map((e) => [e.type, e.actor.type, e.data])).toEqual([
      ['member.removed', 'api_token', { username: 'carol', role: 'member', sessionsEnded: 1 }],
      ['member.added', 'cli', { username: 'carol', role: 'member' }],
      ['member.role_changed', 'cli', { username: 'carol', from: 'member', to: 'admin' }],
      ['member.removed', 'cli', { username: 'carol', role: 'admin', sessionsEnded: 0 }],
    ]);
    expect(changes[1]).toMatchObject({ actor: { type: 'cli', id: null, name: null }, ip: null, requestId: null });
  });

  it('api_token.created and api_token.revoked by an admin and by the CLI; the token never', async () => {
    const created = await t.gql(CREATE_API_TOKEN, { host: acme.host, cookie: adminCookie, variables: { label: 'ci' } });
    const { token: secret, apiToken } = created.body.data.createApiToken;
    await t.gql(REVOKE_API_TOKEN, { host: acme.host, cookie: adminCookie, variables: { id: apiToken.id } });
    await t.gql(REVOKE_API_TOKEN, { host: acme.host, cookie: adminCookie, variables: { id: apiToken.id } });
    const cli = (await t.admin('token', 'create', 'acme', '--label', 'ops', '--json')).json();
    await t.admin('token', 'revoke', cli.id);

    const found = await events('api_token.created', 'api_token.revoked');
    const relevant = found.filter((e) => e.target.id === apiToken.id || e.target.id === cli.id);
    expect(relevant.map((e) => [e.type, e.actor.type, e.target])).toEqual([
      ['api_token.created', 'user', { type: 'api_token', id: apiToken.id, name: 'ci' }],
      ['api_token.revoked', 'user', { type: 'api_token', id: apiToken.id, name: 'ci' }],
      ['api_token.created', 'cli', { type: 'api_token', id: cli.id, name: 'ops' }],
      ['api_token.revoked', 'cli', { type: 'api_token', id: cli.id, name: 'ops' }],
    ]);
    expect(relevant[0]!.actor).toEqual({ type: 'user', id: expect.any(String), name: 'alice' });
    const all = JSON.stringify(found);
    expect(all).not.toContain(secret);
    expect(all).not.toContain(cli.token);
  });

  it('group.updated by updateGroup and the CLI, with what changed from what to what; nothing when nothing changed', async () => {
    await t.gql(UPDATE_GROUP, {
      host: acme.host,
      cookie: adminCookie,
      variables: { input: { title: 'Acme Inc', allowedDomains: ['acme.com'] } },
    });
    await t.gql(UPDATE_GROUP, { host: acme.host, cookie: adminCookie, variables: { input: { title: 'Acme Inc' } } });
    await t.admin('group', 'update', 'acme', '--api-disabled');
    await t.admin('group', 'update', 'acme', '--api-enabled');
    await t.gql(UPDATE_GROUP, { host: acme.host, cookie: adminCookie, variables: { input: { requireSignInConfirmation: true } } });
    const updates = await events('group.updated');
    expect(updates.map((e) => [e.actor.type, e.target, e.data])).toEqual([
      [
        'user',
        { type: 'group', id: 'acme', name: 'acme' },
        { changes: { title: { from: null, to: 'Acme Inc' }, allowedDomains: { from: [], to: ['acme.com'] } } },
      ],
      ['cli', { type: 'group', id: 'acme', name: 'acme' }, { changes: { isApiEnabled: { from: true, to: false } } }],
      ['cli', { type: 'group', id: 'acme', name: 'acme' }, { changes: { isApiEnabled: { from: false, to: true } } }],
      ['user', { type: 'group', id: 'acme', name: 'acme' }, { changes: { requireSignInConfirmation: { from: false, to: true } } }],
    ]);
  });

  it('group.created and group.deleted by the CLI, readable afterwards through `events` on the CLI', async () => {
    expect((await t.admin('group', 'create', 'globex', '--title', 'Globex')).code).toBe(0);
    expect((await t.admin('token', 'create', 'globex')).code).toBe(0);
    expect((await t.admin('group', 'delete', 'globex')).code).toBe(0);
    const exported = await t.admin('events', 'globex', '--json');
    expect(exported.code).toBe(0);
    const lines = exported.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((e) => [e.type, e.actor.type])).toEqual([
      ['group.created', 'cli'],
      ['api_token.created', 'cli'],
      ['group.deleted', 'cli'],
    ]);
    expect(JSON.parse(lines[0].data)).toEqual({ slug: 'globex', title: 'Globex' });
    expect(lines[2].target).toEqual({ type: 'group', id: 'globex', name: 'globex' });
  });

  it('group.deleted ends the group’s sessions, each recorded', async () => {
    await t.admin('group', 'delete', 'acme');
    const exported = await t.admin('events', 'acme', '--json', '--type', 'group.deleted', '--type', 'session.ended');
    const lines = exported.stdout.trim().split('\n').map((line) => JSON.parse(line));
    expect(lines.map((e) => e.type)).toEqual(['group.deleted', 'session.ended']);
    expect(JSON.parse(lines[1].data)).toMatchObject({ username: 'alice', reason: 'group_deleted' });
  });

  it('sign-out from the start page records the logout', async () => {
    const res = await t.request('/-/sign-out', { method: 'POST', host: acme.host, headers: { cookie: adminCookie } });
    expect(res.status).toBe(303);
    expect(cookieFrom(res.headers)).not.toBeNull();
    expect((await events('session.ended')).map((e) => e.data.reason)).toEqual(['logout']);
  });
});
