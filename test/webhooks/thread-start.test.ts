/**
 * A server process starts its delivery thread (a V8 heap and a database connection of
 * its own, some 40 MB) only once the database holds a live endpoint: a server whose
 * groups have none runs without it. An endpoint made through this server, or found at
 * start by another one, starts it, and deliveries follow.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { CREATE_USER } from '../support/documents.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import { CREATE_WEBHOOK_ENDPOINT, type Receiver, startReceiver, WEBHOOK_TEST_ENV } from '../support/webhooks.ts';

const STARTED = 'webhook delivery thread started';

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

const startedLines = (server: RunningServer) => server.output().split('\n').filter((line) => line.includes(STARTED));

describe('the delivery thread', () => {
  it('starts once an endpoint exists, and a server started later starts it at once', async () => {
    receiver = await startReceiver(() => 204);
    database = await createTestDatabase({ shared: true });
    const env = { DATABASE_URL: database.url, ...WEBHOOK_TEST_ENV, LOG_LEVEL: 'info' };
    const first = await startServer(env);
    servers.push(first);
    const gql = (query: string, variables: Record<string, unknown>) =>
      first.gql(query, { host: 'demo.localhost', token: first.demoToken!, variables });

    await gql(CREATE_USER, { input: { email: 'early@example.com', username: 'early' } });
    // Long enough for the server to have looked for endpoints more than once.
    await new Promise((resolve) => setTimeout(resolve, 2_500));
    expect(startedLines(first)).toEqual([]);

    await gql(CREATE_WEBHOOK_ENDPOINT, { url: receiver.url('/hooks'), types: ['user.created'] });
    await gql(CREATE_USER, { input: { email: 'late@example.com', username: 'late' } });
    await receiver.waitFor('the delivery of the user created after the endpoint', () => receiver!.at('/hooks').length === 1, 30_000);
    expect(receiver.at('/hooks')[0]!.payload.data.username).toBe('late');
    expect(startedLines(first)).toHaveLength(1);
    expect(JSON.parse(startedLines(first)[0]!)).toMatchObject({ level: 'info', msg: STARTED });

    const second = await startServer(env);
    servers.push(second);
    await receiver.waitFor('the second server to start its thread', () => startedLines(second).length === 1, 30_000);
  });
});
