/**
 * One group cannot stall another's webhooks (API.md §17): a group may have at most
 * WEBHOOK_MAX_ENDPOINTS_PER_GROUP endpoints (the next create, or the second of a
 * racing pair at the limit, is WebhookEndpointInvalid), and a delivery worker shares
 * its places fairly between groups. The app and the real worker on one database: a
 * group fills the limit with endpoints on a receiver that answers only after 10 s,
 * while its events keep coming, on a worker of 4 places; another group's endpoint
 * still gets each of its deliveries before that receiver has answered once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { expectResultError } from '../support/admin-documents.ts';
import { adminApp, HIGH_RATE_LIMITS, type TestApp } from '../support/harness.ts';
import { envelopeOf } from '../../src/errors/catalog.ts';
import { CREATE_WEBHOOK_ENDPOINT, type Receiver, startReceiver, WEBHOOK_TEST_ENV } from '../support/webhooks.ts';
import { WebhookWorker } from '../../src/webhooks/worker.ts';

const SLOW_MS = 10_000;

let t: TestApp | null = null;
let worker: WebhookWorker | null = null;
let receivers: Receiver[] = [];
afterEach(async () => {
  await worker?.stop();
  await Promise.all(receivers.map((r) => r.close()));
  await t?.close();
  t = worker = null;
  receivers = [];
});

describe('webhook fairness between groups', () => {
  it('caps a group’s endpoints at WEBHOOK_MAX_ENDPOINTS_PER_GROUP, inside the write', async () => {
    const setup = await adminApp({ env: { ...WEBHOOK_TEST_ENV, ...HIGH_RATE_LIMITS, WEBHOOK_MAX_ENDPOINTS_PER_GROUP: '3' } });
    t = setup.t;
    const acmeToken = await setup.acme.token();
    const globexToken = await setup.globex.token();
    const create = (token: string, n: number) => t!.gql(CREATE_WEBHOOK_ENDPOINT, { token, variables: { url: `http://127.0.0.1:9/e${n}` } });

    for (let n = 0; n < 3; n++) expect((await create(acmeToken, n)).body.data.createWebhookEndpoint.__typename).toBe('CreateWebhookEndpointSuccess');
    const events = await t.count('events');
    const refused = await create(acmeToken, 3);
    expectResultError(refused, 'createWebhookEndpoint', 'WebhookEndpointInvalid');
    // Exactly the catalog's envelope, nothing beside it.
    expect(refused.body.data.createWebhookEndpoint).toEqual({ __typename: 'WebhookEndpointInvalid', ...envelopeOf('WebhookEndpointInvalid') });
    expect(await t.count('events')).toBe(events);
    // The refusal says why, in `detail`.
    const detailed = await t.gql(
      'mutation C($url: String!) { createWebhookEndpoint(url: $url) { ... on WebhookEndpointInvalid { detail } } }',
      { token: acmeToken, variables: { url: 'http://127.0.0.1:9/e4' } },
    );
    expect(detailed.body.data.createWebhookEndpoint.detail).toMatch(/limit of 3 webhook endpoints/);
    // Another group's count is its own.
    expect((await create(globexToken, 0)).body.data.createWebhookEndpoint.__typename).toBe('CreateWebhookEndpointSuccess');

    // A pair racing for the last place: one gets it, never both.
    const [first] = (await t.rows(`SELECT id FROM webhook_endpoints WHERE url = 'http://127.0.0.1:9/e0'`)) as Array<{ id: string }>;
    await t.gql(`mutation { deleteWebhookEndpoint(id: "${first!.id}") { __typename } }`, { token: acmeToken });
    for (let round = 0; round < 3; round++) {
      const pair = await Promise.all([create(acmeToken, 10 + round), create(acmeToken, 20 + round)]);
      const kinds = pair.map((r) => r.body.data.createWebhookEndpoint.__typename).sort();
      expect(kinds).toEqual(round === 0 ? ['CreateWebhookEndpointSuccess', 'WebhookEndpointInvalid'] : ['WebhookEndpointInvalid', 'WebhookEndpointInvalid']);
    }
    const live = await t.rows(`SELECT count(*) AS n FROM webhook_endpoints WHERE deleted_at IS NULL AND group_id = (SELECT id FROM groups WHERE slug = 'acme')`);
    expect(Number((live[0] as { n: unknown }).n)).toBe(3);
  });

  it('delivers to one group within seconds while another’s 20 endpoints on a 10 s receiver fill the worker', async () => {
    const setup = await adminApp({
      env: {
        ...WEBHOOK_TEST_ENV,
        ...HIGH_RATE_LIMITS,
        WEBHOOK_TIMEOUT_SECONDS: '20',
        WEBHOOK_WORKER_CAPACITY: '4',
        WEBHOOK_SLOT_SECONDS: '2',
      },
    });
    t = setup.t;
    const { acme, globex } = setup;
    let firstSlowAnswerAt: number | null = null;
    const slow = await startReceiver(() => ({ status: 204, afterMs: SLOW_MS }));
    const fast = await startReceiver(() => 204);
    receivers = [slow, fast];
    const originalAt = Date.now();
    // The slow receiver's first answer goes out SLOW_MS after its first request came.
    void slow
      .waitFor('a first request', () => slow.deliveries.length > 0, 120_000)
      .then(() => (firstSlowAnswerAt = Date.now() + SLOW_MS), () => {});

    const acmeToken = await acme.token();
    for (let n = 0; n < 20; n++) {
      const res = await t.gql(CREATE_WEBHOOK_ENDPOINT, { token: acmeToken, variables: { url: slow.url(`/a${n}`), types: ['user.created'] } });
      expect(res.body.data.createWebhookEndpoint.__typename).toBe('CreateWebhookEndpointSuccess');
    }
    worker = new WebhookWorker({ store: t.store, config: t.config });
    worker.start();
    // acme's events keep coming, for every one of its endpoints.
    let streaming = true;
    const stream = (async () => {
      for (let i = 0; streaming; i++) {
        await acme.user(`stream${i}`);
        await new Promise((resolve) => setTimeout(resolve, 200));
      }
    })();
    await slow.waitFor('the worker full of acme’s endpoints', () => new Set(slow.deliveries.map((d) => d.path)).size >= 4, 30_000);

    const globexToken = await globex.token();
    const created = await t.gql(CREATE_WEBHOOK_ENDPOINT, { token: globexToken, variables: { url: fast.url('/g'), types: ['user.created'] } });
    expect(created.body.data.createWebhookEndpoint.__typename).toBe('CreateWebhookEndpointSuccess');
    for (let i = 0; i < 4; i++) {
      await globex.user(`globex-user-${i}`);
      await fast.waitFor(`globex delivery ${i}`, () => fast.at('/g').length > i, 60_000);
    }
    const doneAt = Date.now();
    streaming = false;
    await stream;

    expect(fast.at('/g').map((d) => d.payload.data.username)).toEqual(['globex-user-0', 'globex-user-1', 'globex-user-2', 'globex-user-3']);
    // Each of globex's deliveries came before the slow receiver had answered even once.
    expect(firstSlowAnswerAt, 'the slow receiver got a request').not.toBeNull();
    expect(doneAt, `globex's deliveries took ${doneAt - originalAt} ms from the start`).toBeLessThan(firstSlowAnswerAt!);
  }, 120_000);
});
