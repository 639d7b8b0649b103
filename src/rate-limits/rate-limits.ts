/**
 * What is rate-limited, per whom, and how a caller over a limit is answered:
 * TooManyRequests (429) with `Retry-After`. Counting is the limiter's job; if the
 * limiter fails (Redis unreachable), requests go through and the failure is logged:
 * a broken limiter must not take the API down with it.
 */
import type { Config, RateLimitConfig } from '../config/config.ts';
import { type DomainError, Errors } from '../errors/domain-error.ts';
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
  /** Where a failing limiter is reported (at most once a minute). */
  logger?: Pick<Logger, 'error'>;
  /** Called for each request refused over a limit (the metrics count them). */
  onRefused?: (action: RateLimitedAction) => void;
}

const LOG_EVERY_MS = 60_000;

/** The configured limiter: Redis when RATE_LIMIT_REDIS_URL is set, else this process's memory. */
export function openRateLimiter(config: Config): RateLimiter {
  const { redisUrl, redisPrefix } = config.rateLimits;
  return redisUrl ? new RedisRateLimiter({ url: redisUrl, prefix: redisPrefix }) : new MemoryRateLimiter();
}

export class RateLimits {
  private lastLoggedAt = 0;

  constructor(
    private readonly limiter: RateLimiter,
    private readonly config: RateLimitConfig,
    private readonly options: RateLimitsOptions = {},
  ) {}

  /** Counts `weight` of `action` by `subject` (a batch counts each item); throws TooManyRequests when that goes over the limit. */
  async consume(action: RateLimitedAction, subject: string, weight = 1): Promise<void> {
    const limit = this.limitOf(action);
    if (limit === 0) return;
    const decision = await this.decide(() => this.limiter.hit(`${action}:${subject}`, limit, this.config.windowMs, weight));
    if (decision && !decision.allowed) throw this.refuse(action, decision);
  }

  close(): Promise<void> {
    return this.limiter.close();
  }

  private refuse(action: RateLimitedAction, decision: RateLimitDecision): DomainError {
    this.options.onRefused?.(action);
    return tooManyRequests(action, decision);
  }

  private limitOf(action: RateLimitedAction): number {
    if (action === 'login') return this.config.login;
    if (action === 'write') return this.config.writes;
    return this.config.failedApiTokens;
  }

  private async decide(ask: () => Promise<RateLimitDecision>): Promise<RateLimitDecision | null> {
    try {
      return await ask();
    } catch (error) {
      const now = Date.now();
      const { logger } = this.options;
      if (logger && now - this.lastLoggedAt >= LOG_EVERY_MS) {
        this.lastLoggedAt = now;
        logger.error({ err: error }, 'rate limiter unavailable; requests are not being limited');
      }
      return null;
    }
  }
}

function tooManyRequests(action: RateLimitedAction, decision: RateLimitDecision): DomainError {
  return new Errors.TooManyRequests({
    reason: `${action} limit reached`,
    headers: { 'retry-after': String(decision.retryAfterSeconds) },
  });
}
