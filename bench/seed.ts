/**
 * Bulk seeding for benchmarks: a group, an API token, a signed-in session and N
 * users with memberships, written straight into SQLite in large transactions
 * (1,000,000 users take seconds, not minutes).
 *
 *   npm run -s seed -- --users 1000000 [--database file:./data/bench.db]
 */
import { parseArgs } from 'node:util';
import { openSqliteStore } from '../src/db/sqlite/store.ts';
import { API_TOKEN_PREFIX, digest, newId, newSecret } from '../src/domain/secrets.ts';

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

if (import.meta.url === `file://${process.argv[1]}`) {
  const { values } = parseArgs({
    options: { users: { type: 'string', default: '1000' }, database: { type: 'string', default: 'file:./data/bench.db' } },
  });
  const started = performance.now();
  const seeded = seedDatabase(values.database!, Number(values.users));
  const seconds = ((performance.now() - started) / 1000).toFixed(1);
  console.log(JSON.stringify({ ...seeded, seconds: Number(seconds) }));
}
