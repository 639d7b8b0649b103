/**
 * Where an endpoint starts, exactly: it receives the events that commit after it was
 * created — also, on PostgreSQL, an event of a transaction that began before the
 * endpoint and commits after it (a cursor must never skip a late commit) — and none
 * that committed before it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { PostgresStore } from '../../src/db/postgres/store.ts';
import type { SqliteStore } from '../../src/db/sqlite/store.ts';
import { newId } from '../../src/ids.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/databases.ts';
import { CREATE_USER } from '../support/documents.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import { CREATE_WEBHOOK_ENDPOINT, feedOf, type Receiver, startReceiver, WEBHOOK_TEST_ENV } from '../support/webhooks.ts';

let database: TestDatabase | null = null;
let server: RunningServer | null = null;
let receiver: Receiver | null = null;
afterEach(async () => {
  await server?.stop('SIGKILL');
  await receiver?.close();
  await database?.close();
  server = receiver = database = null;
});

function eventRow(groupId: string, targetId: string) {
  return {
    id: newId(),
    group_id: groupId,
    type: 'member.added',
    occurred_at: Date.now(),
    actor_type: 'system',
    target_type: 'user',
    target_id: targetId,
    data: JSON.stringify({ username: targetId, role: 'member' }),
  };
}

/** Begins a transaction that writes one event; returns its commit. */
async function openEventTransaction(db: TestDatabase, row: ReturnType<typeof eventRow>): Promise<() => Promise<void>> {
  const columns = Object.keys(row).join(', ');
  if (db.store instanceof PostgresStore) {
    const client = await db.store.pool.connect();
    await client.query('BEGIN');
    await client.query(`INSERT INTO events (${columns}) VALUES (${Object.keys(row).map((_, i) => `$${i + 1}`).join(', ')})`, Object.values(row));
    return async () => {
      await client.query('COMMIT');
      client.release();
    };
  }
  // SQLite writers take turns: the event is written when it commits.
  const sqlite = (db.store as SqliteStore).sqlite;
  return async () => {
    sqlite.prepare(`INSERT INTO events (${columns}) VALUES (${Object.keys(row).map(() => '?').join(', ')})`).run(...Object.values(row));
  };
}

describe('a new webhook endpoint', () => {
  it('receives what commits after it, a transaction begun before it included, and nothing committed before it', async () => {
    receiver = await startReceiver(() => 204);
    database = await createTestDatabase({ shared: true });
    server = await startServer({ DATABASE_URL: database.url, ...WEBHOOK_TEST_ENV });
    const token = server.demoToken!;
    const groupId = String((await queryRows(database.store, `SELECT id FROM groups WHERE slug = 'demo'`))[0]!.id);

    // On PostgreSQL: `late` begins first, so it is the oldest transaction running when
    // the endpoint is created, and its event commits after; `before` begins after it
    // but commits before the endpoint, so it lies past the endpoint's cursor too.
    const late = eventRow(groupId, 'committed-late');
    const commitLate = await openEventTransaction(database, late);
    const before = eventRow(groupId, 'committed-before');
    await (await openEventTransaction(database, before))();
    const created = await server.gql(CREATE_WEBHOOK_ENDPOINT, { host: 'demo.localhost', token, variables: { url: receiver.url('/hook') } });
    const endpointId = created.body.data.createWebhookEndpoint.endpoint.id;
    await commitLate();
    const user = await server.gql(CREATE_USER, {
      host: 'demo.localhost',
      token,
      variables: { input: { email: 'after@example.com', username: 'after-endpoint' } },
    });
    expect(user.body.data.createUser.__typename).toBe('CreateUserSuccess');

    const feed = await feedOf(database.store, 'demo');
    const createdEvent = feed.find((e) => e.type === 'webhook_endpoint.created' && e.target.id === endpointId)!;
    const userEvent = feed.find((e) => e.type === 'user.created')!;
    const due = feed.filter((e) => [late.id, createdEvent.id, userEvent.id].includes(e.id)).map((e) => e.id);
    await receiver.waitFor('the three events due', () => receiver!.deliveries.length >= 3, 30_000);
    // Given time to send one more, were there one: the event committed before the endpoint.
    await new Promise((resolve) => setTimeout(resolve, 500));
    expect(receiver.deliveries.map((d) => d.id)).toEqual(due);
    expect(receiver.deliveries.map((d) => d.id)).not.toContain(before.id);
  }, 60_000);
});
