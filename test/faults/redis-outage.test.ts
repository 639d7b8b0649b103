/**
 * Redis lost (API.md §17, issue 22 item 9): a real server process shares its rate
 * limits through Redis behind a TCP proxy written here. Cut, requests keep being
 * served promptly with the limits counted in process memory (a warning logged once
 * per outage, the fallback metrics set); restored, the shared counters in Redis are
 * used again.
 */
import { randomBytes } from 'node:crypto';
import { Redis } from 'ioredis';
import { describe, expect, it } from 'vitest';
import { closedAfterEach } from '../support/cleanup.ts';
import { testDialect } from '../support/databases.ts';
import { CREATE_USER } from '../support/documents.ts';
import { HttpClient } from '../support/http-client.ts';
import { freePort, startServer } from '../support/processes.ts';
import { startTcpProxy } from '../support/tcp-proxy.ts';
import { CLIENT_TIMEOUT_MS } from './write-stream.ts';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LIMIT = 5;
const WARNING = 'rate limiter unavailable; counting limits in this process until it answers again';
const RESTORED = 'rate limiter answers again; shared limits restored';

async function redisAnswers(): Promise<boolean> {
  const probe = new Redis(REDIS_URL, { lazyConnect: true, maxRetriesPerRequest: 0, retryStrategy: () => null, connectTimeout: 1000 });
  probe.on('error', () => {});
  try {
    await probe.connect();
    return (await probe.ping()) === 'PONG';
  } catch {
    return false;
  } finally {
    probe.disconnect();
  }
}
const available = testDialect === 'sqlite' && (await redisAnswers());
if (testDialect === 'sqlite' && !available) console.warn(`Redis outage test SKIPPED: no Redis at ${REDIS_URL}`);

const closing = closedAfterEach();

const count = (text: string, line: string) => text.split(line).length - 1;

describe.skipIf(!available)('Redis lost while it holds the rate limits', () => {
  it('counts limits in memory meanwhile (served promptly, warned once), then uses the shared counters again', async () => {
    const redisPort = Number(new URL(REDIS_URL).port || 6379);
    const proxy = closing(await startTcpProxy(redisPort, new URL(REDIS_URL).hostname), (p) => p.close());
    const prefix = `team-api-test:${randomBytes(4).toString('hex')}:`;
    const metricsPort = await freePort();
    const server = closing(
      await startServer({
        RATE_LIMIT_REDIS_URL: `redis://127.0.0.1:${proxy.port}`,
        RATE_LIMIT_REDIS_PREFIX: prefix,
        RATE_LIMIT_WRITES: String(LIMIT),
        METRICS_PORT: String(metricsPort),
      }),
      (s) => s.stop('SIGKILL'),
    );
    const token = server.demoToken!;
    const admin = closing(new Redis(REDIS_URL), (r) => r.disconnect());
    const client = new HttpClient(server.port, 2);
    const metricsClient = new HttpClient(metricsPort, 1);
    let n = 0;
    const createUser = async (): Promise<{ outcome: string; ms: number }> => {
      const username = `redis-${n++}`;
      const started = Date.now();
      const res = await client.send(
        {
          method: 'POST',
          path: '/graphql',
          headers: { 'content-type': 'application/json', authorization: `Bearer ${token}`, host: 'demo.localhost' },
          body: JSON.stringify({ query: CREATE_USER, variables: { input: { email: `${username}@example.com`, username } } }),
        },
        CLIENT_TIMEOUT_MS,
      );
      const body = JSON.parse(res.text);
      return { outcome: body.data?.createUser?.__typename ?? body.errors[0].extensions.code, ms: Date.now() - started };
    };
    const burst = async (times: number) => {
      const out: Array<{ outcome: string; ms: number }> = [];
      for (let i = 0; i < times; i++) out.push(await createUser());
      return out;
    };
    const sharedCount = async () => {
      const keys = await admin.keys(`${prefix}*`);
      return keys.length === 0 ? 0 : Math.max(...(await Promise.all(keys.map(async (k) => Number(await admin.get(k))))));
    };
    const metric = async (name: string) => {
      const text = (await metricsClient.send({ method: 'GET', path: '/metrics', headers: {} })).text;
      return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? NaN);
    };

    // Up: the limit is counted in Redis.
    const before = await burst(LIMIT + 1);
    expect(before.map((r) => r.outcome)).toEqual([...Array(LIMIT).fill('CreateUserSuccess'), 'TooManyRequests']);
    expect(await sharedCount()).toBe(LIMIT + 1);

    // Cut: served promptly, the limit still holds (counted in this process from zero).
    await proxy.cut();
    const cutAt = Date.now();
    const during = await burst(LIMIT + 2);
    expect(during.map((r) => r.outcome)).toEqual([...Array(LIMIT).fill('CreateUserSuccess'), 'TooManyRequests', 'TooManyRequests']);
    const slowest = Math.max(...during.map((r) => r.ms));
    expect(slowest).toBeLessThan(CLIENT_TIMEOUT_MS);
    expect(await metric('team_api_rate_limiter_fallback_active')).toBe(1);
    expect(await metric('team_api_rate_limiter_fallback_total')).toBeGreaterThanOrEqual(LIMIT + 2);
    // Five seconds more of it: every request still answered at once, still one warning.
    const later: Array<{ outcome: string; ms: number }> = [];
    while (Date.now() - cutAt < 5_000) {
      later.push(await createUser());
      await new Promise((resolve) => setTimeout(resolve, 200));
    }
    expect(new Set(later.map((r) => r.outcome))).toEqual(new Set(['TooManyRequests']));
    const slowestLater = Math.max(...later.map((r) => r.ms));
    expect(slowestLater).toBeLessThan(CLIENT_TIMEOUT_MS);
    expect(count(server.output(), WARNING)).toBe(1);
    const outage = Date.now() - cutAt;

    // Restored: the shared counters are used again once the client has reconnected.
    await proxy.restore();
    const restoredAt = Date.now();
    let back = false;
    for (const giveUpAt = Date.now() + 15_000; !back && Date.now() < giveUpAt; ) {
      await createUser();
      back = count(server.output(), RESTORED) === 1;
      if (!back) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const recovery = Date.now() - restoredAt;
    expect(back, 'the shared limiter was not used again').toBe(true);
    expect(await metric('team_api_rate_limiter_fallback_active')).toBe(0);
    const shared = await sharedCount();
    await createUser();
    expect(await sharedCount()).toBe(shared + 1);
    expect((await createUser()).outcome).toBe('TooManyRequests');
    console.info(
      `redis cut ${outage} ms: ${during.length + later.length} requests served in memory (slowest ${Math.max(slowest, slowestLater)} ms), ` +
        `limit held, 1 warning; ` +
        `shared counters used again ${recovery} ms after restore`,
    );
    client.close();
    metricsClient.close();
    const keys = await admin.keys(`${prefix}*`);
    if (keys.length > 0) await admin.del(...keys);
  }, 90_000);
});
