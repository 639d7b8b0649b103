/**
 * A webhook never reaches a private network (API.md §14): names that resolve to
 * non-public addresses are refused at creation, and a name whose answer changes
 * after creation is refused at delivery, against the address the connection would
 * use: recorded as a failed attempt, and nothing sent. The server runs with private
 * networks forbidden (the default) and a DNS whose answers the test sets
 * (test/support/fake-dns.mjs); the receiver listens on loopback, where a delivery
 * that got through would land.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { createTestDatabase, type TestDatabase } from '../support/databases.ts';
import { CREATE_USER } from '../support/documents.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import { CREATE_WEBHOOK_ENDPOINT, eventually, type Receiver, startReceiver, WEBHOOK_ENDPOINTS } from '../support/webhooks.ts';

const fakeDns = fileURLToPath(new URL('../support/fake-dns.mjs', import.meta.url));
// A public address, only ever the answer at creation: the endpoint's types hold
// back every delivery until the answer has changed, so nothing is sent to it.
const PUBLIC_ADDRESS = '93.184.215.14';

let database: TestDatabase | null = null;
let server: RunningServer | null = null;
let receiver: Receiver | null = null;
let dnsDir: string | null = null;
afterEach(async () => {
  await server?.stop('SIGKILL');
  await receiver?.close();
  await database?.close();
  if (dnsDir) rmSync(dnsDir, { recursive: true, force: true });
  server = receiver = database = dnsDir = null;
});

describe('webhooks and the private network', () => {
  it('refuse names that resolve to non-public addresses, at creation and again at delivery when the answer changes', async () => {
    dnsDir = mkdtempSync(join(tmpdir(), 'team-api-dns-'));
    const answers = join(dnsDir, 'answers.json');
    const answer = (map: Record<string, string>) => writeFileSync(answers, JSON.stringify(map));
    answer({
      'hooks.customer.example': PUBLIC_ADDRESS,
      'intranet.customer.example': '10.20.30.40',
      'metadata.customer.example': '169.254.169.254',
      'mapped.customer.example': '::ffff:127.0.0.1',
    });
    receiver = await startReceiver(() => 204);
    const port = new URL(receiver.origin).port;
    database = await createTestDatabase({ shared: true });
    server = await startServer({
      DATABASE_URL: database.url,
      WEBHOOK_RETRY_SECONDS: '1,1,1',
      WEBHOOK_TIMEOUT_SECONDS: '1',
      NODE_OPTIONS: `--import=${fakeDns}`,
      FAKE_DNS_FILE: answers,
    });
    const token = server.demoToken!;
    const running = server;
    const gql = (query: string, variables?: Record<string, unknown>) => running.gql(query, { host: 'demo.localhost', token, variables });

    for (const host of ['intranet.customer.example', 'metadata.customer.example', 'mapped.customer.example', 'localhost']) {
      const refused = await gql(CREATE_WEBHOOK_ENDPOINT, { url: `http://${host}:${port}/refused` });
      expect(refused.body.data.createWebhookEndpoint.__typename, host).toBe('WebhookEndpointInvalid');
    }

    const created = await gql(CREATE_WEBHOOK_ENDPOINT, { url: `http://hooks.customer.example:${port}/hook`, types: ['user.created'] });
    expect(created.body.data.createWebhookEndpoint.__typename).toBe('CreateWebhookEndpointSuccess');
    // The name now points into the machine itself, where the receiver listens.
    answer({ 'hooks.customer.example': '127.0.0.1' });
    await gql(CREATE_USER, { input: { email: 'after-rebind@example.com', username: 'after-rebind' } });

    const [endpoint] = await eventually(
      'a refused attempt recorded',
      async () => (await gql(WEBHOOK_ENDPOINTS)).body.data.webhookEndpoints,
      (list: any[]) => list[0]?.deliveries.length >= 2 || receiver!.deliveries.length > 0,
    );
    for (const attempt of endpoint.deliveries) {
      expect(attempt.status).toBeNull();
      expect(attempt.error).toMatch(/^refused: hooks\.customer\.example resolves to a non-public address/);
      expect(attempt.nextAttemptAt).not.toBeNull();
    }
    expect(receiver.deliveries).toEqual([]);
  }, 60_000);
});
