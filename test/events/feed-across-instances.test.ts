/**
 * A cursor never skips an event: two server processes on one database take
 * concurrent createUser calls, while a few transactions of our own hold an event
 * uncommitted for a while (as a slow instance would, having taken a lower sequence
 * number than events committed after it), and a reader follows `events` with
 * `after` the whole time. The reader must see every committed event exactly once.
 * On PostgreSQL in the PostgreSQL half; on one shared SQLite file in the SQLite half.
 */
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SqliteStore } from '../../src/db/sqlite/store.ts';
import { PostgresStore } from '../../src/db/postgres/store.ts';
import { EVENTS } from '../support/admin-documents.ts';
import { CREATE_USER } from '../support/documents.ts';
import { createTestDatabase, queryRows, type TestDatabase } from '../support/databases.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import { newId } from '../../src/ids.ts';

const STRESS = process.env.STRESS === '1';
const USERS = STRESS ? 1500 : 300;
const LANES_PER_INSTANCE = 6;
const SLOW_WRITERS = 4;

let db: TestDatabase;
let servers: RunningServer[];
let token: string;

beforeAll(async () => {
  db = await createTestDatabase({ shared: true });
  const env = { DATABASE_URL: db.url, DATABASE_POOL_SIZE: '8' };
  servers = [await startServer(env)];
  servers.push(await startServer(env));
  token = servers[0]!.demoToken!;
  expect(token).toBeTruthy();
}, 60_000);

afterAll(async () => {
  await Promise.all(servers.map((s) => s.stop()));
  await db.close();
});

let sqliteSlowWriters: Promise<void> = Promise.resolve();

/** Inserts one event for the group in a transaction held open for `holdMs` before it commits. */
async function slowEvent(groupId: string, holdMs: number): Promise<void> {
  const row = {
    id: newId(),
    group_id: groupId,
    type: 'member.added',
    occurred_at: Date.now(),
    actor_type: 'system',
    target_type: 'user',
    target_id: 'slow',
    data: '{"username":"slow","role":"member"}',
  };
  const columns = Object.keys(row).join(', ');
  const placeholders = Object.keys(row).map((_, i) => `$${i + 1}`);
  if (db.store instanceof PostgresStore) {
    const client = await db.store.pool.connect();
    try {
      await client.query('BEGIN');
      await client.query(`INSERT INTO events (${columns}) VALUES (${placeholders.join(', ')})`, Object.values(row));
      await new Promise((resolve) => setTimeout(resolve, holdMs));
      await client.query('COMMIT');
    } finally {
      client.release();
    }
    return;
  }
  // One connection holds one transaction at a time: slow writers whose timers fire
  // together (a loaded machine) take turns on it, as SQLite writers do anyway.
  const turn = sqliteSlowWriters.then(async () => {
    const sqlite = (db.store as SqliteStore).sqlite;
    sqlite.prepare('BEGIN IMMEDIATE').run();
    sqlite.prepare(`INSERT INTO events (${columns}) VALUES (${placeholders.map(() => '?').join(', ')})`).run(...Object.values(row));
    // SQLite writers take turns: holding the write lock only delays the others.
    await new Promise((resolve) => setTimeout(resolve, Math.min(holdMs, 50)));
    sqlite.prepare('COMMIT').run();
  });
  sqliteSlowWriters = turn.catch(() => {});
  await turn;
}

async function gql(server: RunningServer, query: string, variables: Record<string, unknown>) {
  const res = await server.gql(query, { host: 'demo.localhost', token, variables });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.data;
}

describe('the event feed across instances', () => {
  it(`shows a reader following it every committed event exactly once, while ${USERS} users are created on two instances`, async () => {
    const groupId = String((await queryRows(db.store, `SELECT id FROM groups WHERE slug = 'demo'`))[0]!.id);
    let next = 0;
    let writing = true;
    const lane = async (server: RunningServer) => {
      while (next < USERS) {
        const username = `feed-${next++}`;
        const data = await gql(server, CREATE_USER, { input: { email: `${username}@example.com`, username } });
        expect(data.createUser.__typename).toBe('CreateUserSuccess');
      }
    };
    const slow = async (i: number) => {
      await new Promise((resolve) => setTimeout(resolve, 100 * i));
      await slowEvent(groupId, 400);
    };

    const seen: string[] = [];
    let after: string | null = null;
    let pages = 0;
    const readPage = async (server: RunningServer) => {
      const data = await gql(server, EVENTS, { first: 37, after });
      pages++;
      seen.push(...data.events.edges.map((e: any) => e.node.id));
      after = data.events.pageInfo.endCursor;
      return data.events.edges.length;
    };
    const reader = async () => {
      for (let i = 0; writing; i++) await readPage(servers[i % 2]!);
    };

    const writers = Promise.all([
      ...servers.flatMap((server) => Array.from({ length: LANES_PER_INSTANCE }, () => lane(server))),
      ...Array.from({ length: SLOW_WRITERS }, (_, i) => slow(i)),
    ]).finally(() => {
      writing = false;
    });
    await Promise.all([writers, reader()]);
    // Every writer has finished: once older transactions are done, the rest is readable.
    expect(await db.store.feedCaughtUp(30_000)).toBe(true);
    while ((await readPage(servers[0]!)) > 0);

    const committed = (await queryRows(db.store, `SELECT id FROM events WHERE group_id = '${groupId}'`)).map((r) => String(r.id));
    expect(new Set(seen).size, 'an event was listed twice').toBe(seen.length);
    expect(seen.length).toBe(committed.length);
    expect([...seen].sort()).toEqual([...committed].sort());
    expect(committed.length).toBeGreaterThanOrEqual(USERS + SLOW_WRITERS);
    expect(pages).toBeGreaterThan(5);
  }, 180_000);
});
