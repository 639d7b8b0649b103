/**
 * A full disk under SQLite (API.md §17, issue 22 item 8): a real server process on
 * a database in a small tmpfs mounted here, and a filler file that takes the rest
 * of the space. Writes then answer 503 ServiceUnavailable with Retry-After (GraphQL
 * and REST), reads keep working, the file stays sound, every acknowledged write is
 * there; once the filler is deleted writes succeed again, without a restart.
 * Mounting needs root (CAP_SYS_ADMIN): without it the test is skipped, saying why.
 */
import { execFileSync } from 'node:child_process';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, describe, expect, it } from 'vitest';
import { GROUP } from '../support/documents.ts';
import { testDialect } from '../support/databases.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import { WriteStream } from './write-stream.ts';

const dir = mkdtempSync(join(tmpdir(), 'team-api-full-'));
let mountRefused: string | null = null;
if (testDialect === 'sqlite') {
  try {
    execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', dir], { stdio: 'pipe' });
  } catch (error) {
    mountRefused = String((error as { stderr?: Buffer }).stderr ?? error).trim();
    console.warn(`disk-full test SKIPPED: cannot mount a tmpfs at ${dir} (${mountRefused}); it needs root or CAP_SYS_ADMIN`);
  }
}
const mounted = testDialect === 'sqlite' && mountRefused === null;

let server: RunningServer | null = null;
afterAll(async () => {
  await server?.stop('SIGKILL');
  if (mounted) execFileSync('umount', ['-l', dir]);
  rmSync(dir, { recursive: true, force: true });
});

/** Fills the filesystem with a file of its own until it is full. */
function fill(path: string): number {
  const fd = openSync(path, 'w');
  const chunk = Buffer.alloc(64 * 1024, 1);
  let bytes = 0;
  try {
    for (;;) bytes += writeSync(fd, chunk);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOSPC') throw error;
  } finally {
    closeSync(fd);
  }
  return bytes;
}

describe.skipIf(testDialect !== 'sqlite')('a full disk under SQLite', () => {
  it.skipIf(!mounted)('answers writes 503 ServiceUnavailable, keeps reads and every acknowledged write, and writes again once space is freed', async () => {
    const databasePath = join(dir, 'team-api.db');
    server = await startServer({ DATABASE_URL: `file:${databasePath}` });
    const token = server.demoToken!;
    expect(token, server.output()).toBeTruthy();
    const stream = new WriteStream(server.port, token, 'full', 4, 'demo.localhost').start();
    expect(await stream.waitFor(() => stream.acknowledged().length >= 20, 20_000)).toBe(true);

    const filler = join(dir, 'filler');
    const filledAt = Date.now();
    const fillerBytes = fill(filler);
    expect(await stream.waitFor(() => stream.since(filledAt).filter((a) => a.kind === 'unavailable').length >= 20, 60_000)).toBe(true);
    const firstRefusal = stream.since(filledAt).find((a) => a.kind === 'unavailable')!;

    // Reads keep working; REST answers its envelope, with Retry-After.
    const read = await server.gql(GROUP, { host: 'demo.localhost', token });
    expect(read.status).toBe(200);
    expect(read.body.data.group.slug).toBe('demo');
    const rest = await stream.client.send({
      method: 'POST',
      path: '/-/api/user/create',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, host: 'demo.localhost' },
      body: JSON.stringify({ email: 'rest-full@example.com', username: 'rest-full' }),
    });
    expect(rest.status).toBe(503);
    expect(JSON.parse(rest.text)).toEqual({
      error: { status: 503, code: 'ServiceUnavailable', message: 'The service is temporarily unavailable, please try again later.' },
    });
    expect(Number(rest.headers['retry-after'])).toBeGreaterThanOrEqual(1);

    const freedAt = Date.now();
    rmSync(filler);
    const recovered = await stream.waitFor(() => stream.since(freedAt).some((a) => a.kind === 'acknowledged'), 15_000);
    const recovery = recovered ? stream.since(freedAt).find((a) => a.kind === 'acknowledged')!.at - freedAt : null;
    await stream.waitFor(() => stream.since(freedAt).filter((a) => a.kind === 'acknowledged').length >= 20, 20_000);
    await stream.stop();

    const refused = stream.answers.filter((a) => a.kind === 'unavailable').length;
    const bad = stream.answers.filter((a) => a.kind === 'other' || a.kind === 'unanswered');
    console.info(
      `disk full (tmpfs 8 MiB, filler ${fillerBytes} bytes): first 503 ${firstRefusal.at - filledAt} ms after filling ` +
        `(Retry-After ${firstRefusal.detail}), ${refused} writes answered 503, ${bad.length} other/unanswered; reads 200; ` +
        `first write acknowledged ${recovery} ms after freeing space; ${stream.acknowledged().length} acknowledged`,
    );
    expect(bad, 'answers that were neither a success nor ServiceUnavailable').toEqual([]);
    expect(recovery, 'no write acknowledged after space was freed').not.toBeNull();

    const db = new Database(databasePath, { readonly: true, fileMustExist: true });
    try {
      expect(db.pragma('integrity_check', { simple: true })).toBe('ok');
      const members = new Set(
        (
          db
            .prepare(`SELECT u.username FROM users u JOIN memberships m ON m.user_id = u.id JOIN groups g ON g.id = m.group_id AND g.slug = 'demo'`)
            .all() as Array<{ username: string }>
        ).map((r) => r.username),
      );
      expect(stream.acknowledged().filter((u) => !members.has(u)), 'acknowledged users missing').toEqual([]);
      expect(db.prepare('SELECT count(*) AS n FROM users WHERE id NOT IN (SELECT user_id FROM memberships)').get()).toEqual({ n: 0 });
      expect(
        db
          .prepare(`SELECT count(*) AS n FROM users u WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.type = 'user.created' AND e.target_id = u.id)`)
          .get(),
      ).toEqual({ n: 0 });
    } finally {
      db.close();
    }
  }, 180_000);
});
