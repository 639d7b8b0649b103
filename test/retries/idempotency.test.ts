/** Idempotency keys (API.md §11) through app.fetch: replays, reuse, refusals, scope, expiry, and what is not remembered. */
import { CLI_CALLER } from '../../src/domain/events.ts';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectTransportError, REMOVE_MEMBER, UPDATE_GROUP } from '../support/admin-documents.ts';
import { CREATE_SSO_TOKEN, CREATE_USER } from '../support/documents.ts';
import { acmeApp, envelopeOf, type GroupSeed, type TestApp, TestClock } from '../support/harness.ts';
import { postJson } from '../support/rest.ts';

let t: TestApp;
let clock: TestClock;
let acme: GroupSeed;
let token: string;

beforeEach(async () => {
  clock = new TestClock(Date.parse('2026-07-01T10:00:00Z'));
  ({ t, acme, token } = await acmeApp({ clock }));
});
afterEach(() => t.close());

/** POSTs a GraphQL document with the API token and the key; the raw answer. */
async function keyed(key: string, query: string, variables: Record<string, unknown>, callToken = token) {
  const res = await t.request('/graphql', {
    method: 'POST',
    headers: { 'content-type': 'application/json', authorization: `Bearer ${callToken}`, 'idempotency-key': key },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, text: await res.text() };
}

const grace = { input: { email: 'grace@example.com', username: 'grace' } };

describe('Idempotency-Key on GraphQL writes', () => {
  it('replays createUser byte for byte, with Idempotent-Replayed, writing nothing twice', async () => {
    const first = await keyed('k-1', CREATE_USER, grace);
    expect(first.status).toBe(200);
    expect(JSON.parse(first.text).data.createUser.__typename).toBe('CreateUserSuccess');
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const users = await t.count('users');
    const events = await t.count('events');

    const again = await keyed('k-1', CREATE_USER, grace);
    expect(again.status).toBe(first.status);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await t.count('users')).toBe(users);
    expect(await t.count('events')).toBe(events);
  });

  it('replays createSSOToken with the same token and login URL', async () => {
    await acme.user('alice');
    const first = await keyed('mint-1', CREATE_SSO_TOKEN, { username: 'alice' });
    const again = await keyed('mint-1', CREATE_SSO_TOKEN, { username: 'alice' });
    expect(again.text).toBe(first.text);
    expect(JSON.parse(again.text).data.createSSOToken.token).toMatch(/^eyJ/);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    // Minted once: one event.
    expect(await t.rows(`SELECT count(*) AS n FROM events WHERE type = 'sso_token.created'`)).toEqual([{ n: t.dialect === 'sqlite' ? 1 : '1' }]);
  });

  it('remembers a refusal: the retry answers it again, even once the cause is gone', async () => {
    await t.app.services.groups.update(acme.group, { allowedDomains: ['acme.com'] }, CLI_CALLER);
    const first = await keyed('k-refused', CREATE_USER, grace);
    expect(JSON.parse(first.text).data.createUser.__typename).toBe('InvalidEmailDomain');
    await t.app.services.groups.update(acme.group, { allowedDomains: [] }, CLI_CALLER);
    const again = await keyed('k-refused', CREATE_USER, grace);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await t.count('users')).toBe(0);
    // A new key runs afresh.
    expect(JSON.parse((await keyed('k-new', CREATE_USER, grace)).text).data.createUser.__typename).toBe('CreateUserSuccess');
  });

  it('refuses the same key with a different request: IdempotencyKeyReused (422), nothing written', async () => {
    await keyed('k-2', CREATE_USER, grace);
    const users = await t.count('users');
    for (const [query, variables] of [
      [CREATE_USER, { input: { email: 'grace@example.com', username: 'grace2' } }],
      [CREATE_USER, { input: { username: 'grace', email: 'grace@example.com' } }],
      [CREATE_SSO_TOKEN, { username: 'grace' }],
    ] as const) {
      const res = await keyed('k-2', query, variables);
      expect(res.status).toBe(422);
      const body = JSON.parse(res.text);
      expect(body.data).toBeNull();
      expect(body.errors[0].extensions.error).toEqual(envelopeOf('IdempotencyKeyReused'));
    }
    expect(await t.count('users')).toBe(users);
  });

  it('refuses a malformed key as a transport-level InvalidInput naming Idempotency-Key, on GraphQL and REST', async () => {
    for (const key of ['', ' ', 'x'.repeat(256), 'tab\tkey', 'clé']) {
      const res = await t.request('/graphql', {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, 'idempotency-key': key },
        body: JSON.stringify({ query: CREATE_USER, variables: grace }),
      });
      expect(res.status, JSON.stringify(key)).toBe(400);
      const body = await res.json();
      expect(body.errors[0].extensions).toMatchObject({ code: 'InvalidInput', field: 'Idempotency-Key' });
      const rest = await postJson(t, '/-/api/user/create', grace.input, { token, headers: { 'idempotency-key': key } });
      expect(rest.status).toBe(400);
      expect(rest.body).toEqual({ error: envelopeOf('InvalidInput'), details: { field: 'Idempotency-Key', reason: expect.any(String) } });
    }
    expect(await t.count('users')).toBe(0);
    // At the edges: 1 and 255 visible characters.
    expect((await keyed('!', CREATE_USER, grace)).status).toBe(200);
    expect((await keyed('~'.repeat(255), CREATE_USER, { input: { email: 'h@example.com', username: 'hopper' } })).status).toBe(200);
  });

  it('does not remember transport-level failures: a retry after one runs afresh', async () => {
    const heal = await t.breakTable('idempotency_keys');
    const failed = await keyed('k-3', CREATE_USER, grace);
    expect(failed.status).toBe(500);
    await heal();
    const retry = await keyed('k-3', CREATE_USER, grace);
    expect(JSON.parse(retry.text).data.createUser.__typename).toBe('CreateUserSuccess');
    expect(retry.headers.get('idempotent-replayed')).toBeNull();
  });

  it('does not remember a storage failure either (FailedToCreateUser): the retry writes', async () => {
    const heal = await t.injectFault('users');
    const failed = await keyed('k-4', CREATE_USER, grace);
    expect(JSON.parse(failed.text).data.createUser.__typename).toBe('FailedToCreateUser');
    await heal();
    expect(JSON.parse((await keyed('k-4', CREATE_USER, grace)).text).data.createUser.__typename).toBe('CreateUserSuccess');
  });

  it('scopes keys to the token’s group', async () => {
    const globex = await t.seed.group('globex');
    const globexToken = await globex.token();
    const a = await keyed('shared-key', CREATE_USER, grace);
    const b = await keyed('shared-key', CREATE_USER, { input: { email: 'gina@example.com', username: 'gina' } }, globexToken);
    expect(JSON.parse(a.text).data.createUser.__typename).toBe('CreateUserSuccess');
    expect(JSON.parse(b.text).data.createUser.__typename).toBe('CreateUserSuccess');
    expect(b.headers.get('idempotent-replayed')).toBeNull();
  });

  it('forgets a key after IDEMPOTENCY_KEY_TTL_SECONDS, and the purge deletes it', async () => {
    await t.close();
    clock = new TestClock(Date.parse('2026-07-01T10:00:00Z'));
    ({ t, acme, token } = await acmeApp({ clock, env: { IDEMPOTENCY_KEY_TTL_SECONDS: '60' } }));
    await keyed('k-5', CREATE_USER, grace);
    clock.advance(59_000);
    expect((await keyed('k-5', CREATE_USER, grace)).headers.get('idempotent-replayed')).toBe('true');
    clock.advance(2_000);
    const fresh = await keyed('k-5', CREATE_USER, { input: { email: 'h@example.com', username: 'hopper' } });
    expect(JSON.parse(fresh.text).data.createUser.user.username).toBe('hopper');
    expect(await t.count('idempotency_keys')).toBe(1);
    clock.advance(61_000);
    await t.app.services.sessions.purgeExpired();
    expect(await t.count('idempotency_keys')).toBe(0);
  });

  it('answers 20 duplicates at once with one write: the first answer, replays, or IdempotencyKeyInUse with Retry-After', async () => {
    const answers = await Promise.all(Array.from({ length: 20 }, () => keyed('k-burst', CREATE_USER, grace)));
    const created = answers.filter((a) => a.status === 200 && a.headers.get('idempotent-replayed') === null);
    expect(created).toHaveLength(1);
    for (const answer of answers) {
      if (answer === created[0]) continue;
      if (answer.status === 200) {
        expect(answer.text).toBe(created[0]!.text);
        expect(answer.headers.get('idempotent-replayed')).toBe('true');
      } else {
        expect(answer.status).toBe(409);
        expect(answer.headers.get('retry-after')).toBe('1');
        expect(JSON.parse(answer.text).errors[0].extensions.error).toEqual(envelopeOf('IdempotencyKeyInUse'));
      }
    }
    expect(await t.count('users')).toBe(1);
  });

  it('keeps each write of a request apart (by alias), and replays them all', async () => {
    const query = `mutation ($a: CreateUserInput!, $b: CreateUserInput!) {
      a: createUser(input: $a) { __typename ... on CreateUserSuccess { user { id username } } }
      b: createUser(input: $b) { __typename ... on CreateUserSuccess { user { id username } } ... on Error { code } }
    }`;
    const variables = { a: grace.input, b: { email: 'hopper@example.com', username: 'hopper' } };
    const first = await keyed('k-two', query, variables);
    expect(JSON.parse(first.text).data.b.user.username).toBe('hopper');
    const again = await keyed('k-two', query, variables);
    expect(again.text).toBe(first.text);
    expect(await t.count('users')).toBe(2);
  });

  it('guards removeMember with the API token, and replays its answer', async () => {
    await acme.user('carol');
    await acme.session('carol');
    const first = await keyed('k-remove', REMOVE_MEMBER, { username: 'carol' });
    expect(JSON.parse(first.text).data.removeMember).toEqual({ __typename: 'RemoveMemberSuccess', username: 'carol', revokedSessions: 1 });
    const again = await keyed('k-remove', REMOVE_MEMBER, { username: 'carol' });
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('guards createWebhookEndpoint (the same secret again) and deleteWebhookEndpoint', async () => {
    await t.close();
    ({ t, acme, token } = await acmeApp({ clock, env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } }));
    const create = `mutation ($url: String!) { createWebhookEndpoint(url: $url) {
      __typename ... on CreateWebhookEndpointSuccess { secret endpoint { id url } } ... on Error { code } } }`;
    const first = await keyed('k-hook', create, { url: 'http://127.0.0.1:9/hook' });
    const created = JSON.parse(first.text).data.createWebhookEndpoint;
    expect(created.secret).toMatch(/^whsec_/);
    const again = await keyed('k-hook', create, { url: 'http://127.0.0.1:9/hook' });
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(await t.count('webhook_endpoints')).toBe(1);

    const remove = `mutation ($id: ID!) { deleteWebhookEndpoint(id: $id) {
      __typename ... on DeleteWebhookEndpointSuccess { id } ... on InvalidInput { code field } } }`;
    const deleted = await keyed('k-unhook', remove, { id: created.endpoint.id });
    expect(JSON.parse(deleted.text).data.deleteWebhookEndpoint).toEqual({ __typename: 'DeleteWebhookEndpointSuccess', id: created.endpoint.id });
    const deletedAgain = await keyed('k-unhook', remove, { id: created.endpoint.id });
    expect(deletedAgain.text).toBe(deleted.text);
    // Without the key, the second delete finds nothing.
    const unkeyed = await t.gql(remove, { token, variables: { id: created.endpoint.id } });
    expect(unkeyed.body.data.deleteWebhookEndpoint).toEqual({ __typename: 'InvalidInput', code: 'InvalidInput', field: 'id' });
    expect(await t.rows(`SELECT count(*) AS n FROM events WHERE type LIKE 'webhook_endpoint.%'`)).toEqual([{ n: t.dialect === 'sqlite' ? 2 : '2' }]);
  });

  it('leaves reads and admin-session writes alone', async () => {
    await acme.user('alice', { role: 'admin' });
    const cookie = await acme.session('alice');
    for (let i = 0; i < 2; i++) {
      const res = await t.gql(UPDATE_GROUP, {
        host: acme.host,
        cookie,
        headers: { 'idempotency-key': 'k-admin' },
        variables: { input: { title: `Acme ${i}` } },
      });
      expect(res.body.data.updateGroup.group.title).toBe(`Acme ${i}`);
      expect(res.headers.get('idempotent-replayed')).toBeNull();
    }
    const read = await t.gql('{ group { slug } }', { token, headers: { 'idempotency-key': '' } });
    expect(read.status).toBe(200);
  });
});

describe('Idempotency-Key on the REST routes', () => {
  it('replays user/create and ssotoken/create, and refuses a key reused across routes', async () => {
    const first = await postJson(t, '/-/api/user/create', grace.input, { token, headers: { 'idempotency-key': 'r-1' } });
    const again = await postJson(t, '/-/api/user/create', grace.input, { token, headers: { 'idempotency-key': 'r-1' } });
    expect(first.status).toBe(200);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');

    const mint = await postJson(t, '/-/api/ssotoken/create', { username: 'grace' }, { token, headers: { 'idempotency-key': 'r-2' } });
    const mintAgain = await postJson(t, '/-/api/ssotoken/create', { username: 'grace' }, { token, headers: { 'idempotency-key': 'r-2' } });
    expect(mintAgain.text).toBe(mint.text);

    const reused = await postJson(t, '/-/api/ssotoken/create', { username: 'grace' }, { token, headers: { 'idempotency-key': 'r-1' } });
    expect(reused.status).toBe(422);
    expect(reused.body).toEqual({ error: envelopeOf('IdempotencyKeyReused') });
    const overGraphQL = await keyed('r-1', CREATE_USER, grace);
    expect(overGraphQL.status).toBe(422);
  });

  it('remembers a refusal with its status', async () => {
    await acme.user('alice');
    const first = await postJson(t, '/-/api/user/create', { email: 'x@example.com', username: 'alice' }, { token, headers: { 'idempotency-key': 'r-3' } });
    expect(first.status).toBe(409);
    const again = await postJson(t, '/-/api/user/create', { email: 'x@example.com', username: 'alice' }, { token, headers: { 'idempotency-key': 'r-3' } });
    expect(again.status).toBe(409);
    expect(again.text).toBe(first.text);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });
});

describe('the caller’s view', () => {
  it('reports a remembered refusal as a union member, never a transport error', async () => {
    await acme.user('alice');
    const res = await t.gql(CREATE_USER, {
      token,
      headers: { 'idempotency-key': 'k-6' },
      variables: { input: { email: 'x@example.com', username: 'alice' } },
    });
    expect(res.status).toBe(200);
    expect(res.body.data.createUser.__typename).toBe('UsernameAlreadyExists');
    expectTransportError(await t.gql(CREATE_USER, { token, headers: { 'idempotency-key': 'k-6' }, variables: grace }), 'IdempotencyKeyReused');
  });
});
