/**
 * A database of the run's dialect that a real server process can open too (a SQLite
 * file, or a PostgreSQL schema through its URL), seeded with group `acme`, an API
 * token and the seed builders; the env a server needs to serve it, and SQL access
 * for checking what the server wrote. Seeding first means the server creates no
 * demo group, so its output carries no token of its own.
 */
import { createTestDatabase, type Dialect, queryRows, type TestDatabase } from './databases.ts';
import { createTestApp, type GroupSeed, TEST_SSO_SECRET, type TestApp } from './harness.ts';

export interface ServerDatabase {
  db: TestDatabase;
  t: TestApp;
  acme: GroupSeed;
  token: string;
  /** DATABASE_URL and SSO_SECRET for a server process on this database. */
  env: Record<string, string>;
  rows(query: string): Promise<Array<Record<string, unknown>>>;
  /** Usernames of acme's members, as the database holds them now. */
  acmeMembers(): Promise<Set<string>>;
  close(): Promise<void>;
}

/** On the run's dialect unless told. */
export async function serverDatabase(dialect?: Dialect): Promise<ServerDatabase> {
  const db = await createTestDatabase({ shared: true, dialect });
  const t = await createTestApp({ store: db.store });
  const acme = await t.seed.group('acme');
  const token = await acme.token();
  const rows = (query: string) => queryRows(db.store, query);
  return {
    db,
    t,
    acme,
    token,
    env: { DATABASE_URL: db.url, SSO_SECRET: TEST_SSO_SECRET },
    rows,
    async acmeMembers() {
      const found = await rows(
        `SELECT u.username FROM users u JOIN memberships m ON m.user_id = u.id JOIN groups g ON g.id = m.group_id WHERE g.slug = 'acme'`,
      );
      return new Set(found.map((r) => String(r.username)));
    },
    async close() {
      await t.app.close();
      await db.close();
    },
  };
}
