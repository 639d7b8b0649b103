/**
 * A write the database refuses halfway leaves nothing behind and answers with the
 * operation's documented failure; a write that breaks unexpectedly is masked.
 * Faults are injected inside the database (a failing trigger), on either engine.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createTestApp, type GroupSeed, type TestApp } from '../support/harness.ts';

const CREATE_USER = `mutation ($input: CreateUserInput!) {
  createUser(input: $input) { __typename ... on Error { code status message } ... on CreateUserSuccess { user { username } } }
}`;
const LOGIN = `mutation ($token: String!) {
  loginWithSSO(token: $token) { __typename ... on Error { code } ... on LoginWithSSOSuccess { session { user { username } } } }
}`;

let t: TestApp;
let acme: GroupSeed;
beforeEach(async () => {
  t = await createTestApp();
  acme = await t.seed.group('acme');
});
afterEach(() => t.close());

describe('all-or-nothing writes', () => {
  it('a failing membership insert answers FailedToCreateUser and leaves no user row', async () => {
    const token = await acme.token();
    const heal = await t.injectFault('memberships');
    const failed = await t.gql(CREATE_USER, { host: acme.host, token, variables: { input: { username: 'alice', email: 'alice@example.com' } } });
    expect(failed.status).toBe(200);
    expect(failed.body.data.createUser).toMatchObject({ __typename: 'FailedToCreateUser', code: 'FailedToCreateUser' });
    expect(JSON.stringify(failed.body)).not.toMatch(/injected fault|INSERT|memberships/i);
    expect(await t.rows(`SELECT id FROM users WHERE username = 'alice'`)).toEqual([]);

    await heal();
    const retried = await t.gql(CREATE_USER, { host: acme.host, token, variables: { input: { username: 'alice', email: 'alice@example.com' } } });
    expect(retried.body.data.createUser).toEqual({ __typename: 'CreateUserSuccess', user: { username: 'alice' } });
  });

  it('a failing session insert answers FailedToCreateSession and leaves the SSO token unused', async () => {
    await acme.user('alice');
    const sso = await acme.ssoToken('alice');
    const heal = await t.injectFault('sessions');
    const failed = await t.gql(LOGIN, { host: acme.host, variables: { token: sso } });
    expect(failed.body.data.loginWithSSO).toMatchObject({ __typename: 'FailedToCreateSession', code: 'failedToCreateSession' });
    expect(await t.rows('SELECT jti FROM sso_token_uses')).toEqual([]);

    await heal();
    const retried = await t.gql(LOGIN, { host: acme.host, variables: { token: sso } });
    expect(retried.body.data.loginWithSSO).toEqual({ __typename: 'LoginWithSSOSuccess', session: { user: { username: 'alice' } } });
  });

  it('a table gone missing is an InternalError with nothing of the database in the response', async () => {
    const token = await acme.token();
    const restore = await t.breakTable('users');
    const response = await t.gql(CREATE_USER, { host: acme.host, token, variables: { input: { username: 'alice', email: 'alice@example.com' } } });
    await restore();
    // The write path reports storage failure as the operation's documented error …
    expect(response.body.data.createUser.__typename).toBe('FailedToCreateUser');
    expect(JSON.stringify(response.body)).not.toMatch(/users_broken|relation|no such table|SELECT|INSERT/i);

    // … and a read that breaks is masked at the transport level.
    const restoreGroups = await t.breakTable('groups');
    const read = await t.gql('{ group { slug } }', { host: acme.host, token });
    await restoreGroups();
    expect(read.body.errors?.[0]?.extensions?.code).toBe('InternalError');
    expect(JSON.stringify(read.body)).not.toMatch(/groups_broken|relation|no such table|SELECT/i);
  });
});
