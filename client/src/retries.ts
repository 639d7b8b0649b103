/**
 * When a failed attempt is sent again, and after how long. Only what cannot do
 * harm is retried: a read; a write the server deduplicates by its Idempotency-Key;
 * and any request the server refused before running it (TooManyRequests) or that
 * never reached it (connection refused).
 */
import { type TeamApiFailure, TeamApiError, TeamApiNetworkError, TeamApiResponseError } from './errors.js';

export interface RetryOptions {
  /** Attempts in all, the first one included (default 5); 1 sends once. */
  attempts?: number;
  /** The wait before the first retry (default 250 ms), doubled for each next one, with jitter. */
  baseDelayMs?: number;
  /**
   * The longest wait before a retry (default 30 s). A `Retry-After` longer than
   * this ends the retries at once: the error is thrown, with `retryAfterSeconds`.
   */
  maxDelayMs?: number;
}

/** `false` sends once; a number is `{ attempts }`. */
export type Retries = RetryOptions | number | false;

export const DEFAULT_RETRIES: Required<RetryOptions> = { attempts: 5, baseDelayMs: 250, maxDelayMs: 30_000 };

export function retryOptions(...layers: Array<Retries | undefined>): Required<RetryOptions> {
  let resolved = { ...DEFAULT_RETRIES };
  for (const layer of layers) {
    if (layer === undefined) continue;
    if (layer === false) resolved = { ...resolved, attempts: 1 };
    else if (typeof layer === 'number') resolved = { ...resolved, attempts: layer };
    else resolved = { ...resolved, ...definedOnly(layer) };
  }
  if (!Number.isInteger(resolved.attempts) || resolved.attempts < 1) throw new RangeError('retries.attempts must be an integer of at least 1');
  return resolved;
}

function definedOnly(options: RetryOptions): RetryOptions {
  return Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
}

/**
 * How a request may be retried:
 * - `read`: a query, which changes nothing;
 * - `keyed`: a write the server runs once per Idempotency-Key (createUser,
 *   createUsers, createSSOToken, removeMember, createWebhookEndpoint,
 *   deleteWebhookEndpoint, sent with an API token);
 * - `write`: any other write: sent again only when it surely did not run.
 */
export type RetryClass = 'read' | 'keyed' | 'write';

export function isRetryable(failure: TeamApiFailure, retryClass: RetryClass): boolean {
  if (failure instanceof TeamApiError) {
    if (failure.code === 'TooManyRequests') return true;
    if (retryClass === 'write') return false;
    return failure.status >= 500 || (retryClass === 'keyed' && failure.code === 'IdempotencyKeyInUse');
  }
  if (failure instanceof TeamApiResponseError) {
    if (failure.httpStatus === 429) return true;
    return retryClass !== 'write' && failure.httpStatus >= 500;
  }
  if (failure instanceof TeamApiNetworkError) return retryClass !== 'write' || connectionRefused(failure.cause);
  return false;
}

/** The request never reached a server: nothing can have run. */
function connectionRefused(error: unknown): boolean {
  for (let current = error, depth = 0; current instanceof Error && depth < 4; depth++) {
    if ((current as { code?: unknown }).code === 'ECONNREFUSED') return true;
    const errors = (current as { errors?: unknown }).errors;
    if (Array.isArray(errors) && errors.length > 0 && errors.every((e) => (e as { code?: unknown })?.code === 'ECONNREFUSED')) return true;
    current = (current as { cause?: unknown }).cause;
  }
  return false;
}

/**
 * The wait before retry number `retry` (1 for the first): exponential backoff with
 * jitter (between half and all of `baseDelayMs · 2^(retry-1)`, at most `maxDelayMs`),
 * and never less than the server's `Retry-After`. Null when the server asks for
 * longer than `maxDelayMs`: then there is no retry.
 */
export function retryDelayMs(
  retry: number,
  options: Required<RetryOptions>,
  retryAfterSeconds: number | null,
  random: () => number = Math.random,
): number | null {
  const ceiling = Math.min(options.maxDelayMs, options.baseDelayMs * 2 ** (retry - 1));
  const backoff = ceiling / 2 + (random() * ceiling) / 2;
  if (retryAfterSeconds === null) return Math.round(backoff);
  const asked = retryAfterSeconds * 1000;
  if (asked > options.maxDelayMs) return null;
  return Math.round(Math.max(asked, backoff));
}

/** `Retry-After` in seconds: delay-seconds, or an HTTP date. */
export function parseRetryAfter(value: string | null, now: number = Date.now()): number | null {
  if (value === null || value.trim() === '') return null;
  if (/^\d+$/.test(value.trim())) return Number(value.trim());
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, Math.ceil((at - now) / 1000));
}

/** Waits `ms`, or rejects with the signal's reason when it aborts first. */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) {
      reject(signal.reason);
      return;
    }
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal!.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
