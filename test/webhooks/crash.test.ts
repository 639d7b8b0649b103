/**
 * At least once across SIGKILL: a server killed at random moments of a burst of
 * createUser calls, while it delivers to two endpoints, and restarted, delivers
 * every event due to each endpoint, in event order (a redelivery may repeat
 * events already sent, never skip one).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { CREATE_USER } from '../support/documents.ts';
import { HttpClient } from '../support/http-client.ts';
import { Prng, runSeed } from '../support/prng.ts';
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

const SEED = runSeed('WEBHOOKS_CRASH_SEED');
const ROUNDS = process.env.STRESS === '1' ? 6 : 2;
const IN_FLIGHT = 4;

let database: TestDatabase | null = null;
let server: RunningServer | null = null;
let receiver: Receiver | null = null;
afterEach(async () => {
  await server?.stop('SIGKILL');
  await receiver?.close();
  await database?.close();
  server = receiver = database = null;
});

describe(`webhooks across SIGKILLs (seed ${SEED}; replay with WEBHOOKS_CRASH_SEED=${SEED})`, () => {
  it(`deliver every event at least once, in order per endpoint, after ${ROUNDS} kills mid-burst and a restart`, async () => {
    const rng = new Prng(SEED);
    receiver = await startReceiver(() => 204);
    database = await createTestDatabase({ shared: true });
    const env = { DATABASE_URL: database.url, ...WEBHOOK_TEST_ENV };
    server = await startServer(env);
    const token = server.demoToken!;
    const endpoints: Array<{ path: string; types: string[] | null; id: string }> = [];
    for (const [path, types] of [
      ['/everything', null],
      ['/users', ['user.created']],
    ] as const) {
      const res = await server.gql(CREATE_WEBHOOK_ENDPOINT, {
        host: 'demo.localhost',
        token,
        variables: { url: receiver.url(path), ...(types ? { types } : {}) },
      });
      endpoints.push({ path, types: types ? [...types] : null, id: res.body.data.createWebhookEndpoint.endpoint.id });
    }

    let acknowledged = 0;
    for (let round = 0; round < ROUNDS; round++) {
      server ??= await startServer(env);
      const running: RunningServer = server;
      const client = new HttpClient(running.port, IN_FLIGHT);
      const killAfter = rng.int(20, 60);
      let done = 0;
      let killing: Promise<unknown> | null = null;
      const lane = async (n: number) => {
        for (let i = 0; !killing; i++) {
          const username = `r${round}-l${n}-${i}`;
          try {
            const res = await client.send({
              method: 'POST',
              path: '/graphql',
              headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, host: 'demo.localhost' },
              body: JSON.stringify({ query: CREATE_USER, variables: { input: { email: `${username}@example.com`, username } } }),
            });
            if (JSON.parse(res.text).data?.createUser?.__typename !== 'CreateUserSuccess') throw new Error(res.text);
          } catch (error) {
            if (killing) return; // Cut off by the kill: its outcome is unknown, and either is fine.
            throw error;
          }
          acknowledged++;
          if (++done >= killAfter && !killing) killing = running.stop('SIGKILL');
        }
      };
      await Promise.all(Array.from({ length: IN_FLIGHT }, (_, n) => lane(n)));
      await killing;
      client.close();
      server = null;
    }
    server = await startServer(env);

    const feed = await feedOf(database.store, 'demo');
    expect(feed.filter((e) => e.type === 'user.created').length).toBeGreaterThanOrEqual(acknowledged);
    for (const endpoint of endpoints) {
      const due = dueTo(feed, endpoint.id, endpoint.types);
      await receiver.waitFor(`every event at ${endpoint.path}`, () => {
        const ids = new Set(receiver!.at(endpoint.path).map((d) => d.id));
        return due.every((e) => ids.has(e.id));
      });
      expectDeliveredInOrder(receiver.at(endpoint.path), due);
    }
  }, 180_000);
});
