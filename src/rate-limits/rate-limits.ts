/**
 * What is rate-limited, per whom, and how a caller over a limit is answered:
 * TooManyRequests (429) with `Retry-After`. Counting is the limiter's job; if the
 * limiter fails (Redis unreachable), limits are counted in this process's memory
 * until it answers again (API.md §17): a broken limiter must neither take the API
 * down with it nor lift the limits. A warning is logged once per outage.
 */
import type { Config, RateLimitConfig } from '../config/config.ts';
import { Errors } from '../errors/domain-error.ts';
import type { Logger } from '../observability/logger.ts';
import { MemoryRateLimiter, type RateLimitDecision, type RateLimiter } from './limiter.ts';
import { RedisRateLimiter } from './redis-limiter.ts';

export type RateLimitedAction =
  /** loginWithSSO and the login URL (GET, HEAD, and the confirmation's POST), per client address. */
  | 'login'
  /** createUser, createSSOToken and admin mutations, per API token. */
  | 'write'
  /** API-token attempts that failed (malformed, unknown, revoked), per client address. */
  | 'failedApiToken';

export const RATE_LIMITED_ACTIONS: readonly RateLimitedAction[] = ['login', 'write', 'failedApiToken'];

export interface RateLimitsOptions {
  /** Where a failing limiter is reported (once when it fails, once when it is back). */
  logger?: Pick<Logger, 'warn' | 'info'>;
  /** Called for each request refused over a limit (the metrics count them). */
  onRefused?: (action: RateLimitedAction) => void;
  /** Called for each event counted in memory because the limiter failed, and with whether the fallback is in use on each change. */
  onFallback?: (event: 'counted' | 'started' | 'ended') => void;
}

/** The configured limiter: Redis when RATE_LIMIT_REDIS_URL is set, else this process's memory. */
export function openRateLimiter(config: Config): RateLimiter {
  const { redisUrl, redisPrefix } = config.rateLimits;
  return redisUrl ? new RedisRateLimiter({ url: redisUrl, prefix: redisPrefix }) : new MemoryRateLimiter();
}

export class RateLimits {
  /** Where counts go while the limiter fails: windows of their own, dropped when it answers again. */
  private readonly fallback = new MemoryRateLimiter();
  private fallingBack = false;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly config: RateLimitConfig,
    private readonly options: RateLimitsOptions = {},
  ) {}

  /** Counts `weight` of `action` by `subject` (a batch counts each item); throws TooManyRequests when that goes over the limit. */
  async consume(action: RateLimitedAction, subject: string, weight = 1): Promise<void> {
    const limit = this.limitOf(action);
    if (limit === 0) return;
    const decision = await this.hit(`${action}:${subject}`, limit, weight);
    if (decision.allowed) return;
    this.options.onRefused?.(action);
    throw new Errors.TooManyRequests({
      reason: `${action} limit reached`,
      headers: { 'retry-after': String(decision.retryAfterSeconds) },
    });
  }

  private limitOf(action: RateLimitedAction): number {
    if (action === 'login') return this.config.login;
    if (action === 'write') return this.config.writes;
    return this.config.failedApiTokens;
  }

  /** Counts in the limiter, or in this process's memory while the limiter fails. */
  private async hit(key: string, limit: number, weight: number): Promise<RateLimitDecision> {
    let decision: RateLimitDecision;
    try {
      decision = await this.limiter.hit(key, limit, this.config.windowMs, weight);
    } catch (error) {
      if (!this.fallingBack) {
        this.fallingBack = true;
        this.options.logger?.warn({ err: error }, 'rate limiter unavailable; counting limits in this process until it answers again');
        this.options.onFallback?.('started');
      }
      this.options.onFallback?.('counted');
      return this.fallback.hit(key, limit, this.config.windowMs, weight);
    }
    if (this.fallingBack) {
      this.fallingBack = false;
      await this.fallback.close();
      this.options.logger?.info('rate limiter answers again; shared limits restored');
      this.options.onFallback?.('ended');
    }
    return decision;
  }
}
