/**
 * Bulk seeding for benchmarks: a group, an API token, a signed-in session and N
 * users with memberships, written straight into SQLite in large transactions
 * (1,000,000 users take seconds, not minutes).
 *
 *   npm run -s seed -- --users 1000000 [--database file:./data/bench.db]
 */
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openPostgresStore } from '../src/db/postgres/store.ts';
import { openSqliteStore } from '../src/db/sqlite/store.ts';
import { API_TOKEN_PREFIX, digest, newSecret } from '../src/domain/secrets.ts';
import { newId } from '../src/ids.ts';

export interface Seeded {
  group: string;
  apiToken: string;
  sessionCookie: string;
  /** A member SSO tokens can be minted for. */
  username: string;
  users: number;
}

export function seedDatabase(databaseUrl: string, users: number, slug = 'bench'): Seeded {
  const store = openSqliteStore(databaseUrl);
  const db = store.sqlite;
  // Bulk load: durability of the seed itself is not what is measured, so no
  // journal and a large page cache; WAL and full sync come back afterwards.
  db.pragma('journal_mode = OFF');
  db.pragma('synchronous = OFF');
  db.pragma('cache_size = -524288');
  const now = Date.now();
  const groupId = newId();
  const apiToken = newSecret(API_TOKEN_PREFIX);
  const session = newSecret();
  db.prepare('INSERT INTO groups (id, slug, title, is_api_enabled, allowed_domains, created_at) VALUES (?, ?, ?, 1, ?, ?)').run(
    groupId,
    slug,
    'Benchmark',
    '[]',
    now,
  );
  db.prepare('INSERT INTO api_tokens (id, group_id, label, token_hash, created_at) VALUES (?, ?, ?, ?, ?)').run(
    newId(),
    groupId,
    'bench',
    digest(apiToken),
    now,
  );

  const insertUser = db.prepare(
    'INSERT INTO users (id, username, email, email_normalized, created_at) VALUES (?, ?, ?, ?, ?)',
  );
  const insertMember = db.prepare('INSERT INTO memberships (group_id, user_id, role, created_at) VALUES (?, ?, ?, ?)');
  const batch = db.transaction((from: number, to: number) => {
    for (let i = from; i < to; i++) {
      const id = newId();
      const username = `user${i}`;
      const email = `${username}@bench.example`;
      insertUser.run(id, username, email, email, now);
      insertMember.run(groupId, id, i === 0 ? 'admin' : 'member', now + i);
    }
  });
  const total = Math.max(1, users);
  for (let from = 0; from < total; from += 250_000) batch(from, Math.min(total, from + 250_000));

  const firstUser = db.prepare('SELECT id FROM users WHERE username = ?').get('user0') as { id: string };
  db.prepare('INSERT INTO sessions (id, token_hash, user_id, group_id, created_at, expires_at) VALUES (?, ?, ?, ?, ?, ?)').run(
    newId(),
    digest(session),
    firstUser.id,
    groupId,
    now,
    now + 30 * 24 * 3600 * 1000,
  );
  db.pragma('synchronous = FULL');
  db.pragma('journal_mode = WAL');
  db.close();
  return { group: slug, apiToken, sessionCookie: `session=${session}`, username: 'user0', users: total };
}

/**
 * The same seed in a fresh schema of a PostgreSQL database: set-based inserts
 * (generate_series), so a million users take seconds. Returns the DATABASE_URL
 * that selects the schema, and how to drop it.
 */
export async function seedPostgres(
  baseUrl: string,
  users: number,
  slug = 'bench',
): Promise<Seeded & { databaseUrl: string; drop(): Promise<void> }> {
  const schema = `bench_${newSecret().replace(/[^a-z0-9]/gi, '').slice(0, 10).toLowerCase()}`;
  const databaseUrl = `${baseUrl}${baseUrl.includes('?') ? '&' : '?'}options=${encodeURIComponent(`-c search_path=${schema}`)}`;
  const admin = new pg.Client({ connectionString: baseUrl });
  await admin.connect();
  await admin.query(`CREATE SCHEMA ${schema}`);
  const store = await openPostgresStore(databaseUrl);
  await store.close();

  const now = Date.now();
  const groupId = newId();
  const apiToken = newSecret(API_TOKEN_PREFIX);
  const session = newSecret();
  const total = Math.max(1, users);
  const q = (text: string, values: unknown[] = []) => admin.query(text, values);
  await admin.query(`SET search_path TO ${schema}`);
  await q('INSERT INTO groups (id, slug, title, is_api_enabled, allowed_domains, created_at) VALUES ($1, $2, $3, true, $4, $5)', [
    groupId,
    slug,
    'Benchmark',
    [],
    now,
  ]);
  await q('INSERT INTO api_tokens (id, group_id, label, token_hash, created_at) VALUES ($1, $2, $3, $4, $5)', [
    newId(),
    groupId,
    'bench',
    digest(apiToken),
    now,
  ]);
  // Ids in the shape the service makes (UUIDv7-like: time first), so indexes look the same.
  await q(
    `INSERT INTO users (id, username, email, email_normalized, created_at)
     SELECT lpad(to_hex($2::bigint + i), 12, '0') || '-7000-8000-' || lpad(to_hex(i), 12, '0'), 'user' || i, 'user' || i || '@bench.example', 'user' || i || '@bench.example', $2
     FROM generate_series(0, $1::int - 1) AS i`,
    [total, now],
  );
  await q(
    `INSERT INTO memberships (group_id, user_id, role, created_at)
     SELECT $1, id, CASE WHEN username = 'user0' THEN 'admin' ELSE 'member' END, created_at FROM users`,
    [groupId],
  );
  await q(
    `INSERT INTO sessions (id, token_hash, user_id, group_id, created_at, expires_at)
     SELECT $1, $2, id, $3, $4, $5 FROM users WHERE username = 'user0'`,
    [newId(), digest(session), groupId, now, now + 30 * 24 * 3600 * 1000],
  );
  await q('ANALYZE');
  return {
    group: slug,
    apiToken,
    sessionCookie: `session=${session}`,
    username: 'user0',
    users: total,
    databaseUrl,
    async drop() {
      await admin.query(`DROP SCHEMA ${schema} CASCADE`);
      await admin.end();
    },
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { users: { type: 'string', default: '1000' }, database: { type: 'string', default: 'file:./data/bench.db' } },
  });
  const started = performance.now();
  const seeded = seedDatabase(values.database!, Number(values.users));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(JSON.stringify({ ...seeded, seconds: Number(seconds) }));
}
