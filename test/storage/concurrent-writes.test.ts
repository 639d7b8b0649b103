/**
 * Concurrent writes end with exactly one winner and typed answers for the rest,
 * never a raw error: on SQLite and, in the PostgreSQL half, on PostgreSQL.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { CREATE_USER, LOGIN_WITH_SSO } from '../support/documents.ts';
import { createTestApp, type GroupSeed, type TestApp } from '../support/harness.ts';

const ATTEMPTS = 20;

let t: TestApp;
let acme: GroupSeed;
beforeEach(async () => {
  t = await createTestApp();
  acme = await t.seed.group('acme');
});
afterEach(() => t.close());

function tally(results: Array<{ status: number; body: any }>, field: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const { status, body } of results) {
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    const type = body.data[field].__typename as string;
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

describe('concurrent writes', () => {
  it('20 createUser calls for one username: one CreateUserSuccess, the rest UsernameAlreadyExists', async () => {
    const token = await acme.token();
    const results = await Promise.all(
      Array.from({ length: ATTEMPTS }, (_, i) =>
        t.gql(CREATE_USER, { host: acme.host, token, variables: { input: { username: 'racer', email: `racer${i}@example.com` } } }),
      ),
    );
    expect(tally(results, 'createUser')).toEqual({ CreateUserSuccess: 1, UsernameAlreadyExists: ATTEMPTS - 1 });
    expect(await t.rows(`SELECT id FROM users WHERE username = 'racer'`)).toHaveLength(1);
    expect(await t.rows(`SELECT user_id FROM memberships`)).toHaveLength(1);
  });

  it('20 createUser calls for one email (any case): one CreateUserSuccess, the rest EmailAlreadyExists', async () => {
    const token = await acme.token();
    const results = await Promise.all(
      Array.from({ length: ATTEMPTS }, (_, i) =>
        t.gql(CREATE_USER, {
          host: acme.host,
          token,
          variables: { input: { username: `mailer${i}`, email: i % 2 ? 'Shared@Example.com' : 'shared@example.com' } },
        }),
      ),
    );
    expect(tally(results, 'createUser')).toEqual({ CreateUserSuccess: 1, EmailAlreadyExists: ATTEMPTS - 1 });
  });

  it('20 createUser calls with one suggestedUsername: all succeed, each with its own username', async () => {
    const token = await acme.token();
    const results = await Promise.all(
      Array.from({ length: ATTEMPTS }, (_, i) =>
        t.gql(CREATE_USER, { host: acme.host, token, variables: { input: { suggestedUsername: 'crowd', email: `crowd${i}@example.com` } } }),
      ),
    );
    expect(tally(results, 'createUser')).toEqual({ CreateUserSuccess: ATTEMPTS });
    const usernames = new Set(results.map((r) => r.body.data.createUser.user.username));
    expect(usernames.size).toBe(ATTEMPTS);
  });

  it('20 loginWithSSO calls with one SSO token: exactly one session, the rest InvalidSSOTokenPayload', async () => {
    await acme.user('alice');
    const sso = await acme.ssoToken('alice');
    const results = await Promise.all(
      Array.from({ length: ATTEMPTS }, () => t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: sso } })),
    );
    expect(tally(results, 'loginWithSSO')).toEqual({ LoginWithSSOSuccess: 1, InvalidSSOTokenPayload: ATTEMPTS - 1 });
    expect(await t.rows('SELECT id FROM sessions')).toHaveLength(1);
    expect(await t.rows('SELECT jti FROM sso_token_uses')).toHaveLength(1);
  });
});
