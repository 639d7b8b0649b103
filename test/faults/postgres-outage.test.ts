/**
 * PostgreSQL lost mid-stream (API.md §17, issue 22 item 7): a real server process
 * reaches PostgreSQL through a TCP proxy written here. Under a stream of keyed
 * createUser calls, (a) every connection is cut and new ones refused for 5 s, then
 * restored; (b) the pool's backends are killed with pg_terminate_backend. While the
 * database is gone requests answer 503 ServiceUnavailable with Retry-After (never a
 * 500, never left unanswered within the client's 10 s), `/ready` answers 503; once
 * it is back the server serves again by itself; every acknowledged user is in the
 * database with its membership and its `user.created` event, nothing half-written.
 */
import { describe, expect, it } from 'vitest';
import { closedAfterEach } from '../support/cleanup.ts';
import { testDialect } from '../support/databases.ts';
import { HttpClient } from '../support/http-client.ts';
import { type RunningServer, startServer } from '../support/processes.ts';
import { type ServerDatabase, serverDatabase } from '../support/server-database.ts';
import { startTcpProxy, type TcpProxy } from '../support/tcp-proxy.ts';
import { statusOf, WriteStream } from './write-stream.ts';

const APPLICATION_NAME = `team-api-faults-${process.pid}`;
const OUTAGE_MS = 5_000;
/** A generous bound for serving again after the database returns (the aim is 2 s). */
const RECOVERY_BOUND_MS = 15_000;

const closing = closedAfterEach();
let sdb: ServerDatabase | null = null;
let proxy: TcpProxy | null = null;

/** The server's DATABASE_URL, through the proxy, with an application_name to find its backends by. */
function viaProxy(url: string, port: number): string {
  const parsed = new URL(url);
  parsed.hostname = '127.0.0.1';
  parsed.port = String(port);
  parsed.searchParams.set('application_name', APPLICATION_NAME);
  return parsed.toString();
}

async function setUp(): Promise<{ server: RunningServer; stream: (prefix: string) => WriteStream; probe: HttpClient }> {
  sdb = closing(await serverDatabase('postgres'), (d) => d.close());
  const target = new URL(sdb.env.DATABASE_URL!);
  proxy = closing(await startTcpProxy(Number(target.port || 5432), target.hostname), (p) => p.close());
  const running = closing(
    await startServer({ ...sdb.env, DATABASE_URL: viaProxy(sdb.env.DATABASE_URL!, proxy.port), DATABASE_POOL_SIZE: '4' }),
    (s) => s.stop('SIGKILL'),
  );
  return { server: running, stream: (prefix) => new WriteStream(running.port, sdb!.token, prefix).start(), probe: new HttpClient(running.port, 2) };
}

/** Every acknowledged user is there with its membership and its user.created event; no user lacks either. */
async function expectNothingLostOrHalfWritten(acknowledged: string[]): Promise<void> {
  const members = await sdb!.acmeMembers();
  expect(acknowledged.filter((u) => !members.has(u)), 'acknowledged users missing').toEqual([]);
  const withEvent = new Set(
    (await sdb!.rows(`SELECT u.username FROM users u JOIN events e ON e.type = 'user.created' AND e.target_id = u.id`)).map((r) =>
      String(r.username),
    ),
  );
  expect(acknowledged.filter((u) => !withEvent.has(u)), 'acknowledged users without their user.created event').toEqual([]);
  const homeless = await sdb!.rows(`SELECT count(*) AS n FROM users WHERE id NOT IN (SELECT user_id FROM memberships)`);
  expect(Number(homeless[0]!.n)).toBe(0);
  const orphans = await sdb!.rows(
    `SELECT count(*) AS n FROM users u WHERE NOT EXISTS (SELECT 1 FROM events e WHERE e.type = 'user.created' AND e.target_id = u.id)`,
  );
  expect(Number(orphans[0]!.n)).toBe(0);
}

/** Polls until a createUser is acknowledged after `from`; how long that took (or null past the bound). */
async function recoveredWithin(stream: WriteStream, from: number): Promise<number | null> {
  const ok = await stream.waitFor(() => stream.since(from).some((a) => a.kind === 'acknowledged'), RECOVERY_BOUND_MS);
  return ok ? stream.since(from).find((a) => a.kind === 'acknowledged')!.at - from : null;
}

describe.skipIf(testDialect !== 'postgres')('PostgreSQL lost under a stream of writes', () => {
  it('cut for 5 s: 503 ServiceUnavailable with Retry-After meanwhile, /ready 503, serving again by itself, nothing lost', async () => {
    const { stream: startStream, probe } = await setUp();
    const stream = startStream('cut');
    expect(await stream.waitFor(() => stream.acknowledged().length >= 20, 20_000)).toBe(true);

    const cutAt = Date.now();
    await proxy!.cut();
    const readyDuringOutage = await statusOf(probe, '/ready');
    await new Promise((resolve) => setTimeout(resolve, OUTAGE_MS));
    const duringOutage = stream.since(cutAt);
    const restoredAt = Date.now();
    await proxy!.restore();
    const recovery = await recoveredWithin(stream, restoredAt);
    let readyAfter = 0;
    for (const giveUpAt = Date.now() + RECOVERY_BOUND_MS; Date.now() < giveUpAt; ) {
      readyAfter = await statusOf(probe, '/ready');
      if (readyAfter === 200) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const readyRecovery = Date.now() - restoredAt;
    await stream.waitFor(() => stream.since(restoredAt).filter((a) => a.kind === 'acknowledged').length >= 20, 20_000);
    await stream.stop();
    probe.close();

    const unavailable = duringOutage.filter((a) => a.kind === 'unavailable');
    const bad = stream.answers.filter((a) => a.kind === 'other' || a.kind === 'unanswered');
    console.info(
      `postgres cut ${OUTAGE_MS} ms: ${duringOutage.length} answers during the outage, ${unavailable.length} of them 503 ` +
        `(Retry-After ${unavailable[0]?.detail}); /ready ${readyDuringOutage} during, 200 again ${readyRecovery} ms after restore; ` +
        `first write acknowledged ${recovery} ms after restore; ${stream.acknowledged().length} acknowledged, ${bad.length} other/unanswered`,
    );
    expect(bad, 'answers that were neither a success nor ServiceUnavailable').toEqual([]);
    expect(unavailable.length).toBeGreaterThan(0);
    expect(readyDuringOutage).toBe(503);
    expect(recovery, 'no write acknowledged after the database came back').not.toBeNull();
    expect(readyAfter).toBe(200);
    await expectNothingLostOrHalfWritten(stream.acknowledged());
  }, 120_000);

  it('backends killed with pg_terminate_backend mid-stream: 503 or success, never a 500; serving again; nothing lost', async () => {
    const { stream: startStream, probe } = await setUp();
    const stream = startStream('kill');
    expect(await stream.waitFor(() => stream.acknowledged().length >= 20, 20_000)).toBe(true);

    let killed = 0;
    for (let round = 0; round < 5; round++) {
      const rows = await sdb!.rows(
        `SELECT pg_terminate_backend(pid) AS t FROM pg_stat_activity WHERE application_name = '${APPLICATION_NAME}'`,
      );
      killed += rows.length;
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    const lastKillAt = Date.now();
    const recovery = await recoveredWithin(stream, lastKillAt);
    await stream.waitFor(() => stream.since(lastKillAt).filter((a) => a.kind === 'acknowledged').length >= 20, 20_000);
    const readyAfter = await statusOf(probe, '/ready');
    await stream.stop();
    probe.close();

    const unavailable = stream.answers.filter((a) => a.kind === 'unavailable');
    const bad = stream.answers.filter((a) => a.kind === 'other' || a.kind === 'unanswered');
    console.info(
      `pg_terminate_backend x5 (${killed} backends): ${unavailable.length} answers 503, ${bad.length} other/unanswered; ` +
        `first write acknowledged ${recovery} ms after the last kill; ${stream.acknowledged().length} acknowledged`,
    );
    expect(killed).toBeGreaterThan(0);
    expect(bad, 'answers that were neither a success nor ServiceUnavailable').toEqual([]);
    expect(recovery).not.toBeNull();
    expect(readyAfter).toBe(200);
    await expectNothingLostOrHalfWritten(stream.acknowledged());
  }, 120_000);
});
