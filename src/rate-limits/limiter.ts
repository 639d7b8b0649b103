/**
 * Rate limiters: fixed-window counters behind one small interface, so the policy
 * (what is limited, per whom) does not care where the counts live. In memory for
 * one process; in Redis (redis-limiter.ts) when several instances share the limits.
 */

export interface RateLimitDecision {
  /** Whether the event counted (or, for `peek`, the next one) is within the limit. */
  allowed: boolean;
  /** Events counted in the current window. */
  count: number;
  /** Whole seconds until the window ends (at least 1): the `Retry-After` value. */
  retryAfterSeconds: number;
}

export interface RateLimiter {
  /** Counts `weight` events (1 by default) under `key`; allowed while the window's count is at most `limit`. */
  hit(key: string, limit: number, windowMs: number, weight?: number): Promise<RateLimitDecision>;
  /** What the window holds, counting nothing; not allowed once `limit` events are counted. */
  peek(key: string, limit: number, windowMs: number): Promise<RateLimitDecision>;
  close(): Promise<void>;
}

export function retryAfterSeconds(remainingMs: number): number {
  return Math.max(1, Math.ceil(remainingMs / 1000));
}

interface Window {
  count: number;
  endsAt: number;
}

/**
 * Counters in this process's memory. Memory is bounded: a window that has ended is
 * dropped when next seen, and past `maxKeys` the windows that started first go.
 * A window is re-inserted when it restarts, so the Map's order is start order.
 */
export class MemoryRateLimiter implements RateLimiter {
  private readonly windows = new Map<string, Window>();
  private readonly maxKeys: number;
  private readonly now: () => number;

  constructor(options: { maxKeys?: number; now?: () => number } = {}) {
    this.maxKeys = options.maxKeys ?? 100_000;
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.windows.size;
  }

  async hit(key: string, limit: number, windowMs: number, weight = 1): Promise<RateLimitDecision> {
    const now = this.now();
    let window = this.live(key, now);
    if (!window) {
      this.makeRoom(now);
      window = { count: 0, endsAt: now + windowMs };
      this.windows.set(key, window);
    }
    window.count += weight;
    return { allowed: window.count <= limit, count: window.count, retryAfterSeconds: retryAfterSeconds(window.endsAt - now) };
  }

  async peek(key: string, limit: number, windowMs: number): Promise<RateLimitDecision> {
    const now = this.now();
    const window = this.live(key, now);
    if (!window) return { allowed: limit > 0, count: 0, retryAfterSeconds: retryAfterSeconds(windowMs) };
    return { allowed: window.count < limit, count: window.count, retryAfterSeconds: retryAfterSeconds(window.endsAt - now) };
  }

  async close(): Promise<void> {
    this.windows.clear();
  }

  private live(key: string, now: number): Window | null {
    const window = this.windows.get(key);
    if (!window) return null;
    if (window.endsAt > now) return window;
    this.windows.delete(key);
    return null;
  }

  private makeRoom(now: number): void {
    for (const [key, window] of this.windows) {
      if (this.windows.size < this.maxKeys && window.endsAt > now) return;
      // Ended windows at the front go for free; live ones only while over the bound.
      this.windows.delete(key);
    }
  }
}
