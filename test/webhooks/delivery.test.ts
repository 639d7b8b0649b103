/**
 * Delivery through a real server process to a real receiver on loopback, which
 * verifies every delivery with the `standardwebhooks` package: the signed request,
 * retries of the same event (same webhook-id) after a 500, a timeout and a closed
 * connection, every attempt recorded, redirects never followed, giving up after the
 * last retry, and 410 disabling the endpoint. Retries and the timeout are a second.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/databases.ts';
import { CREATE_USER } from '../support/documents.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import {
  CREATE_WEBHOOK_ENDPOINT,
  eventually,
  type Receiver,
  startReceiver,
  WEBHOOK_ENDPOINTS,
  WEBHOOK_TEST_ENV,
} from '../support/webhooks.ts';

let database: TestDatabase | null = null;
let server: RunningServer | null = null;
let receiver: Receiver | null = null;
afterEach(async () => {
  await server?.stop('SIGKILL');
  await receiver?.close();
  await database?.close();
  server = receiver = database = null;
});

const LONG_ANSWER = `<html>${'internal detail '.repeat(100)}</html>`;

describe('webhook delivery', () => {
  it('signs each attempt, retries the same event until it succeeds or is given up, records every attempt, and stops at 410', async () => {
    receiver = await startReceiver((delivery) => {
      const n = receiver!.at(delivery.path).length; // including this one
      switch (delivery.path) {
        case '/flaky':
          return n === 1 ? { status: 500, body: LONG_ANSWER } : n === 2 ? 'hang' : n === 3 ? 'close' : 204;
        case '/redirect':
          return { status: 302, headers: { location: receiver!.url('/followed') } };
        case '/gone':
          return 410;
        default:
          return 200;
      }
    });
    database = await createTestDatabase({ shared: true });
    server = await startServer({ DATABASE_URL: database.url, ...WEBHOOK_TEST_ENV });
    const token = server.demoToken!;
    const running = server;
    const gql = (query: string, variables?: Record<string, unknown>) => running.gql(query, { host: 'demo.localhost', token, variables });
    const create = async (path: string, types?: string[]) => {
      const res = await gql(CREATE_WEBHOOK_ENDPOINT, { url: receiver!.url(path), types });
      expect(res.body.data.createWebhookEndpoint.__typename, JSON.stringify(res.body)).toBe('CreateWebhookEndpointSuccess');
      return res.body.data.createWebhookEndpoint as { secret: string; endpoint: { id: string } };
    };
    const flaky = await create('/flaky', ['user.created']);
    const redirect = await create('/redirect', ['user.created']);
    const gone = await create('/gone');

    const users = [];
    for (const username of ['first-user', 'second-user']) {
      const res = await gql(CREATE_USER, { input: { email: `${username}@example.com`, username } });
      users.push(res.body.data.createUser.user);
    }
    const userEvents = await queryRows(
      database.store,
      `SELECT id, target_id, occurred_at FROM events WHERE type = 'user.created' ORDER BY seq`,
    );
    const [e1, e2] = users.map((u) => userEvents.find((e) => e.target_id === u.id)!);

    await receiver.waitFor('4 attempts of event 1 and 1 of event 2 at /flaky', () => receiver!.at('/flaky').length >= 5);
    await receiver.waitFor('2 × 4 attempts at /redirect', () => receiver!.at('/redirect').length >= 8);
    const endpoints = await eventually(
      'every attempt recorded',
      async () => (await gql(WEBHOOK_ENDPOINTS, { first: 100 })).body.data.webhookEndpoints as any[],
      (list) => list[0].deliveries.length === 5 && list[1].deliveries.length === 8 && list[2].disabledAt !== null,
    );

    // What arrived: the same webhook-id on every attempt of an event, events in order, all verified.
    const atFlaky = receiver.at('/flaky');
    expect(atFlaky.map((d) => d.id)).toEqual([e1!.id, e1!.id, e1!.id, e1!.id, e2!.id]);
    receiver.verifyAll('/flaky', flaky.secret);
    receiver.verifyAll('/redirect', redirect.secret);
    receiver.verifyAll('/gone', gone.secret);
    // The verification is real: another endpoint's secret fails it.
    expect(() => receiver!.verifyAll('/flaky', redirect.secret)).toThrow();
    const first = atFlaky[0]!;
    expect(first.method).toBe('POST');
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['user-agent']).toMatch(/^Team-API-Webhooks\//);
    expect(first.signature).toMatch(/^v1,[A-Za-z0-9+/]+=*$/);
    expect(Object.keys(first.payload)).toEqual(['type', 'timestamp', 'data']);
    expect(first.payload).toEqual({
      type: 'user.created',
      timestamp: new Date(Number(e1!.occurred_at)).toISOString(),
      data: {
        username: 'first-user',
        email: 'first-user@example.com',
        firstName: null,
        lastName: null,
        role: 'member',
        target: { type: 'user', id: users[0].id, name: 'first-user' },
      },
    });

    // What was recorded, oldest first: the status or the failure, and when the next try is due.
    const [flakyListed, redirectListed, goneListed] = endpoints;
    const attempts = [...flakyListed.deliveries].reverse();
    expect(attempts.map((a: any) => [a.eventId, a.attempt, a.status])).toEqual([
      [e1!.id, 1, 500],
      [e1!.id, 2, null],
      [e1!.id, 3, null],
      [e1!.id, 4, 204],
      [e2!.id, 1, 204],
    ]);
    expect(attempts[0].error).toMatch(/^HTTP 500: <html>internal detail/);
    expect(attempts[0].error.length).toBeLessThanOrEqual(200);
    expect(attempts[1].error).toBe('no answer within 1 s');
    expect(attempts[2].error).toEqual(expect.any(String));
    expect(attempts.slice(3).map((a: any) => [a.error, a.nextAttemptAt])).toEqual([
      [null, null],
      [null, null],
    ]);
    for (let i = 0; i < 3; i++) {
      const due = Date.parse(attempts[i].nextAttemptAt);
      // Each retry is scheduled one WEBHOOK_RETRY_SECONDS entry after its failure, and not made before it is due.
      expect(due).toBeGreaterThanOrEqual(Date.parse(attempts[i].attemptedAt) + 1000);
      expect(Date.parse(attempts[i + 1].attemptedAt)).toBeGreaterThanOrEqual(due);
    }

    // A redirect is a failure, never followed; after the last retry the event is given up and the next one goes.
    expect(receiver.at('/followed')).toEqual([]);
    expect(receiver.at('/redirect').map((d) => d.id)).toEqual([...Array(4).fill(e1!.id), ...Array(4).fill(e2!.id)]);
    const redirects = [...redirectListed.deliveries].reverse();
    expect(redirects.map((a: any) => [a.attempt, a.status, a.nextAttemptAt === null])).toEqual([
      ...[1, 2, 3].map((n) => [n, 302, false]),
      [4, 302, true],
      ...[1, 2, 3].map((n) => [n, 302, false]),
      [4, 302, true],
    ]);
    expect(redirects[0].error).toMatch(/redirect/);

    // 410 Gone disabled /gone at its first event (its own webhook_endpoint.created): nothing since.
    expect(goneListed.disabledAt).not.toBeNull();
    expect(goneListed.deliveries).toEqual([expect.objectContaining({ attempt: 1, status: 410, nextAttemptAt: null })]);
    expect(receiver.at('/gone').map((d) => d.payload.type)).toEqual(['webhook_endpoint.created']);
  }, 120_000);
});
