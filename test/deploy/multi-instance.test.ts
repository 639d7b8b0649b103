/**
 * Two server processes on one database behave as one service: what one instance
 * writes (SSO token uses, sessions, users, the generated SSO secret) the other
 * sees, and races across them still end with one winner. Runs on PostgreSQL in the
 * PostgreSQL half, and on one shared SQLite file in the SQLite half.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../../src/config/config.ts';
import { openRuntime } from '../../src/runtime.ts';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import { CLI_CALLER } from '../../src/domain/events.ts';

const CREATE_USER = `mutation ($input: CreateUserInput!) {
  createUser(input: $input) { __typename ... on Error { code } ... on CreateUserSuccess { user { username } } }
}`;
const CREATE_SSO_TOKEN = `mutation ($username: String!) {
  createSSOToken(username: $username) { __typename ... on Error { code } ... on CreateSSOTokenSuccess { token } }
}`;
const LOGIN = `mutation ($token: String!) {
  loginWithSSO(token: $token) { __typename ... on Error { code } ... on LoginWithSSOSuccess { session { user { username } } } }
}`;
const VIEWER = '{ viewer { user { username } group { slug } } }';

const HOST = 'acme.localhost';

let db: TestDatabase;
let a: RunningServer;
let b: RunningServer;
let apiToken: string;

beforeAll(async () => {
  db = await createTestDatabase({ shared: true });
  // No SSO_SECRET: both instances must agree on the one generated into the database.
  // Started together on an empty database, they also race to seed the demo group.
  const env = { DATABASE_URL: db.url, BASE_DOMAIN: 'localhost', PUBLIC_URL: 'http://localhost:4000' };
  [a, b] = await Promise.all([startServer(env), startServer(env)]);

  // Over the test's own store, which the test closes.
  const { services } = await openRuntime(loadConfig(env), { store: db.store });
  const group = await services.groups.create('acme', {}, CLI_CALLER);
  apiToken = (await services.apiTokens.create(group, 'multi-instance test', CLI_CALLER)).token;
  await services.users.create(group, { username: 'alice', email: 'alice@example.com' }, CLI_CALLER);
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.stop(), b?.stop()]);
  await db?.close();
});

function sessionCookie(setCookie: string | string[] | undefined): string {
  const cookie = [setCookie ?? []].flat().find((c) => c.startsWith('session='));
  expect(cookie).toBeDefined();
  return cookie!.split(';')[0]!;
}

describe(`two instances on one ${process.env.TEST_DATABASE === 'postgres' ? 'PostgreSQL' : 'SQLite'} database`, () => {
  it('an SSO token minted on A logs in on B, a replay on A is refused, and the session is valid on both', async () => {
    const minted = await a.gql(CREATE_SSO_TOKEN, { host: HOST, token: apiToken, variables: { username: 'alice' } });
    expect(minted.body.data.createSSOToken.__typename).toBe('CreateSSOTokenSuccess');
    const sso = minted.body.data.createSSOToken.token as string;

    const login = await b.gql(LOGIN, { host: HOST, variables: { token: sso } });
    expect(login.body.data.loginWithSSO).toEqual({ __typename: 'LoginWithSSOSuccess', session: { user: { username: 'alice' } } });
    const cookie = sessionCookie(login.headers['set-cookie']);

    const replay = await a.gql(LOGIN, { host: HOST, variables: { token: sso } });
    expect(replay.body.data.loginWithSSO).toEqual({ __typename: 'InvalidSSOTokenPayload', code: 'InvalidSSOTokenPayload' });

    for (const instance of [a, b]) {
      const viewer = await instance.gql(VIEWER, { host: HOST, cookie });
      expect(viewer.body.data.viewer).toEqual({ user: { username: 'alice' }, group: { slug: 'acme' } });
    }
  });

  it('20 concurrent createUser calls for one username over both instances: exactly one winner', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        (i % 2 ? a : b).gql(CREATE_USER, {
          host: HOST,
          token: apiToken,
          variables: { input: { username: 'contested', email: `contested${i}@example.com` } },
        }),
      ),
    );
    const types = results.map((r) => {
      expect(r.status).toBe(200);
      return r.body.data.createUser.__typename as string;
    });
    expect(types.filter((t) => t === 'CreateUserSuccess')).toHaveLength(1);
    expect(types.filter((t) => t === 'UsernameAlreadyExists')).toHaveLength(19);
  });

  it('20 concurrent logins with one SSO token over both instances: exactly one session', async () => {
    const minted = await b.gql(CREATE_SSO_TOKEN, { host: HOST, token: apiToken, variables: { username: 'alice' } });
    const sso = minted.body.data.createSSOToken.token as string;
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) => (i % 2 ? a : b).gql(LOGIN, { host: HOST, variables: { token: sso } })),
    );
    const types = results.map((r) => r.body.data.loginWithSSO.__typename as string);
    expect(types.filter((t) => t === 'LoginWithSSOSuccess')).toHaveLength(1);
    expect(types.filter((t) => t === 'InvalidSSOTokenPayload')).toHaveLength(19);
  });

  it('both instances started cleanly, one of them seeding the demo group', () => {
    const seeded = [a, b].filter((s) => s.output().includes('Created group "demo"'));
    expect(seeded).toHaveLength(1);
    for (const s of [a, b]) expect(s.output()).not.toMatch(/Error|error/);
  });
});
