/** A deleted webhook endpoint receives nothing more: the events after its deletion go to the endpoints that remain. */
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { CREATE_USER } from '../support/documents.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import { CREATE_WEBHOOK_ENDPOINT, DELETE_WEBHOOK_ENDPOINT, type Receiver, startReceiver, WEBHOOK_TEST_ENV } from '../support/webhooks.ts';

let database: TestDatabase | null = null;
let server: RunningServer | null = null;
let receiver: Receiver | null = null;
afterEach(async () => {
  await server?.stop('SIGKILL');
  await receiver?.close();
  await database?.close();
  server = receiver = database = null;
});

describe('a deleted webhook endpoint', () => {
  it('receives nothing after its deletion', async () => {
    receiver = await startReceiver(() => 204);
    database = await createTestDatabase({ shared: true });
    server = await startServer({ DATABASE_URL: database.url, ...WEBHOOK_TEST_ENV });
    const running = server;
    const gql = (query: string, variables: Record<string, unknown>) =>
      running.gql(query, { host: 'demo.localhost', token: running.demoToken!, variables });
    const createUser = (username: string) => gql(CREATE_USER, { input: { email: `${username}@example.com`, username } });

    const doomed = (await gql(CREATE_WEBHOOK_ENDPOINT, { url: receiver.url('/doomed'), types: ['user.created'] })).body.data
      .createWebhookEndpoint.endpoint;
    await createUser('before-deletion');
    await receiver.waitFor('the first delivery', () => receiver!.at('/doomed').length === 1, 30_000);

    const deleted = await gql(DELETE_WEBHOOK_ENDPOINT, { id: doomed.id });
    expect(deleted.body.data.deleteWebhookEndpoint.__typename).toBe('DeleteWebhookEndpointSuccess');
    await gql(CREATE_WEBHOOK_ENDPOINT, { url: receiver.url('/witness'), types: ['user.created'] });
    for (const username of ['after-one', 'after-two', 'after-three']) await createUser(username);
    await receiver.waitFor('the witness gets the three later events', () => receiver!.at('/witness').length >= 3, 30_000);
    // As long again for a straggler, were there one.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.at('/doomed').map((d) => d.payload.data.username)).toEqual(['before-deletion']);
  }, 60_000);
});
