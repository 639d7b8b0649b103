/**
 * Readiness and graceful shutdown (API.md §15). `/ready` through app.fetch; the
 * shutdown through a real server process (one, then a cluster of two workers) that
 * takes a stream of createUser calls and gets SIGTERM in the middle of it: every
 * request sent before the signal is answered, every acknowledged user is in the
 * database, the API token's last use is written, and the process exits 0.
 */
import { createConnection } from 'node:net';
import type { Server } from 'node:http';
import { afterEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/http/node-server.ts';
import { CreateUserStream } from '../support/create-user-stream.ts';
import { createTestApp, type TestApp } from '../support/harness.ts';
import { HttpClient } from '../support/http-client.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import { type ServerDatabase, serverDatabase } from '../support/server-database.ts';

describe('GET /ready', () => {
  let t: TestApp;
  let server: Server | null = null;
  afterEach(async () => {
    if (server) await new Promise((resolve) => server!.close(resolve));
    server = null;
    await t.close();
  });

  it('is 200 while the database answers, and 503 from the moment a shutdown begins (while /health stays 200)', async () => {
    t = await createTestApp();
    const ready = await t.request('/ready');
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready' });
    expect(ready.headers.get('cache-control')).toBe('no-store');

    t.app.beginShutdown();
    const draining = await t.request('/ready');
    expect(draining.status).toBe(503);
    expect(await draining.json()).toEqual({ status: 'shutting-down' });
    expect((await t.request('/health')).status).toBe(200);
  });

  it('is 503 when the database does not answer', async () => {
    t = await createTestApp();
    await t.store.close();
    const res = await t.request('/ready');
    expect(res.status).toBe(503);
    expect(await res.json()).toEqual({ status: 'unavailable' });
  });

  it('asks each client to close its connection once a shutdown has begun, so none stays idle', async () => {
    t = await createTestApp();
    server = createHttpServer(t.app);
    await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
    const client = new HttpClient((server.address() as { port: number }).port, 1);
    expect((await client.send({ method: 'GET', path: '/health', headers: {} })).headers.connection).toBe('keep-alive');
    t.app.beginShutdown();
    for (const path of ['/health', '/ready', '/graphql?query={__typename}']) {
      expect((await client.send({ method: 'GET', path, headers: { accept: 'application/json' } })).headers.connection, path).toBe('close');
    }
    client.close();
  });
});

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';

function reachable(url: string): Promise<boolean> {
  const { hostname, port } = new URL(url);
  return new Promise((resolve) => {
    const socket = createConnection({ host: hostname, port: Number(port || 6379) });
    socket.setTimeout(1000);
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => (socket.destroy(), resolve(false)));
  });
}

describe('graceful shutdown of a real server', () => {
  let database: ServerDatabase | null = null;
  let running: RunningServer | null = null;
  afterEach(async () => {
    await running?.stop('SIGKILL');
    running = null;
    await database?.close();
    database = null;
  });

  async function shutDownMidStream(env: Record<string, string>, prefix: string) {
    database = await serverDatabase();
    running = await startServer({ ...database.env, ...env });
    const exited = new Promise<number | null>((resolve) => running!.process.once('exit', (code) => resolve(code)));
    const stream = new CreateUserStream(running.port, database.token, { prefix }).start();
    await stream.waitForAcknowledged(40);

    const before = stream.mark();
    running.process.kill('SIGTERM');
    const code = await exited;
    const outcome = await stream.stop();
    const output = running.output();

    expect(outcome.unansweredBeforeMark, output).toEqual([]);
    expect(outcome.refusedBeforeMark).toEqual([]);
    expect(code, output).toBe(0);
    // Every user acknowledged, before the signal or while draining, was written.
    const members = await database.acmeMembers();
    expect(outcome.acknowledged.filter((u) => !members.has(u))).toEqual([]);
    expect(outcome.acknowledged.length).toBeGreaterThanOrEqual(before.acknowledged.length);
    // The API token's last use, kept in memory between flushes, was written on the way out.
    const [token] = await database.rows('SELECT last_used_at FROM api_tokens');
    expect(token!.last_used_at).not.toBeNull();
    // Every line is whole (workers share stdout) and nothing failed on the way: no line at error or fatal.
    const lines = output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line));
    expect(lines.filter((line) => line.msg === 'request').length).toBeGreaterThanOrEqual(outcome.acknowledged.length);
    expect(lines.filter((line) => line.level === 'error' || line.level === 'fatal')).toEqual([]);
    expect(output).toMatch(/"msg":"shutting down"/);
    return { outcome, before };
  }

  it(
    'answers every request sent before SIGTERM, keeps every acknowledged user, closes the database and Redis, and exits 0',
    async () => {
      const env: Record<string, string> = {};
      // With a Redis, the rate limiter's connection must be closed too, or the process would not exit.
      if (await reachable(REDIS_URL)) Object.assign(env, { RATE_LIMIT_REDIS_URL: REDIS_URL, RATE_LIMIT_REDIS_PREFIX: `team-api-test:${process.pid}:${Date.now()}:` });
      else console.warn(`graceful shutdown test: no Redis at ${REDIS_URL}, the in-memory rate limiter is used`);
      const { before } = await shutDownMidStream(env, 'sigterm');
      expect(before.sent).toBeGreaterThan(40);
    },
    60_000,
  );

  it(
    'with WORKERS=2: the primary passes the signal on, waits for both workers to drain, and exits 0',
    async () => {
      await shutDownMidStream({ WORKERS: '2' }, 'workers');
    },
    90_000,
  );
});
