/** What the client's calls take besides their arguments: cancellation, retries, headers, idempotency keys, pages. */
import type { Retries } from './retries.js';

/** What every call takes. */
export interface CallOptions {
  signal?: AbortSignal;
  /** This call's retries, over the client's. */
  retries?: Retries;
  /** Sent with this request, over the client's. */
  headers?: Record<string, string>;
}

/** What a write takes. */
export interface WriteOptions extends CallOptions {
  /**
   * The `Idempotency-Key` (1 to 255 visible ASCII characters); a random UUID per call
   * by default. Pass your own to make a write retry-safe across your own restarts:
   * the same key with the same request gets the first answer again.
   */
  idempotencyKey?: string;
}

export interface CreateSSOTokenOptions extends WriteOptions {
  /** A same-origin path the login URL redirects to (default "/"). */
  redirectTo?: string;
  /** True for a link sent by email or chat: the login URL shows a "Continue" page first. Left out: the group's setting. */
  requireConfirmation?: boolean;
}

export interface PageOptions {
  first?: number;
  after?: string;
}

export interface EventsOptions extends PageOptions {
  /** Only events of these types (e.g. `user.created`). */
  types?: string[];
  /** ISO-8601: only events that occurred at or after it. */
  since?: string;
}
