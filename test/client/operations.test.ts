/**
 * Every operation of the typed client against a real server process: its result
 * union member by member, as the schema types it, and the request's own failures
 * thrown as TeamApiError with the envelope, the field and the X-Request-Id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { assertNever, isErrorResult, TeamApiClient, TeamApiError } from '../../client/src/index.ts';
import { envelopeOf } from '../../src/errors/catalog.ts';
import { freePort } from '../support/processes.ts';
import { type RunningApi, startApi } from './running-api.ts';

/** Asserts the member and narrows the union to it. */
function member<R extends { __typename: string }, T extends R['__typename']>(result: R, typename: T): Extract<R, { __typename: T }> {
  expect(result.__typename, JSON.stringify(result)).toBe(typename);
  return result as Extract<R, { __typename: T }>;
}

/** The TeamApiError a call is refused with. */
async function refusal(call: Promise<unknown>): Promise<TeamApiError> {
  const error = await call.then(
    (value) => new Error(`resolved with ${JSON.stringify(value)}`),
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(TeamApiError);
  return error as TeamApiError;
}

const ISO = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/;

let api: RunningApi;
beforeAll(async () => {
  // Webhook endpoints on this machine's loopback addresses are allowed, so that one can be created.
  api = await startApi({ WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' });
  const globex = await api.database.t.seed.group('globex');
  await globex.user('gina-globex');
  await api.database.acme.user('alice', { role: 'admin' });
}, 60_000);
afterAll(async () => {
  await api?.close();
});

describe('provisioning and sign-in', () => {
  it('createUser answers the created user, then each refusal as its union member with the envelope', async () => {
    const backend = api.backend();
    const created = member(
      await backend.createUser({ email: 'ada@example.com', username: '  Ada-Lovelace ', firstName: 'Ada' }),
      'CreateUserSuccess',
    );
    expect(created.user).toMatchObject({ username: 'ada-lovelace', email: 'ada@example.com', firstName: 'Ada', lastName: null });
    expect(created.user.id).toMatch(/\S/);
    expect(created.user.createdAt).toMatch(ISO);

    const taken = member(await backend.createUser({ email: 'other@example.com', username: 'ada-lovelace' }), 'UsernameAlreadyExists');
    expect({ status: taken.status, code: taken.code, message: taken.message }).toEqual(envelopeOf('UsernameAlreadyExists'));
    member(await backend.createUser({ email: 'ADA@example.com', username: 'ada-two' }), 'EmailAlreadyExists');
    expect(member(await backend.createUser({ email: 'not-an-email', username: 'ada-three' }), 'InvalidInput').field).toBe('email');
    member(await backend.createUser({ email: 'abc@example.com', username: 'abc' }), 'OutOfRangeUsername');
    member(await backend.createUser({ email: 'bad@example.com', username: '-bad-name' }), 'InvalidUsername');
    member(await backend.createUser({ email: 'sug@example.com', suggestedUsername: 'ab' }), 'OutOfRangeSuggestedUsername');
  });

  it('createUsers answers one result per input, in order; an empty list is refused as the request’s InvalidInput', async () => {
    const results = await api.backend().createUsers([
      { email: 'bulk-1@example.com', username: 'bulk-user' },
      { email: 'bulk-2@example.com', username: 'bulk-user' },
    ]);
    expect(results.map((r) => r.__typename)).toEqual(['CreateUserSuccess', 'UsernameAlreadyExists']);
    expect(isErrorResult(results[0]!)).toBe(false);
    expect(isErrorResult(results[1]!)).toBe(true);

    const error = await refusal(api.backend().createUsers([]));
    expect(error.envelope).toEqual(envelopeOf('InvalidInput'));
    expect(error.field).toBe('inputs');
    expect(error.requestId).toMatch(/\S/);
  });

  it('createSSOToken mints a login URL on the group’s domain; an unknown user and a user of another group are members of the union', async () => {
    const backend = api.backend();
    member(await backend.createUser({ email: 'sso-user@example.com', username: 'sso-user' }), 'CreateUserSuccess');
    const minted = member(await backend.createSSOToken('sso-user', { redirectTo: '/welcome' }), 'CreateSSOTokenSuccess');
    expect(minted.loginUrl).toContain(`acme.localhost:${api.server.port}`);
    expect(minted.requireConfirmation).toBe(false);
    expect(minted.expiresAt).toMatch(ISO);
    expect(member(await backend.createSSOToken('sso-user', { requireConfirmation: true }), 'CreateSSOTokenSuccess').requireConfirmation).toBe(
      true,
    );
    member(await backend.createSSOToken('nobody-here'), 'InvalidUsername');
    member(await backend.createSSOToken('gina-globex'), 'NotGroupMember');
  });

  it('loginWithSSO signs in once on the group’s domain; viewer shows the session; logout ends it', async () => {
    const backend = api.backend();
    member(await backend.createUser({ email: 'grace@example.com', username: 'grace' }), 'CreateUserSuccess');
    const sso = member(await backend.createSSOToken('grace'), 'CreateSSOTokenSuccess').token;
    const site = api.onGroupDomain('acme');

    const login = member(await site.loginWithSSO(sso), 'LoginWithSSOSuccess');
    expect(login.session.token).toMatch(/\S{20}/);
    expect(login.session.user.username).toBe('grace');
    expect(login.session.group.slug).toBe('acme');
    member(await site.loginWithSSO(sso), 'InvalidSSOTokenPayload');
    member(await site.loginWithSSO('not-a-jwt'), 'SSOTokenFailedToParse');
    const elsewhere = member(await backend.createSSOToken('grace'), 'CreateSSOTokenSuccess').token;
    member(await api.onGroupDomain('globex').loginWithSSO(elsewhere), 'InvalidRequestDomain');

    const signedIn = site.withOptions({ sessionToken: login.session.token! });
    const viewer = await signedIn.viewer();
    expect(viewer).toMatchObject({ user: { username: 'grace' }, group: { slug: 'acme' } });
    expect(await site.viewer()).toBeNull();
    expect(await signedIn.logout()).toBe(true);
    expect(await signedIn.viewer()).toBeNull();
    expect(await signedIn.logout()).toBe(false);
  });
});

describe('reads', () => {
  it('group answers the API token’s group', async () => {
    expect(await api.backend().group()).toMatchObject({ slug: 'acme', isApiEnabled: true, allowedDomains: [] });
  });

  it('user answers the member, InvalidUsername for no such user, NotGroupMember for another group’s user', async () => {
    const backend = api.backend();
    member(await backend.createUser({ email: 'lookup@example.com', username: 'lookup-me' }), 'CreateUserSuccess');
    expect(member(await backend.user('lookup-me'), 'User').email).toBe('lookup@example.com');
    member(await backend.user('no-such-user'), 'InvalidUsername');
    member(await backend.user('gina-globex'), 'NotGroupMember');
  });

  it('usernameAvailable answers availability with alternatives, or a refusal of the name', async () => {
    const backend = api.backend();
    const taken = member(await backend.usernameAvailable('alice'), 'UsernameAvailability');
    expect(taken.available).toBe(false);
    expect(taken.alternatives.length).toBeGreaterThan(0);
    expect(member(await backend.usernameAvailable('Free-Name-42'), 'UsernameAvailability')).toEqual({
      __typename: 'UsernameAvailability',
      username: 'free-name-42',
      available: true,
      alternatives: [],
    });
    member(await backend.usernameAvailable('ab'), 'OutOfRangeUsername');
    member(await backend.usernameAvailable('-dash'), 'InvalidUsername');
  });

  it('members pages through the group for a backend and for an admin; a bad page size is the request’s InvalidInput', async () => {
    const backend = api.backend();
    const first = (await backend.members({ first: 1 }))!;
    expect(first.edges).toHaveLength(1);
    expect(first.pageInfo.hasNextPage).toBe(true);
    const next = (await backend.members({ first: 1, after: first.pageInfo.endCursor! }))!;
    expect(next.edges[0]!.node.user.username).not.toBe(first.edges[0]!.node.user.username);

    const admin = await api.signIn('alice');
    const seenByAdmin = (await admin.members({ first: 100 }))!;
    expect(seenByAdmin.edges.map((e) => e.node.user.username)).toContain('alice');
    expect(seenByAdmin.edges.find((e) => e.node.user.username === 'alice')!.node.role).toBe('admin');
    expect(await api.onGroupDomain('acme').members()).toBeNull();

    const error = await refusal(backend.members({ first: 1000 }));
    expect([error.code, error.field, error.status]).toEqual(['InvalidInput', 'first', 400]);
  });

  it('events answers the group’s events, filtered by type; a malformed cursor is the request’s InvalidInput', async () => {
    const backend = api.backend();
    member(await backend.createUser({ email: 'evented@example.com', username: 'evented' }), 'CreateUserSuccess');
    await api.database.t.feedCaughtUp(); // On PostgreSQL an event is listed once older transactions have ended.
    const page = await backend.events({ types: ['user.created'], first: 500 });
    const created = page.edges.map((e) => e.node).find((e) => e.target.name === 'evented')!;
    expect(created).toMatchObject({ type: 'user.created', actor: { type: 'api_token' }, target: { type: 'user' } });
    expect(JSON.parse(created.data)).toMatchObject({ username: 'evented' });
    expect(page.edges.every((e) => e.node.type === 'user.created')).toBe(true);

    const error = await refusal(backend.events({ after: 'not-a-cursor' }));
    expect([error.code, error.field]).toEqual(['InvalidInput', 'after']);
  });
});

describe('administration', () => {
  it('API tokens: created (the secret shown once), listed, revoked; the revoked token is refused', async () => {
    const admin = await api.signIn('alice');
    const created = member(await admin.createApiToken('CI'), 'CreateApiTokenSuccess');
    expect(created.token).toMatch(/^tapi_/);
    expect(created.apiToken).toMatchObject({ label: 'CI', revokedAt: null });
    expect((await admin.apiTokens()).map((t) => t.id)).toContain(created.apiToken.id);
    expect(member(await admin.createApiToken('x'.repeat(101)), 'InvalidInput').field).toBe('label');

    expect(await api.backend({ apiToken: created.token }).group()).toMatchObject({ slug: 'acme' });
    const revoked = member(await admin.revokeApiToken(created.apiToken.id), 'RevokeApiTokenSuccess');
    expect(revoked.apiToken.revokedAt).toMatch(ISO);
    expect(member(await admin.revokeApiToken('no-such-token'), 'InvalidInput').field).toBe('id');
    const error = await refusal(api.backend({ apiToken: created.token }).group());
    expect(error.envelope).toEqual(envelopeOf('InvalidApiToken'));
  });

  it('updateGroup changes only what it is given; a bad domain is InvalidInput naming the field', async () => {
    const admin = await api.signIn('alice');
    const updated = member(await admin.updateGroup({ title: 'Acme Corp' }), 'UpdateGroupSuccess');
    expect(updated.group).toMatchObject({ slug: 'acme', title: 'Acme Corp', isApiEnabled: true });
    expect(member(await admin.updateGroup({ allowedDomains: ['not a domain'] }), 'InvalidInput').field).toBe('allowedDomains');
  });

  it('sessions lists live sessions; revokeSession ends one; an unknown id is InvalidInput', async () => {
    const backend = api.backend();
    member(await backend.createUser({ email: 'sam@example.com', username: 'sam-session' }), 'CreateUserSuccess');
    const sam = await api.signIn('sam-session');
    const admin = await api.signIn('alice');
    const samSession = (await admin.sessions({ first: 100 })).find((s) => s.user.username === 'sam-session')!;
    expect(samSession.expiresAt).toMatch(ISO);
    expect(member(await admin.revokeSession(samSession.id), 'RevokeSessionSuccess').id).toBe(samSession.id);
    expect(await sam.viewer()).toBeNull();
    expect(member(await admin.revokeSession(samSession.id), 'InvalidInput').field).toBe('id');
  });

  it('removeMember removes and ends sessions; refusals are union members, the last admin the request’s InvalidInput', async () => {
    const backend = api.backend();
    member(await backend.createUser({ email: 'rita@example.com', username: 'rita-removed' }), 'CreateUserSuccess');
    await api.signIn('rita-removed');
    expect(member(await backend.removeMember('rita-removed'), 'RemoveMemberSuccess')).toEqual({
      __typename: 'RemoveMemberSuccess',
      username: 'rita-removed',
      revokedSessions: 1,
    });
    member(await backend.removeMember('rita-removed'), 'NotGroupMember');
    member(await backend.removeMember('no-such-user'), 'InvalidUsername');
    const error = await refusal(backend.removeMember('alice'));
    expect([error.code, error.field]).toEqual(['InvalidInput', 'username']);
    expect(error.detail).not.toBe(error.message);
  });

  it('webhook endpoints: created with a secret, listed with deliveries, deleted; a malformed URL is InvalidInput', async () => {
    const backend = api.backend();
    const url = `http://127.0.0.1:${await freePort()}/hooks`;
    const created = member(await backend.createWebhookEndpoint(url, ['user.created']), 'CreateWebhookEndpointSuccess');
    expect(created.secret).toMatch(/^whsec_/);
    expect(created.endpoint).toMatchObject({ url, types: ['user.created'], disabledAt: null });
    const listed = (await backend.webhookEndpoints({ deliveries: 5 })).find((e) => e.id === created.endpoint.id)!;
    expect(listed.deliveries).toBeInstanceOf(Array);
    expect(member(await backend.createWebhookEndpoint('not a url'), 'InvalidInput').field).toBe('url');

    expect(member(await backend.deleteWebhookEndpoint(created.endpoint.id), 'DeleteWebhookEndpointSuccess').id).toBe(created.endpoint.id);
    expect(member(await backend.deleteWebhookEndpoint(created.endpoint.id), 'InvalidInput').field).toBe('id');
    expect((await backend.webhookEndpoints()).map((e) => e.id)).not.toContain(created.endpoint.id);
  });
});

describe('the request’s own failures', () => {
  it('are thrown as TeamApiError with the envelope and the response’s X-Request-Id', async () => {
    const requestIds: Array<string | null> = [];
    const recording = (input: string, init: RequestInit) =>
      fetch(input, init).then((response) => (requestIds.push(response.headers.get('x-request-id')), response));
    const anonymous = new TeamApiClient({ url: api.url, fetch: recording });
    const error = await refusal(anonymous.createUser({ email: 'x@example.com', username: 'anonymous' }));
    expect(error.envelope).toEqual(envelopeOf('UnauthorizedRequest'));
    expect(error.status).toBe(401);
    expect(error.requestId).toMatch(/\S/);
    expect(error.requestId).toBe(requestIds.at(-1));
    expect(error.attempts).toBe(1);

    const traced = await refusal(anonymous.group({ headers: { 'X-Request-Id': 'client-trace-1' } }));
    expect(traced.requestId).toBe('client-trace-1');

    const badToken = await refusal(api.backend({ apiToken: 'tapi_not-a-real-token' }).group());
    expect(badToken.envelope).toEqual(envelopeOf('InvalidApiToken'));
    // An admin-only operation with an API token: the token is the caller, and it may not.
    expect((await refusal(api.backend().apiTokens())).code).toBe('UnauthorizedRequest');
  });

  it('a client is one caller: an API token and a session together are refused up front', () => {
    expect(() => new TeamApiClient({ url: api.url, apiToken: 'tapi_x', sessionToken: 'y' })).toThrow(TypeError);
  });
});

describe('assertNever', () => {
  it('throws on a member the switch did not know, naming it', () => {
    const fromNewerServer = { __typename: 'SomethingNew' } as never;
    expect(() => assertNever(fromNewerServer)).toThrow('Unhandled result member SomethingNew');
  });
});
