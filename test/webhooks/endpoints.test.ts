/**
 * The GraphQL surface of webhooks (API.md §14) through app.fetch: who may call it,
 * what a URL and a type list may be, the secret shown once, the events recorded,
 * and where a URL may point (WebhookEndpointInvalid) unless private networks are allowed.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { EVENTS, expectResultError, expectTransportError } from '../support/admin-documents.ts';
import { newId } from '../../src/ids.ts';
import { adminApp, type TestApp, TestClock } from '../support/harness.ts';
import { CREATE_WEBHOOK_ENDPOINT, DELETE_WEBHOOK_ENDPOINT, WEBHOOK_ENDPOINTS } from '../support/webhooks.ts';

// Public addresses, written as literals so that nothing is looked up; no test here
// runs a delivery worker, so nothing is ever sent to them.
const PUBLIC_URL = 'https://93.184.215.14/hooks/team-api';
const PUBLIC_V6_URL = 'https://[2606:4700::6810:84e5]/hooks';

let t: TestApp;
afterEach(() => t.close());

describe('webhook endpoints', () => {
  it('are created by a group admin or the group’s API token, with a whsec_ secret shown only then', async () => {
    const setup = await adminApp();
    t = setup.t;
    const { acme, adminCookie } = setup;
    const token = await acme.token();

    const byToken = await t.gql(CREATE_WEBHOOK_ENDPOINT, { token, variables: { url: PUBLIC_URL, types: ['user.created', 'member.removed'] } });
    expect(byToken.body.errors).toBeUndefined();
    const created = byToken.body.data.createWebhookEndpoint;
    expect(created.__typename).toBe('CreateWebhookEndpointSuccess');
    expect(created.endpoint).toEqual({
      id: expect.any(String),
      url: PUBLIC_URL,
      types: ['user.created', 'member.removed'],
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      disabledAt: null,
    });
    // whsec_ and the base64 of 24 to 64 random bytes (32 here), as Standard Webhooks asks.
    expect(created.secret).toMatch(/^whsec_[A-Za-z0-9+/]+={0,2}$/);
    const keyBytes = Buffer.from(created.secret.slice('whsec_'.length), 'base64').length;
    expect(keyBytes).toBeGreaterThanOrEqual(24);
    expect(keyBytes).toBeLessThanOrEqual(64);

    const byAdmin = await t.gql(CREATE_WEBHOOK_ENDPOINT, { host: acme.host, cookie: adminCookie, variables: { url: PUBLIC_V6_URL } });
    const second = byAdmin.body.data.createWebhookEndpoint;
    expect(second.endpoint.types).toEqual([]);
    expect(second.secret).not.toBe(created.secret);

    const listed = await t.gql(WEBHOOK_ENDPOINTS, { token });
    expect(listed.body.data.webhookEndpoints).toEqual([
      { ...created.endpoint, deliveries: [] },
      { ...second.endpoint, deliveries: [] },
    ]);
    // Shown once: in no other answer, and in no event.
    const everything = JSON.stringify([listed.body, (await t.gql(EVENTS, { token })).body]);
    expect(everything).not.toContain(created.secret.slice(6));
    expect(everything).not.toContain(second.secret.slice(6));
  });

  it('refuse callers that are not the group’s admin or API token, and other groups’ endpoints', async () => {
    const setup = await adminApp();
    t = setup.t;
    const { acme, globex } = setup;
    await acme.user('brian');
    const memberCookie = await acme.session('brian');
    const variables = { url: PUBLIC_URL };

    expectTransportError(await t.gql(CREATE_WEBHOOK_ENDPOINT, { variables }), 'UnauthorizedRequest');
    expectTransportError(await t.gql(CREATE_WEBHOOK_ENDPOINT, { host: acme.host, cookie: memberCookie, variables }), 'UnauthorizedRequest');
    expectTransportError(await t.gql(WEBHOOK_ENDPOINTS, { host: acme.host, cookie: memberCookie }), 'UnauthorizedRequest');
    expectTransportError(await t.gql(CREATE_WEBHOOK_ENDPOINT, { token: 'tapi_' + 'x'.repeat(43), variables }), 'InvalidApiToken');

    const acmeToken = await acme.token();
    const globexToken = await globex.token();
    const created = (await t.gql(CREATE_WEBHOOK_ENDPOINT, { token: acmeToken, variables })).body.data.createWebhookEndpoint;
    expect((await t.gql(WEBHOOK_ENDPOINTS, { token: globexToken })).body.data.webhookEndpoints).toEqual([]);
    // Another group's endpoint answers exactly like none.
    expectResultError(
      await t.gql(DELETE_WEBHOOK_ENDPOINT, { token: globexToken, variables: { id: created.endpoint.id } }),
      'deleteWebhookEndpoint',
      'InvalidInput',
      'id',
    );
    expect((await t.gql(WEBHOOK_ENDPOINTS, { token: acmeToken })).body.data.webhookEndpoints).toHaveLength(1);
  });

  it('are deleted once: a second delete, or an unknown id, is InvalidInput (field id)', async () => {
    const setup = await adminApp();
    t = setup.t;
    const token = await setup.acme.token();
    const { endpoint } = (await t.gql(CREATE_WEBHOOK_ENDPOINT, { token, variables: { url: PUBLIC_URL } })).body.data.createWebhookEndpoint;
    const deleted = await t.gql(DELETE_WEBHOOK_ENDPOINT, { token, variables: { id: endpoint.id } });
    expect(deleted.body.data.deleteWebhookEndpoint).toEqual({ __typename: 'DeleteWebhookEndpointSuccess', id: endpoint.id });
    expect((await t.gql(WEBHOOK_ENDPOINTS, { token })).body.data.webhookEndpoints).toEqual([]);
    for (const id of [endpoint.id, 'no-such-endpoint']) {
      expectResultError(await t.gql(DELETE_WEBHOOK_ENDPOINT, { token, variables: { id } }), 'deleteWebhookEndpoint', 'InvalidInput', 'id');
    }
  });

  it('record webhook_endpoint.created and .deleted events, with the URL and never the secret', async () => {
    const setup = await adminApp();
    t = setup.t;
    const { acme, adminCookie } = setup;
    const created = (
      await t.gql(CREATE_WEBHOOK_ENDPOINT, { host: acme.host, cookie: adminCookie, variables: { url: PUBLIC_URL, types: ['user.created'] } })
    ).body.data.createWebhookEndpoint;
    await t.gql(DELETE_WEBHOOK_ENDPOINT, { host: acme.host, cookie: adminCookie, variables: { id: created.endpoint.id } });
    await t.feedCaughtUp();
    const events = (await t.gql(EVENTS, { host: acme.host, cookie: adminCookie, variables: { types: ['webhook_endpoint.created', 'webhook_endpoint.deleted'] } }))
      .body.data.events.edges.map((e: any) => e.node);
    const target = { type: 'webhook_endpoint', id: created.endpoint.id, name: PUBLIC_URL };
    expect(events.map((e: any) => ({ type: e.type, actor: e.actor.name, target: e.target, data: JSON.parse(e.data) }))).toEqual([
      { type: 'webhook_endpoint.created', actor: 'alice', target, data: { url: PUBLIC_URL, types: ['user.created'] } },
      { type: 'webhook_endpoint.deleted', actor: 'alice', target, data: { url: PUBLIC_URL } },
    ]);
    const stored = JSON.stringify(await t.rows('SELECT * FROM events'));
    expect(stored).not.toContain(created.secret.slice(6));
  });

  it('count against the write rate limit', async () => {
    const setup = await adminApp({ env: { RATE_LIMIT_WRITES: '2' } });
    t = setup.t;
    const token = await setup.acme.token();
    const { endpoint } = (await t.gql(CREATE_WEBHOOK_ENDPOINT, { token, variables: { url: PUBLIC_URL } })).body.data.createWebhookEndpoint;
    expect((await t.gql(DELETE_WEBHOOK_ENDPOINT, { token, variables: { id: endpoint.id } })).body.data.deleteWebhookEndpoint.__typename).toBe(
      'DeleteWebhookEndpointSuccess',
    );
    expectTransportError(await t.gql(CREATE_WEBHOOK_ENDPOINT, { token, variables: { url: PUBLIC_URL } }), 'TooManyRequests');
    // Reading is not a write.
    expect((await t.gql(WEBHOOK_ENDPOINTS, { token })).body.data.webhookEndpoints).toEqual([]);
  });
});

describe('a webhook URL or type list that is malformed', () => {
  it.each([
    ['not a URL', 'hooks.example.com/x'],
    ['another scheme', 'ftp://93.184.215.14/x'],
    ['a javascript: URL', 'javascript:alert(1)'],
    ['credentials in it', 'https://user:pass@93.184.215.14/x'],
    ['a user name in it', 'https://user@93.184.215.14/x'],
    ['longer than 2048 characters', `https://93.184.215.14/${'x'.repeat(2030)}`],
    ['empty', ''],
  ])('is InvalidInput (field url): %s', async (_what, url) => {
    const setup = await adminApp();
    t = setup.t;
    const token = await setup.acme.token();
    expectResultError(await t.gql(CREATE_WEBHOOK_ENDPOINT, { token, variables: { url } }), 'createWebhookEndpoint', 'InvalidInput', 'url');
    expect(await t.count('webhook_endpoints')).toBe(0);
  });

  it('is InvalidInput (field url) for http: in production, where only https: is allowed', async () => {
    const setup = await adminApp({ env: { NODE_ENV: 'production' } });
    t = setup.t;
    const token = await setup.acme.token();
    expectResultError(
      await t.gql(CREATE_WEBHOOK_ENDPOINT, { token, variables: { url: 'http://93.184.215.14/x' } }),
      'createWebhookEndpoint',
      'InvalidInput',
      'url',
    );
    const https = await t.gql(CREATE_WEBHOOK_ENDPOINT, { token, variables: { url: PUBLIC_URL } });
    expect(https.body.data.createWebhookEndpoint.__typename).toBe('CreateWebhookEndpointSuccess');
  });

  it.each([
    ['an unknown type', ['user.created', 'user.exploded']],
    ['an empty list (leave it out for every type)', []],
  ])('is InvalidInput (field types): %s', async (_what, types) => {
    const setup = await adminApp();
    t = setup.t;
    const token = await setup.acme.token();
    expectResultError(
      await t.gql(CREATE_WEBHOOK_ENDPOINT, { token, variables: { url: PUBLIC_URL, types } }),
      'createWebhookEndpoint',
      'InvalidInput',
      'types',
    );
    expect(await t.count('webhook_endpoints')).toBe(0);
  });
});

describe('a webhook URL that reaches a non-public address', () => {
  it.each([
    ['IPv4 loopback', 'http://127.0.0.1:8080/hook'],
    ['another loopback address', 'https://127.1.2.3/hook'],
    ['IPv6 loopback', 'http://[::1]:8080/hook'],
    ['IPv4-mapped IPv6 loopback', 'https://[::ffff:127.0.0.1]/hook'],
    ['a private network (10/8)', 'https://10.0.0.5/hook'],
    ['a private network (172.16/12)', 'https://172.20.1.1/hook'],
    ['a private network (192.168/16)', 'https://192.168.1.10/hook'],
    ['IPv4-mapped IPv6 private', 'https://[::ffff:10.0.0.1]/hook'],
    ['the cloud metadata address (link-local)', 'http://169.254.169.254/latest/meta-data/'],
    ['IPv6 link-local', 'https://[fe80::1]/hook'],
    ['IPv6 unique local', 'https://[fd12:3456::1]/hook'],
    ['carrier-grade NAT', 'https://100.64.0.1/hook'],
    ['unspecified', 'http://0.0.0.0:8080/hook'],
    ['multicast', 'https://224.0.0.1/hook'],
    ['documentation range', 'https://192.0.2.10/hook'],
    ['IPv6 documentation range', 'https://[2001:db8::1]/hook'],
    ['an IPv4 address in decimal', 'http://2130706433/hook'],
    ['a name that resolves to loopback', 'http://localhost:8080/hook'],
  ])('is WebhookEndpointInvalid: %s', async (_what, url) => {
    const setup = await adminApp();
    t = setup.t;
    const token = await setup.acme.token();
    const events = await t.count('events');
    expectResultError(await t.gql(CREATE_WEBHOOK_ENDPOINT, { token, variables: { url } }), 'createWebhookEndpoint', 'WebhookEndpointInvalid');
    expect(await t.count('webhook_endpoints')).toBe(0);
    expect(await t.count('events')).toBe(events);
  });

  it('is allowed with WEBHOOK_ALLOW_PRIVATE_NETWORKS=true', async () => {
    const setup = await adminApp({ env: { WEBHOOK_ALLOW_PRIVATE_NETWORKS: 'true' } });
    t = setup.t;
    const token = await setup.acme.token();
    for (const url of ['http://127.0.0.1:8080/hook', 'http://localhost:8080/hook', 'https://10.0.0.5/hook']) {
      const res = await t.gql(CREATE_WEBHOOK_ENDPOINT, { token, variables: { url } });
      expect(res.body.data.createWebhookEndpoint.__typename, url).toBe('CreateWebhookEndpointSuccess');
    }
  });
});

describe('deliveries(first)', () => {
  it('refuses a first outside 0..100 as a transport-level InvalidInput (field first)', async () => {
    const setup = await adminApp();
    t = setup.t;
    const token = await setup.acme.token();
    await t.gql(CREATE_WEBHOOK_ENDPOINT, { token, variables: { url: PUBLIC_URL } });
    expectTransportError(await t.gql(WEBHOOK_ENDPOINTS, { token, variables: { first: 101 } }), 'InvalidInput', 'first');
    expectTransportError(await t.gql(WEBHOOK_ENDPOINTS, { token, variables: { first: -1 } }), 'InvalidInput', 'first');
    expect((await t.gql(WEBHOOK_ENDPOINTS, { token, variables: { first: 0 } })).body.data.webhookEndpoints[0].deliveries).toEqual([]);
  });
});

describe('delivery attempts', () => {
  it('are kept EVENT_RETENTION_DAYS, then the purge deletes them', async () => {
    const clock = new TestClock(Date.parse('2026-03-01T00:00:00Z'));
    const setup = await adminApp({ clock, env: { EVENT_RETENTION_DAYS: '30' } });
    t = setup.t;
    const token = await setup.acme.token();
    const { endpoint } = (await t.gql(CREATE_WEBHOOK_ENDPOINT, { token, variables: { url: PUBLIC_URL } })).body.data.createWebhookEndpoint;
    const attemptNow = () => ({
      id: newId(),
      endpointId: endpoint.id,
      eventId: newId(),
      eventType: 'user.created',
      attempt: 1,
      attemptedAt: clock.now(),
      status: 500,
      error: 'Internal Server Error',
      nextAttemptAt: null,
    });
    await t.store.recordWebhookProgress('test', [], [attemptNow()]);
    clock.advance(29 * 86_400_000);
    await t.store.recordWebhookProgress('test', [], [attemptNow()]);
    expect(await t.app.services.webhooks.purgeExpiredAttempts()).toBe(0);
    clock.advance(2 * 86_400_000);
    expect(await t.app.services.webhooks.purgeExpiredAttempts()).toBe(1);
    expect(await t.count('webhook_deliveries')).toBe(1);
  });
});
