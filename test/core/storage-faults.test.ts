import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREATE_USER, GROUP, LOGIN_WITH_SSO } from '../support/documents.ts';
import { acmeApp, createTestApp, envelopeOf, type GroupSeed, type TestApp } from '../support/harness.ts';

let t: TestApp;
let acme: GroupSeed;
let token: string;

beforeEach(async () => {
  ({ t, acme, token } = await acmeApp());
});
afterEach(() => t.close());

const count = (table: string) => t.count(table);

/** Nothing internal may reach a client: no SQL, table names, driver codes, stacks or paths. */
function expectNothingLeaked(body: unknown) {
  const text = JSON.stringify(body);
  for (const leak of [/select|insert|update|delete from/i, /sqlite/i, /injected/, /\bgroups\b/, /\.ts:\d+/, /node_modules/, /\bat \w+ \(/, /\/work\//]) {
    expect(text).not.toMatch(leak);
  }
}

describe('storage failures', () => {
  it('FailedToCreateUser in the union when the membership cannot be written; no user is left behind', async () => {
    const heal = await t.injectFault('memberships');
    const res = await t.gql(CREATE_USER, { token, variables: { input: { email: 'a@example.com', username: 'alice' } } });
    expect(res.status).toBe(200);
    expect(res.body.data.createUser).toEqual({ __typename: 'FailedToCreateUser', ...envelopeOf('FailedToCreateUser') });
    expectNothingLeaked(res.body);
    expect(await count('users')).toBe(0);
    await heal();
    const retry = await t.gql(CREATE_USER, { token, variables: { input: { email: 'a@example.com', username: 'alice' } } });
    expect(retry.body.data.createUser.__typename).toBe('CreateUserSuccess');
  });

  it('FailedToCreateUser when the user row itself cannot be written', async () => {
    await t.injectFault('users');
    const res = await t.gql(CREATE_USER, { token, variables: { input: { email: 'a@example.com', suggestedUsername: 'alice' } } });
    expect(res.body.data.createUser.__typename).toBe('FailedToCreateUser');
    expect(await count('memberships')).toBe(0);
  });

  it('FailedToCreateSession in the union when the session cannot be written; the SSO token stays usable', async () => {
    await acme.user('alice');
    const ssoToken = await acme.ssoToken('alice');
    const heal = await t.injectFault('sessions');
    const res = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: ssoToken } });
    expect(res.status).toBe(200);
    expect(res.body.data.loginWithSSO).toEqual({ __typename: 'FailedToCreateSession', ...envelopeOf('failedToCreateSession') });
    expect(res.headers.get('set-cookie')).toBeNull();
    expectNothingLeaked(res.body);
    expect(await count('sso_token_uses')).toBe(0);
    await heal();
    const retry = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: ssoToken } });
    expect(retry.body.data.loginWithSSO.__typename).toBe('LoginWithSSOSuccess');
  });

  it('masks an unexpected failure as InternalError (500) with nothing internal in the body', async () => {
    await t.breakTable('groups');
    const res = await t.gql(GROUP, { token });
    expect(res.status).toBe(500);
    expect(res.body.errors[0]).toMatchObject({
      message: envelopeOf('InternalError').message,
      extensions: { code: 'InternalError', error: envelopeOf('InternalError') },
    });
    expect(res.body.errors[0].extensions.originalError).toBeUndefined();
    expectNothingLeaked(res.body);
  });

  it('shows the underlying error in development mode only', async () => {
    const dev = await createTestApp({ env: { NODE_ENV: 'development' } });
    const devToken = await (await dev.seed.group('acme')).token();
    await dev.breakTable('groups');
    const res = await dev.gql(GROUP, { token: devToken });
    expect(res.status).toBe(500);
    expect(res.body.errors[0].extensions.originalError.message).toMatch(/groups/);
    await dev.close();
  });
});

describe('races', () => {
  it('20 concurrent createUser calls for one username: one success, typed UsernameAlreadyExists for the rest', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        t.gql(CREATE_USER, { token, variables: { input: { email: `racer${i}@example.com`, username: 'racer' } } }),
      ),
    );
    for (const res of results) expect(res.status).toBe(200);
    const outcomes = results.map((r) => r.body.data.createUser);
    expect(outcomes.filter((o) => o.__typename === 'CreateUserSuccess')).toHaveLength(1);
    const losers = outcomes.filter((o) => o.__typename !== 'CreateUserSuccess');
    expect(losers).toHaveLength(19);
    for (const loser of losers) expect(loser).toMatchObject({ __typename: 'UsernameAlreadyExists', ...envelopeOf('UsernameAlreadyExists') });
    expect(await count('users')).toBe(1);
    expect(await count('memberships')).toBe(1);
  });

  it('20 concurrent logins with one SSO token create exactly one session', async () => {
    await acme.user('alice');
    const ssoToken = await acme.ssoToken('alice');
    const results = await Promise.all(
      Array.from({ length: 20 }, () => t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: ssoToken } })),
    );
    const outcomes = results.map((r) => r.body.data.loginWithSSO.__typename);
    expect(outcomes.filter((o) => o === 'LoginWithSSOSuccess')).toHaveLength(1);
    expect(outcomes.filter((o) => o === 'InvalidSSOTokenPayload')).toHaveLength(19);
    expect(await count('sessions')).toBe(1);
  });
});
