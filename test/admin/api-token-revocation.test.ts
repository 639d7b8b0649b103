/**
 * API.md §17: a leaked API token must not outlive its revocation. A session
 * remembers the API token whose sign-in link made it, revoking the token (GraphQL,
 * console, CLI) ends those sessions with `session.ended` (reason
 * `api_token_revoked`), and `adminSignInWithApiToken: false` keeps API tokens from
 * minting admins' links (SignInNotAllowed) while the CLI's login-link still works.
 *
 * Decided: a token made in such a session (B) survives the revocation of the token
 * whose link signed that session in (A). Admins sign in through their backend's
 * token, and rotating it (sign in through A, make B, deploy B, revoke A) must keep
 * B; B is marked as made through A instead (in `api_token.created` and the console),
 * so an admin revoking a leaked A can find and revoke what was made with it.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  CREATE_API_TOKEN,
  expectResultError,
  REVOKE_API_TOKEN,
  SESSIONS,
  UPDATE_GROUP,
} from '../support/admin-documents.ts';
import { CREATE_SSO_TOKEN, GROUP, LOGIN_WITH_SSO, VIEWER } from '../support/documents.ts';
import { createTestApp, envelopeOf, type GroupSeed, type TestApp } from '../support/harness.ts';
import { get, postJson } from '../support/rest.ts';
import type { EventRecord } from '../../src/db/store.ts';

let t: TestApp;
let acme: GroupSeed;
/** Token A: the group backend's token, the one that leaks. */
let tokenA: string;
let tokenAId: string;
/** alice (admin) signed in by the CLI's login-link: the admin who cleans up. */
let ownerCookie: string;

beforeEach(async () => {
  t = await createTestApp({ shared: true });
  acme = await t.seed.group('acme');
  tokenA = await acme.token();
  tokenAId = (await t.app.services.apiTokens.list(acme.group))[0]!.id;
  await acme.user('alice', { role: 'admin' });
  await acme.user('brian');
  ownerCookie = await acme.session('alice');
});
afterEach(() => t.close());

const asOwner = (query: string, variables?: Record<string, unknown>) => t.gql(query, { host: acme.host, cookie: ownerCookie, variables });

/** Mints a link with the API token and signs in with it: the session's Cookie header value. */
async function signInThrough(token: string, username: string): Promise<string> {
  const minted = await t.gql(CREATE_SSO_TOKEN, { token, variables: { username } });
  expect(minted.body.data.createSSOToken.__typename).toBe('CreateSSOTokenSuccess');
  const login = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: minted.body.data.createSSOToken.token } });
  expect(login.body.data.loginWithSSO.__typename).toBe('LoginWithSSOSuccess');
  return `session=${login.body.data.loginWithSSO.session.token}`;
}

const signedIn = async (cookie: string) => (await t.gql(VIEWER, { host: acme.host, cookie })).body.data.viewer !== null;
const tokenWorks = async (token: string) => (await t.gql(GROUP, { host: acme.host, token })).body.data?.group?.slug === 'acme';

async function events(...types: string[]): Promise<Array<EventRecord & { payload: any }>> {
  await t.feedCaughtUp();
  const { events: found } = await t.app.services.events.list(acme.group, { first: 500, after: null, types, since: null });
  return found.map((e) => ({ ...e, payload: JSON.parse(e.data) }));
}

const sessionIdsOf = async () => (await t.app.services.sessions.list(acme.group, 100, null)).map((s) => s.session.id);

describe('the attack: a leaked token signs an admin in and makes itself a new token', () => {
  it('revoking A ends the session signed in through its link (session.ended, api_token_revoked); B survives, recorded as made through A', async () => {
    const attacker = await signInThrough(tokenA, 'alice');
    const session = (await t.gql(VIEWER, { host: acme.host, cookie: attacker })).body.data.viewer;
    expect(session.user.username).toBe('alice');
    const attackerSessionId = (await t.app.services.sessions.list(acme.group, 100, null)).at(-1)!.session;
    expect(attackerSessionId.apiTokenId).toBe(tokenAId);

    const made = await t.gql(CREATE_API_TOKEN, { host: acme.host, cookie: attacker, variables: { label: 'persistence' } });
    const tokenB = made.body.data.createApiToken;
    expect(tokenB.__typename).toBe('CreateApiTokenSuccess');

    // B is recorded as made in a session signed in through A.
    const [created] = (await events('api_token.created')).filter((e) => e.target.id === tokenB.apiToken.id);
    expect(created!.actor).toMatchObject({ type: 'user', name: 'alice' });
    expect(created!.payload).toEqual({ label: 'persistence', signedInWithApiToken: { id: tokenAId, label: 'test' } });
    expect((await t.app.services.apiTokens.get(acme.group, tokenB.apiToken.id)).createdThroughApiTokenId).toBe(tokenAId);

    // The owner revokes A: the attacker's session ends at once, in the same write.
    const revoked = await asOwner(REVOKE_API_TOKEN, { id: tokenAId });
    expect(revoked.body.data.revokeApiToken.__typename).toBe('RevokeApiTokenSuccess');
    expect(await signedIn(attacker)).toBe(false);
    expect(await signedIn(ownerCookie)).toBe(true);
    expect(await sessionIdsOf()).not.toContain(attackerSessionId.id);
    expect((await t.gql(CREATE_API_TOKEN, { host: acme.host, cookie: attacker, variables: { label: 'again' } })).body.errors[0].extensions.code).toBe(
      'UnauthorizedRequest',
    );

    const ended = (await events('session.ended')).filter((e) => e.payload.sessionId === attackerSessionId.id);
    expect(ended).toHaveLength(1);
    expect(ended[0]!.payload).toEqual({ username: 'alice', sessionId: attackerSessionId.id, reason: 'api_token_revoked' });
    expect(ended[0]!.actor).toMatchObject({ type: 'user', name: 'alice' });
    // The revocation and the session's end are one unit of work: consecutive in the feed.
    const [revokedEvent, endedEvent] = await events('api_token.revoked', 'session.ended');
    expect([revokedEvent!.type, endedEvent!.type]).toEqual(['api_token.revoked', 'session.ended']);

    // A is refused; B, the admin's own token now, still works (see the file's comment).
    expect(await tokenWorks(tokenA)).toBe(false);
    expect(await tokenWorks(tokenB.token)).toBe(true);
  });

  it('a link A minted before its revocation no longer signs in, and sessions of other tokens and of login-link stay', async () => {
    const tokenC = await acme.token(true);
    const throughC = await signInThrough(tokenC, 'brian');
    const pending = (await t.gql(CREATE_SSO_TOKEN, { token: tokenA, variables: { username: 'brian' } })).body.data.createSSOToken;
    const throughA = await signInThrough(tokenA, 'brian');

    await asOwner(REVOKE_API_TOKEN, { id: tokenAId });
    expect(await signedIn(throughA)).toBe(false);
    expect(await signedIn(throughC)).toBe(true);
    expect(await signedIn(ownerCookie)).toBe(true);

    const late = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: pending.token } });
    expect(late.body.data.loginWithSSO).toMatchObject({ __typename: 'InvalidSSOTokenPayload', ...envelopeOf('InvalidSSOTokenPayload') });
    const opened = await get(t, new URL(pending.loginUrl).pathname + new URL(pending.loginUrl).search, { host: acme.host });
    expect(opened.status).toBe(400);
    expect(await t.count('sessions')).toBe(2);
  });

  it('the CLI’s token revoke ends them too, recorded with the cli actor', async () => {
    const attacker = await signInThrough(tokenA, 'alice');
    const revoked = await t.admin('token', 'revoke', tokenAId, '--json');
    expect(revoked.code).toBe(0);
    expect(await signedIn(attacker)).toBe(false);
    const [ended] = (await events('session.ended')).filter((e) => e.payload.reason === 'api_token_revoked');
    expect(ended!.actor.type).toBe('cli');
  });

  it('the store refuses, in the session’s own write, a session of a token revoked after the login checked it', async () => {
    // What a login does when the revocation commits between its check and its write.
    await asOwner(REVOKE_API_TOKEN, { id: tokenAId });
    const alice = (await t.app.services.members.get(acme.group, 'alice')).user;
    const now = Date.now();
    const outcome = await t.store.createSessionUsingSsoToken(
      { jti: 'race-jti', expiresAt: now + 600_000 },
      { id: 'race-session', userId: alice.id, groupId: acme.group.id, createdAt: now, expiresAt: now + 60_000, apiTokenId: tokenAId, tokenHash: 'h'.repeat(43) },
      [],
    );
    expect(outcome).toEqual({ ok: false, reason: 'api-token-revoked' });
    expect(await sessionIdsOf()).not.toContain('race-session');
    // Nothing written: not even the SSO token's use.
    expect(await t.store.findSsoTokenUse('race-jti')).toBeNull();
  });

  it('revoking a revoked token ends nothing more and records nothing more', async () => {
    await signInThrough(tokenA, 'alice');
    await asOwner(REVOKE_API_TOKEN, { id: tokenAId });
    await asOwner(REVOKE_API_TOKEN, { id: tokenAId });
    expect((await events('session.ended', 'api_token.revoked')).map((e) => e.type)).toEqual(['api_token.revoked', 'session.ended']);
  });
});

describe('session.created and the sessions it makes', () => {
  it('names the minting token as actor; a login-link session names the user and no token', async () => {
    await signInThrough(tokenA, 'brian');
    const [fromToken] = (await events('session.created')).filter((e) => e.payload.username === 'brian');
    expect(fromToken!.actor).toEqual({ type: 'api_token', id: tokenAId, name: 'test' });
    expect(fromToken!.target).toMatchObject({ type: 'user', name: 'brian' });

    const [owner] = (await events('session.created')).filter((e) => e.payload.username === 'alice');
    expect(owner!.actor).toMatchObject({ type: 'user', name: 'alice' });
    const sessions = await t.app.services.sessions.list(acme.group, 100, null);
    expect(sessions.map((s) => [s.user.username, s.session.apiTokenId])).toEqual([
      ['alice', null],
      ['brian', tokenAId],
    ]);
    // The SessionInfo list still answers as before.
    expect((await asOwner(SESSIONS)).body.data.sessions).toHaveLength(2);
  });

  it('api_token.created outside such a session says so: signedInWithApiToken null', async () => {
    const made = await asOwner(CREATE_API_TOKEN, { label: 'ci' });
    const [created] = (await events('api_token.created')).filter((e) => e.target.id === made.body.data.createApiToken.apiToken.id);
    expect(created!.payload).toEqual({ label: 'ci', signedInWithApiToken: null });
  });

  it('refuses a forged claim: the `at` claim is signed like the rest', async () => {
    const minted = (await t.gql(CREATE_SSO_TOKEN, { token: tokenA, variables: { username: 'brian' } })).body.data.createSSOToken.token;
    const [header, payload, signature] = minted.split('.');
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());
    expect(claims.at).toBe(tokenAId);
    delete claims.at;
    const forged = `${header}.${Buffer.from(JSON.stringify(claims)).toString('base64url')}.${signature}`;
    const res = await t.gql(LOGIN_WITH_SSO, { host: acme.host, variables: { token: forged } });
    expect(res.body.data.loginWithSSO.__typename).toBe('SSOTokenFailedToParse');
  });
});

describe('Group.adminSignInWithApiToken', () => {
  const SETTING = '{ group { adminSignInWithApiToken } }';

  it('defaults to true, is set by updateGroup (admin), and is recorded in group.updated', async () => {
    expect((await t.gql(SETTING, { token: tokenA })).body.data.group.adminSignInWithApiToken).toBe(true);
    const res = await asOwner(UPDATE_GROUP, { input: { adminSignInWithApiToken: false } });
    expect(res.body.data.updateGroup.__typename).toBe('UpdateGroupSuccess');
    expect((await t.gql(SETTING, { token: tokenA })).body.data.group.adminSignInWithApiToken).toBe(false);
    // Null or left out leaves it as it is.
    await asOwner(UPDATE_GROUP, { input: { adminSignInWithApiToken: null, title: 'Acme' } });
    expect((await t.gql(SETTING, { token: tokenA })).body.data.group.adminSignInWithApiToken).toBe(false);
    const [updated] = (await events('group.updated')).filter((e) => 'adminSignInWithApiToken' in e.payload.changes);
    expect(updated!.payload.changes.adminSignInWithApiToken).toEqual({ from: true, to: false });
    // An API token cannot change it.
    const byToken = await t.gql(UPDATE_GROUP, { token: tokenA, variables: { input: { adminSignInWithApiToken: true } } });
    expect(byToken.body.errors[0].extensions.code).toBe('UnauthorizedRequest');
  });

  it('false: createSSOToken answers SignInNotAllowed for an admin over GraphQL and REST; members and login-link still sign in', async () => {
    await asOwner(UPDATE_GROUP, { input: { adminSignInWithApiToken: false } });
    const before = (await events('sso_token.created')).length;

    const refused = await t.gql(CREATE_SSO_TOKEN, { token: tokenA, variables: { username: 'alice' } });
    expectResultError(refused, 'createSSOToken', 'SignInNotAllowed');
    // Exactly the catalog's envelope, nothing beside it.
    expect(refused.body.data.createSSOToken).toEqual({ __typename: 'SignInNotAllowed', ...envelopeOf('SignInNotAllowed') });

    const rest = await postJson(t, '/-/api/ssotoken/create', { username: 'alice' }, { token: tokenA });
    expect(rest.status).toBe(403);
    expect(rest.body).toEqual({
      error: { status: 403, code: 'SignInNotAllowed', message: 'Signing in this user with an api token is not allowed for this group.' },
    });
    expect((await events('sso_token.created')).length).toBe(before);

    // A member who is no admin still gets a link.
    expect(await signedIn(await signInThrough(tokenA, 'brian'))).toBe(true);

    // The CLI's login-link still works for the admin.
    const link = await t.admin('login-link', 'acme', 'alice', '--json');
    expect(link.code).toBe(0);
    const url = new URL(link.json().loginUrl);
    const opened = await get(t, url.pathname + url.search, { host: url.host });
    expect(opened.status).toBe(302);

    // Switched back on, the admin's link is minted again.
    await asOwner(UPDATE_GROUP, { input: { adminSignInWithApiToken: true } });
    expect((await t.gql(CREATE_SSO_TOKEN, { token: tokenA, variables: { username: 'alice' } })).body.data.createSSOToken.__typename).toBe(
      'CreateSSOTokenSuccess',
    );
  });
});
