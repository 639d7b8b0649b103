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

export interface RedisRateLimiterOptions {
  url: string;
  /** Prepended to every key, so deployments (and tests) sharing a Redis never meet. */
  prefix: string;
  /** How long one command may take before the limiter gives up on it. */
  commandTimeoutMs?: number;
}

export class RedisRateLimiter implements RateLimiter {
  private readonly redis: RateLimitRedis;
  private readonly prefix: string;

  constructor(options: RedisRateLimiterOptions) {
    this.prefix = options.prefix;
    const redis = new Redis(options.url, {
      // A request must not hang on an unreachable Redis: fail fast and let the
      // policy decide (it lets the request through and logs).
      maxRetriesPerRequest: 1,
      commandTimeout: options.commandTimeoutMs ?? 1000,
      enableOfflineQueue: true,
    });
    // Connection problems surface through commands; an 'error' event without a
    // listener would crash the process.
    redis.on('error', () => {});
    redis.defineCommand('rateLimitHit', { numberOfKeys: 1, lua: HIT });
    redis.defineCommand('rateLimitPeek', { numberOfKeys: 1, lua: PEEK });
    this.redis = redis as RateLimitRedis;
  }

  async hit(key: string, limit: number, windowMs: number, weight = 1): Promise<RateLimitDecision> {
    const [count, ttl] = await this.redis.rateLimitHit(this.prefix + key, windowMs, weight);
    return { allowed: count <= limit, count, retryAfterSeconds: retryAfterSeconds(ttl) };
  }

  async peek(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    const [count, ttl] = await this.redis.rateLimitPeek(this.prefix + key);
    return { allowed: count < limit, count, retryAfterSeconds: retryAfterSeconds(ttl > 0 ? ttl : windowMs) };
  }

  async close(): Promise<void> {
    if (this.redis.status === 'end') return;
    await this.redis.quit().catch(() => this.redis.disconnect());
  }
}
