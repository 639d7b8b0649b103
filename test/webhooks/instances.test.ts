/**
 * Several delivery workers on one database — two server instances (two processes
 * on one SQLite file, or two instances on PostgreSQL), and one server with
 * WORKERS=2 — while users are created through all of them: with a receiver that
 * always answers 2xx, each event arrives at each endpoint exactly once, so no
 * attempt was ever made by two workers.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { CREATE_USER } from '../support/documents.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import {
  CREATE_WEBHOOK_ENDPOINT,
  dueTo,
  expectDeliveredInOrder,
  feedOf,
  type Receiver,
  startReceiver,
  WEBHOOK_TEST_ENV,
} from '../support/webhooks.ts';

const ENDPOINTS = 6;
const USERS_PER_INSTANCE = 40;
const IN_FLIGHT = 4;

let database: TestDatabase | null = null;
let servers: RunningServer[] = [];
let receiver: Receiver | null = null;
afterEach(async () => {
  await Promise.all(servers.map((s) => s.stop('SIGKILL')));
  await receiver?.close();
  await database?.close();
  servers = [];
  receiver = database = null;
});

async function deliverOnce(start: (env: Record<string, string>) => Promise<RunningServer[]>): Promise<void> {
  receiver = await startReceiver(() => 200);
  database = await createTestDatabase({ shared: true });
  servers = await start({ DATABASE_URL: database.url, ...WEBHOOK_TEST_ENV });
  // The first process seeded the demo group; its banner has the token.
  const token = servers.find((s) => s.demoToken)!.demoToken!;
  const endpoints: Array<{ path: string; id: string }> = [];
  for (let i = 0; i < ENDPOINTS; i++) {
    const through = servers[i % servers.length]!;
    const path = `/e${i}`;
    const res = await through.gql(CREATE_WEBHOOK_ENDPOINT, { host: 'demo.localhost', token, variables: { url: receiver.url(path) } });
    endpoints.push({ path, id: res.body.data.createWebhookEndpoint.endpoint.id });
  }
  await Promise.all(
    servers.flatMap((s, n) =>
      Array.from({ length: IN_FLIGHT }, async (_, lane) => {
        for (let i = lane; i < USERS_PER_INSTANCE; i += IN_FLIGHT) {
          const username = `s${n}-user-${i}`;
          const res = await s.gql(CREATE_USER, {
            host: 'demo.localhost',
            token,
            variables: { input: { email: `${username}@example.com`, username } },
          });
          expect(res.body.data.createUser.__typename).toBe('CreateUserSuccess');
        }
      }),
    ),
  );

  const feed = await feedOf(database.store, 'demo');
  for (const endpoint of endpoints) {
    const due = dueTo(feed, endpoint.id, null);
    await receiver.waitFor(`every event at ${endpoint.path}`, () => {
      const ids = new Set(receiver!.at(endpoint.path).map((d) => d.id));
      return due.every((e) => ids.has(e.id));
    });
  }
  const users = servers.length * USERS_PER_INSTANCE;
  // Stopped (gracefully) before counting, so a late second attempt would be seen.
  await Promise.all(servers.map((s) => s.stop()));
  servers = [];
  for (const endpoint of endpoints) {
    const arrived = receiver.at(endpoint.path);
    const due = dueTo(feed, endpoint.id, null);
    expect(due.length).toBeGreaterThan(users);
    expectDeliveredInOrder(arrived, due);
    const perId = new Map<string, number>();
    for (const d of arrived) perId.set(d.id, (perId.get(d.id) ?? 0) + 1);
    expect([...perId.entries()].filter(([, n]) => n !== 1), endpoint.path).toEqual([]);
    expect(arrived.length).toBe(due.length);
  }
}

describe('webhook delivery with several workers on one database', () => {
  it('makes each attempt once: two server instances', async () => {
    await deliverOnce(async (env) => {
      const first = await startServer(env);
      return [first, await startServer(env)];
    });
  }, 180_000);

  it('makes each attempt once: one server with WORKERS=2', async () => {
    await deliverOnce(async (env) => [await startServer({ ...env, WORKERS: '2' })]);
  }, 180_000);
});
