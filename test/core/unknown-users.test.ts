/**
 * The original API's answers for a username (API.md §10): InvalidUsername when it
 * names no user at all, NotGroupMember only for a user who exists but is not in the
 * group; for every operation that names a user, over GraphQL, REST and the CLI.
 */
import { SignJWT } from 'jose';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { runAdmin } from '../../src/cli/admin.ts';
import type { ErrorCode } from '../../src/errors/catalog.ts';
import { expectResultError, REMOVE_MEMBER, USER } from '../support/admin-documents.ts';
import { CREATE_SSO_TOKEN, LOGIN_WITH_SSO } from '../support/documents.ts';
import { createTestApp, envelopeOf, type GroupSeed, TEST_SSO_SECRET, type TestApp } from '../support/harness.ts';
import { get, postJson } from '../support/rest.ts';
import { tempDatabaseUrl } from '../support/processes.ts';

let t: TestApp;
let acme: GroupSeed;
let token: string;

beforeEach(async () => {
  t = await createTestApp();
  acme = await t.seed.group('acme');
  token = await acme.token();
  await acme.user('alice', { role: 'admin' });
  // Bobby exists, in another group only.
  await (await t.seed.group('globex')).user('bobby');
});
afterEach(() => t.close());

/** Each case: a username, and what every operation must answer for it. */
const CASES: Array<[string, ErrorCode]> = [
  ['nobody', 'InvalidUsername'],
  ['bobby', 'NotGroupMember'],
];

/** An SSO token for acme naming `username`, signed with the server's secret (as if minted before the user went away). */
function ssoTokenNaming(username: string): Promise<string> {
  const now = Math.floor(Date.now() / 1000);
  return new SignJWT({ username, group: 'acme', jti: crypto.randomUUID(), iat: now, exp: now + 600 })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(new TextEncoder().encode(TEST_SSO_SECRET));
}

describe.each(CASES)('a username %j', (username, code) => {
  it(`createSSOToken answers ${code}, over GraphQL and REST`, async () => {
    const gql = await t.gql(CREATE_SSO_TOKEN, { token, variables: { username } });
    expectResultError(gql, 'createSSOToken', code);
    const rest = await postJson(t, '/-/api/ssotoken/create', { username }, { token });
    expect(rest.status).toBe(envelopeOf(code).status);
    expect(rest.body).toEqual({ error: envelopeOf(code) });
  });

  it(`loginWithSSO and the login URL answer ${code}, and create no session`, async () => {
    const gql = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: await ssoTokenNaming(username) } });
    expectResultError(gql, 'loginWithSSO', code);
    const rest = await get(t, `/-/api/ssotoken/login?token=${await ssoTokenNaming(username)}`, { host: acme.host });
    expect(rest.status).toBe(envelopeOf(code).status);
    expect(rest.body).toEqual({ error: envelopeOf(code) });
    expect(await t.count('sessions')).toBe(0);
  });

  it(`user answers ${code}`, async () => {
    expectResultError(await t.gql(USER, { host: acme.host, token, variables: { username } }), 'user', code);
  });

  it(`removeMember answers ${code}`, async () => {
    expectResultError(await t.gql(REMOVE_MEMBER, { host: acme.host, token, variables: { username } }), 'removeMember', code);
  });
});

describe('the admin CLI', () => {
  it('member remove names the same code on stderr', async () => {
    const env = { DATABASE_URL: tempDatabaseUrl() };
    const admin = async (...argv: string[]) => {
      let stderr = '';
      const code = await runAdmin(argv, { env, stdout: () => {}, stderr: (text) => (stderr += text) });
      return { code, stderr };
    };
    await admin('group', 'create', 'acme');
    const nobody = await admin('member', 'remove', 'acme', 'nobody');
    expect(nobody.code).toBe(1);
    expect(nobody.stderr).toMatch(/\(InvalidUsername\)/);
  });
});
