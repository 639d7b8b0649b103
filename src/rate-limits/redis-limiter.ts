/**
 * Rate-limit counters in Redis, shared by every instance of the server. Each hit is
 * one Lua script (INCR, and PEXPIRE when the window starts), so concurrent hits from
 * many processes count exactly and a key never outlives its window.
 */
import { Redis } from 'ioredis';
import { type RateLimitDecision, type RateLimiter, retryAfterSeconds } from './limiter.ts';

// Returns {count, milliseconds left}. A key without a TTL (left by a crash between
// INCR and PEXPIRE, impossible inside one script, or set by hand) gets one here.
const HIT = `
local count = redis.call('INCRBY', KEYS[1], ARGV[2])
local ttl = redis.call('PTTL', KEYS[1])
if ttl < 0 then
  redis.call('PEXPIRE', KEYS[1], ARGV[1])
  ttl = tonumber(ARGV[1])
end
return {count, ttl}
`;

const PEEK = `
local count = tonumber(redis.call('GET', KEYS[1]) or '0')
local ttl = redis.call('PTTL', KEYS[1])
return {count, ttl}
`;

type RateLimitRedis = Redis & {
  rateLimitHit(key: string, windowMs: number, weight: number): Promise<[number, number]>;
  rateLimitPeek(key: string): Promise<[number, number]>;
};

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: RateLimitRedis;
  /** Prepended to every key, so deployments (and tests) sharing a Redis never meet. */
  private readonly prefix: string;
  private firstConnection: Promise<void> | null;

  constructor(options: { url: string; prefix: string }) {
    this.prefix = options.prefix;
    const redis = new Redis(options.url, {
      // A request must not wait on an unreachable Redis: while disconnected a command
      // fails at once (no offline queue), a silent connection within the command
      // timeout, and the policy counts in memory meanwhile (rate-limits.ts). The
      // client keeps reconnecting by itself (backoff up to 2 s).
      maxRetriesPerRequest: 0,
      commandTimeout: 500,
      enableOfflineQueue: false,
      connectTimeout: 2_000,
      retryStrategy: (times) => Math.min(times * 100, 1_000),
    });
    // Connection problems surface through commands; an 'error' event without a
    // listener would crash the process.
    redis.on('error', () => {});
    // Without an offline queue a command sent before the first connection fails at
    // once; the first ones wait for it (or its first failure), no longer.
    this.firstConnection = new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        redis.off('ready', done).off('error', done).off('end', done);
        this.firstConnection = null;
        resolve();
      };
      const timer = setTimeout(done, 2_000);
      timer.unref();
      redis.once('ready', done).once('error', done).once('end', done);
    });
    redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT });
    redis.defineCommand('rateLimitPeek', { numberOfKeys: 1, lua: PEEK });
    this.redis = redis as RateLimitRedis;
  }

  async hit(key: string, limit: number, windowMs: number, weight = 1): Promise<RateLimitDecision> {
    if (this.firstConnection) await this.firstConnection;
    const [count, ttl] = await this.redis.rateLimitHit(this.prefix + key, windowMs, weight);
    return { allowed: count <= limit, count, retryAfterSeconds: retryAfterSeconds(ttl) };
  }

  async peek(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    if (this.firstConnection) await this.firstConnection;
    const [count, ttl] = await this.redis.rateLimitPeek(this.prefix + key);
    return { allowed: count < limit, count, retryAfterSeconds: retryAfterSeconds(ttl > 0 ? ttl : windowMs) };
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
