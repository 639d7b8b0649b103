/**
 * Backups (API.md §15): `admin backup <file>` copies a live SQLite database while a
 * real server keeps writing to it. The copy passes integrity_check, holds every user
 * acknowledged before the backup began, and serves as the database of a new server.
 * On PostgreSQL the command refuses and points to pg_dump.
 */
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { GROUP } from '../support/documents.ts';
import { CreateUserStream } from '../support/create-user-stream.ts';
import { testPostgresUrl } from '../support/postgres.ts';
import { adminEntry, type RunningServer, run, startServer } from '../support/processes.ts';
import { type ServerDatabase, serverDatabase } from '../support/server-database.ts';

const servers: RunningServer[] = [];
let database: ServerDatabase | null = null;
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.stop()));
  await database?.close();
  database = null;
});

describe('admin backup', () => {
  it(
    'copies a live SQLite database while a server writes: a sound copy with every acknowledged user, that a server can run on',
    async () => {
      database = await serverDatabase('sqlite');
      const live = await startServer(database.env);
      servers.push(live);
      const stream = new CreateUserStream(live.port, database.token, { prefix: 'backup', concurrency: 4 }).start();
      await stream.waitForAcknowledged(30);

      const dir = mkdtempSync(join(tmpdir(), 'team-api-backup-'));
      const file = join(dir, 'copy.db');
      const before = stream.mark();
      const backup = await run(process.execPath, [...adminEntry, 'backup', file, '--json'], { DATABASE_URL: database.env.DATABASE_URL! });
      // The server went on writing while the backup ran.
      const during = (await stream.stop()).acknowledged.length - before.acknowledged.length;

      expect(backup.code, backup.stderr).toBe(0);
      expect(JSON.parse(backup.stdout)).toEqual({ backup: file, bytes: statSync(file).size });
      expect(during).toBeGreaterThan(0);
      // Written under another name and renamed: nothing else is left beside it.
      expect(readdirSync(dir)).toEqual(['copy.db']);

      const copy = new Database(file, { readonly: true, fileMustExist: true });
      try {
        expect(copy.pragma('integrity_check', { simple: true })).toBe('ok');
        expect(copy.pragma('foreign_key_check')).toEqual([]);
        const usernames = new Set(
          (copy.prepare('SELECT u.username FROM users u JOIN memberships m ON m.user_id = u.id').all() as Array<{ username: string }>).map((r) => r.username),
        );
        expect(before.acknowledged.filter((u) => !usernames.has(u))).toEqual([]);
      } finally {
        copy.close();
      }

      // The copy is a working database: a server starts on it and the group's token still works.
      const restored = await startServer({ ...database.env, DATABASE_URL: `file:${file}` });
      servers.push(restored);
      const answer = await restored.gql(GROUP, { host: 'localhost', token: database.token });
      expect(answer.body.data.group.slug).toBe('acme');
      const ready = await fetch(`http://127.0.0.1:${restored.port}/ready`, { headers: { connection: 'close' } });
      expect(ready.status).toBe(200);
    },
    90_000,
  );

  it('refuses on PostgreSQL, naming pg_dump, and writes nothing', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'team-api-backup-'));
    const file = join(dir, 'copy.db');
    const result = await run(process.execPath, [...adminEntry, 'backup', file, '--json'], { DATABASE_URL: testPostgresUrl(process.env) });
    expect(result.code).not.toBe(0);
    expect(result.stderr).toMatch(/pg_dump/);
    expect(result.stdout).toBe('');
    expect(existsSync(file)).toBe(false);
  });

  it('refuses to overwrite the database it copies, and a database that does not exist', async () => {
    database = await serverDatabase('sqlite');
    const path = database.env.DATABASE_URL!.replace(/^file:/, '');
    const onItself = await run(process.execPath, [...adminEntry, 'backup', path], database.env);
    expect(onItself.code).toBe(1);
    expect(onItself.stderr).toMatch(/must not overwrite the database/);
    const missing = await run(process.execPath, [...adminEntry, 'backup', join(tmpdir(), 'never.db')], { DATABASE_URL: `file:${join(mkdtempSync(join(tmpdir(), 'team-api-')), 'none.db')}` });
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/cannot open the database/);
  });
});
