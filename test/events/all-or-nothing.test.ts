/**
 * A change and its event commit together or not at all: an event write that fails
 * takes its change with it, and a server killed mid-stream leaves every
 * acknowledged change with exactly its event and no event without its change.
 */
import { afterEach, describe, expect, it } from 'vitest';
import {
  CREATE_API_TOKEN,
  expectTransportError,
  REMOVE_MEMBER,
  REVOKE_API_TOKEN,
  REVOKE_SESSION,
  SESSIONS,
  UPDATE_GROUP,
} from '../support/admin-documents.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/databases.ts';
import { CREATE_SSO_TOKEN, CREATE_USER, LOGIN_WITH_SSO, LOGOUT, VIEWER } from '../support/documents.ts';
import { adminApp, envelopeOf, type TestApp } from '../support/harness.ts';
import { HttpClient } from '../support/http-client.ts';
import { Prng, runSeed } from '../support/prng.ts';
import { type RunningServer, startServer } from '../support/processes.ts';

describe('an event write that fails', () => {
  let t: TestApp;
  afterEach(() => t.close());

  it('takes its change with it, whatever the change, and the next try succeeds', async () => {
    const setup = await adminApp({ shared: true });
    t = setup.t;
    const { acme, adminCookie } = setup;
    const token = await acme.token();
    await acme.user('brian');
    const brianCookie = await acme.session('brian');
    const ssoToken = await acme.ssoToken('brian');
    const admin = { host: acme.host, cookie: adminCookie };
    const tokenRow = (await t.rows(`SELECT id FROM api_tokens WHERE label = 'test'`))[0]!;
    const before = {
      users: await t.count('users'),
      sessions: await t.count('sessions'),
      memberships: await t.count('memberships'),
      tokens: await t.count('api_tokens'),
      events: await t.count('events'),
    };

    const heal = await t.injectFault('events');
    const createUser = await t.gql(CREATE_USER, { token, variables: { input: { email: 'c@example.com', username: 'carol' } } });
    expect(createUser.body.data.createUser).toEqual({ __typename: 'FailedToCreateUser', ...envelopeOf('FailedToCreateUser') });
    const login = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: ssoToken } });
    expect(login.body.data.loginWithSSO.__typename).toBe('FailedToCreateSession');
    // Writes whose results have no storage-failure member fail as the request's own InternalError.
    expectTransportError(await t.gql(CREATE_SSO_TOKEN, { token, variables: { username: 'brian' } }), 'InternalError');
    expectTransportError(await t.gql(REMOVE_MEMBER, { token, variables: { username: 'brian' } }), 'InternalError');
    expectTransportError(await t.gql(CREATE_API_TOKEN, { ...admin, variables: { label: 'x' } }), 'InternalError');
    expectTransportError(await t.gql(REVOKE_API_TOKEN, { ...admin, variables: { id: tokenRow.id } }), 'InternalError');
    expectTransportError(await t.gql(UPDATE_GROUP, { ...admin, variables: { input: { title: 'New' } } }), 'InternalError');
    const sessions = (await t.gql(SESSIONS, admin)).body.data.sessions;
    const brianSession = sessions.find((s: any) => s.user.username === 'brian').id;
    expectTransportError(await t.gql(REVOKE_SESSION, { ...admin, variables: { id: brianSession } }), 'InternalError');
    expectTransportError(await t.gql(LOGOUT, { host: acme.host, cookie: brianCookie }), 'InternalError');
    for (const argv of [
      ['group', 'create', 'globex'],
      ['group', 'update', 'acme', '--api-disabled'],
      ['group', 'delete', 'acme'],
      ['token', 'create', 'acme'],
      ['token', 'revoke', String(tokenRow.id)],
      ['member', 'add', 'acme', 'brian', '--role', 'admin'],
      ['member', 'remove', 'acme', 'brian'],
    ]) {
      const cli = await t.admin(...argv);
      expect(cli.code, argv.join(' ')).toBe(1);
    }

    expect({
      users: await t.count('users'),
      sessions: await t.count('sessions'),
      memberships: await t.count('memberships'),
      tokens: await t.count('api_tokens'),
      events: await t.count('events'),
    }).toEqual(before);
    expect(await t.rows(`SELECT title, is_api_enabled, deleted_at FROM groups WHERE slug = 'acme'`)).toEqual([
      { title: null, is_api_enabled: t.dialect === 'sqlite' ? 1 : true, deleted_at: null },
    ]);
    expect(await t.rows(`SELECT role FROM memberships m JOIN users u ON u.id = m.user_id WHERE u.username = 'brian'`)).toEqual([
      { role: 'member' },
    ]);
    expect(await t.rows(`SELECT revoked_at FROM api_tokens WHERE id = '${tokenRow.id}'`)).toEqual([{ revoked_at: null }]);
    expect((await t.gql(VIEWER, { host: acme.host, cookie: brianCookie })).body.data.viewer).not.toBeNull();

    await heal();
    expect((await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: ssoToken } })).body.data.loginWithSSO.__typename).toBe(
      'LoginWithSSOSuccess',
    );
    expect((await t.gql(CREATE_USER, { token, variables: { input: { email: 'c@example.com', username: 'carol' } } })).body.data.createUser.__typename).toBe(
      'CreateUserSuccess',
    );
    expect(await t.count('events')).toBe(before.events + 2);
  });
});

const SEED = runSeed('EVENTS_CRASH_SEED');
const ROUNDS = process.env.STRESS === '1' ? 10 : 3;
const IN_FLIGHT = 4;

describe(`a server killed mid-stream (seed ${SEED}; replay with EVENTS_CRASH_SEED=${SEED})`, () => {
  let database: TestDatabase | null = null;
  let server: RunningServer | null = null;
  afterEach(async () => {
    await server?.stop('SIGKILL');
    server = null;
    await database?.close();
    database = null;
  });

  it(`leaves every acknowledged change with exactly its event, and every event with its change, across ${ROUNDS} SIGKILLs`, async () => {
    const rng = new Prng(SEED);
    database = await createTestDatabase({ shared: true });
    const url = database.url;
    server = await startServer({ DATABASE_URL: url });
    const token = server.demoToken!;
    expect(token, server.output()).toBeTruthy();

    const users = new Map<string, string>(); // acknowledged: username → user id
    const signedIn = new Set<string>(); // usernames with an acknowledged sign-in
    let minted = 0;
    for (let round = 0; round < ROUNDS; round++) {
      if (!server) server = await startServer({ DATABASE_URL: url });
      const running: RunningServer = server;
      const client = new HttpClient(running.port, IN_FLIGHT);
      const killAfter = rng.int(10, 40);
      let acknowledged = 0;
      let killing: Promise<unknown> | null = null;
      const post = async (body: object, headers: Record<string, string>) => {
        const res = await client.send({
          method: 'POST',
          path: '/graphql',
          headers: { 'content-type': 'application/json', ...headers },
          body: JSON.stringify(body),
        });
        return JSON.parse(res.text);
      };
      const sender = async (lane: number) => {
        for (let i = 0; !killing; i++) {
          try {
            const username = `r${round}-l${lane}-${i}`;
            const created = await post(
              { query: CREATE_USER, variables: { input: { email: `${username}@example.com`, username } } },
              { authorization: `Bearer ${token}`, host: 'demo.localhost' },
            );
            if (created.data?.createUser?.__typename !== 'CreateUserSuccess') throw new Error(JSON.stringify(created));
            users.set(username, created.data.createUser.user.id);
            const sso = await post({ query: CREATE_SSO_TOKEN, variables: { username } }, { authorization: `Bearer ${token}`, host: 'demo.localhost' });
            if (sso.data?.createSSOToken?.__typename !== 'CreateSSOTokenSuccess') throw new Error(JSON.stringify(sso));
            minted++;
            const login = await post({ query: LOGIN_WITH_SSO, variables: { token: sso.data.createSSOToken.token } }, { host: 'demo.localhost' });
            if (login.data?.loginWithSSO?.__typename !== 'LoginWithSSOSuccess') throw new Error(JSON.stringify(login));
            signedIn.add(username);
          } catch (error) {
            if (killing) return; // Cut off by the kill: its outcome is unknown, and either is fine.
            throw error;
          }
          if (++acknowledged >= killAfter && !killing) killing = running.stop('SIGKILL');
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, (_, lane) => sender(lane)));
      await killing;
      client.close();
      server = null;
    }
    server = await startServer({ DATABASE_URL: url });
    await server.stop();
    server = null;

    const store = database.store;
    const rows = (sql: string) => queryRows(store, sql);
    const created = await rows(`SELECT target_id, count(*) AS n FROM events WHERE type = 'user.created' GROUP BY target_id`);
    const userIds = new Set((await rows(`SELECT id FROM users`)).map((r) => String(r.id)));
    // Every acknowledged user has exactly one event; every event's user exists (the demo group has none of its own).
    const eventsPerUser = new Map(created.map((r) => [String(r.target_id), Number(r.n)]));
    for (const [username, id] of users) expect(eventsPerUser.get(id), username).toBe(1);
    expect([...eventsPerUser.keys()].filter((id) => !userIds.has(id))).toEqual([]);
    expect([...eventsPerUser.values()].every((n) => n === 1)).toBe(true);
    expect(eventsPerUser.size).toBe(userIds.size);

    // Every session has exactly one session.created naming it, and every such event its session.
    const sessionRows = await rows(`SELECT s.id, u.username FROM sessions s JOIN users u ON u.id = s.user_id`);
    const sessionEvents = await rows(`SELECT data FROM events WHERE type = 'session.created'`);
    const sessionIdsInEvents = sessionEvents.map((r) => JSON.parse(String(r.data)).sessionId as string);
    expect(new Set(sessionIdsInEvents).size).toBe(sessionIdsInEvents.length);
    expect(sessionIdsInEvents.sort()).toEqual(sessionRows.map((r) => String(r.id)).sort());
    const withSession = new Set(sessionRows.map((r) => String(r.username)));
    for (const username of signedIn) expect(withSession.has(username), username).toBe(true);

    // Every acknowledged mint has its event (a mint that was cut off may have one too).
    const mints = Number((await rows(`SELECT count(*) AS n FROM events WHERE type = 'sso_token.created'`))[0]!.n);
    expect(mints).toBeGreaterThanOrEqual(minted);
    expect(users.size).toBeGreaterThan(ROUNDS * 10 - 1);
  }, 180_000);
});
