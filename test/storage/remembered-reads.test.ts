/**
 * The API token a request presents is answered from memory on SQLite until its
 * tables change (src/db/sqlite/remembered-reads.ts), so that the writes of the
 * requests it authenticates do not forget it. Whatever changes it is seen by the
 * next request: a revocation or a group's API switched off in this process (the
 * tables' triggers), or in another connection (an admin CLI: `PRAGMA data_version`).
 * The same holds on PostgreSQL, which reads it every time. A sign-in's reads of its
 * group by slug and of the API token that minted its link are remembered the same way.
 */
import { afterEach, beforeEach, expect, it } from 'vitest';
import { CLI_CALLER } from '../../src/domain/events.ts';
import { CREATE_SSO_TOKEN, CREATE_USER, GROUP, LOGIN_WITH_SSO } from '../support/documents.ts';
import { createTestApp, envelopeOf, type GroupSeed, type TestApp } from '../support/harness.ts';

let t: TestApp;
let acme: GroupSeed;
let token: string;
let tokenId: string;

beforeEach(async () => {
  t = await createTestApp({ shared: true });
  acme = await t.seed.group('acme');
  token = await acme.token();
  tokenId = (await t.app.services.apiTokens.list(acme.group))[0]!.id;
});
afterEach(() => t.close());

/** The group query with the token: its slug, or the error's code. */
async function groupWith(presented: string): Promise<string> {
  const res = await t.gql(GROUP, { token: presented });
  return res.body.data?.group?.slug ?? res.body.errors?.[0]?.extensions?.code;
}

/** createUser with the token, as a backend provisioning users would. */
async function createUser(username: string): Promise<string> {
  const res = await t.gql(CREATE_USER, { token, variables: { input: { email: `${username}@example.com`, username } } });
  return res.body.data?.createUser?.__typename ?? res.body.errors?.[0]?.extensions?.code;
}

it('outlives the writes it authenticates, and not its revocation in this process', async () => {
  expect(await groupWith(token)).toBe('acme');
  expect(await createUser('ada-lovelace')).toBe('CreateUserSuccess');
  expect(await createUser('grace-hopper')).toBe('CreateUserSuccess');
  expect(await groupWith(token)).toBe('acme');

  await t.app.services.apiTokens.revoke(acme.group, tokenId, CLI_CALLER);
  expect(await groupWith(token)).toBe('InvalidApiToken');
  expect(await createUser('alan-turing')).toBe('InvalidApiToken');
  expect(await t.count('users')).toBe(2);
});

it('is refused once the group’s API is switched off, and a new token is known at once', async () => {
  expect(await createUser('ada-lovelace')).toBe('CreateUserSuccess');
  const fresh = await acme.token(true);
  expect(await groupWith(fresh)).toBe('acme');
  await t.app.services.groups.update(acme.group, { isApiEnabled: false }, CLI_CALLER);
  expect(await groupWith(token)).toBe('ApiIsDisabled');
  expect(await groupWith(fresh)).toBe('ApiIsDisabled');
  expect(envelopeOf('ApiIsDisabled').status).toBe(403);
});

it('is refused once another connection revokes it (the admin CLI)', async () => {
  expect(await groupWith(token)).toBe('acme');
  expect(await createUser('ada-lovelace')).toBe('CreateUserSuccess');
  const revoked = await t.admin('token', 'revoke', tokenId, '--json');
  expect(revoked.code, revoked.stderr).toBe(0);
  // The next turn of the event loop reads data_version again.
  await new Promise((resolve) => setImmediate(resolve));
  expect(await groupWith(token)).toBe('InvalidApiToken');
});

/** A sign-in link for `username`, minted with the API token; then a login with it on the group's domain. */
async function mintLink(username: string): Promise<string> {
  return (await t.gql(CREATE_SSO_TOKEN, { token, variables: { username } })).body.data.createSSOToken.token;
}
async function login(link: string): Promise<string> {
  const res = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: link } });
  return res.body.data?.loginWithSSO?.__typename ?? res.body.errors?.[0]?.extensions?.code;
}

it('answers a sign-in’s group and minting token from memory, and sees the token revoked and the group gone', async () => {
  await acme.user('katherine');
  const links = [await mintLink('katherine'), await mintLink('katherine'), await mintLink('katherine')];
  expect(await login(links[0]!)).toBe('LoginWithSSOSuccess');
  expect(await createUser('grace-hopper')).toBe('CreateUserSuccess');
  expect(await login(links[1]!)).toBe('LoginWithSSOSuccess');

  await t.app.services.apiTokens.revoke(acme.group, tokenId, CLI_CALLER);
  expect(await login(links[2]!)).toBe('InvalidSSOTokenPayload');

  const other = await t.seed.group('other');
  await other.user('alan-turing');
  const otherLink = await other.ssoToken('alan-turing');
  await t.app.services.groups.delete('other', CLI_CALLER);
  const res = await t.gql(LOGIN_WITH_SSO, { host: other.host, variables: { token: otherLink } });
  expect(res.body.data?.loginWithSSO?.__typename).toBe('GroupNotFound');
});

it('answers a sign-in’s member from memory across the sessions it commits, and sees it removed, added and suspended at once', async () => {
  await acme.user('katherine');
  const links = await Promise.all(Array.from({ length: 3 }, () => mintLink('katherine')));
  expect(await login(links[0]!)).toBe('LoginWithSSOSuccess');
  // Another commit (a session and its event) does not forget the member; a removal does.
  expect(await login(links[1]!)).toBe('LoginWithSSOSuccess');
  await t.app.services.members.remove(acme.group, 'katherine', {}, CLI_CALLER);
  expect(await login(links[2]!)).toBe('NotGroupMember');
  // Remembered as no member, then added: the insert is seen.
  const refused = await t.gql(CREATE_SSO_TOKEN, { token, variables: { username: 'katherine' } });
  expect(refused.body.data.createSSOToken.__typename).toBe('NotGroupMember');
  await t.app.services.members.add(acme.group, 'katherine', 'member', CLI_CALLER);
  const link = await mintLink('katherine');
  // Suspended by a change of the membership row, whatever writes it.
  (t.store as any).sqlite?.exec(`UPDATE memberships SET suspended_at = 1 WHERE user_id = (SELECT id FROM users WHERE username = 'katherine')`);
  if (t.dialect === 'postgres') await t.rows(`UPDATE memberships SET suspended_at = 1 WHERE user_id = (SELECT id FROM users WHERE username = 'katherine') RETURNING 1`);
  expect(await login(link)).toBe('MemberSuspended');
});
