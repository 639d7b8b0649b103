/** The failures a call ends in when it has no result to return: each is thrown, never returned. */
import type { ErrorCode } from './generated/graphql.js';

/** The envelope of every error the API answers with: a catalog code, its HTTP status and its fixed message. */
export interface ErrorEnvelope {
  status: number;
  code: ErrorCode;
  message: string;
}

/** One entry of a GraphQL response's `errors`, as the server sends it. */
export interface GraphQLErrorJson {
  message: string;
  path?: ReadonlyArray<string | number>;
  extensions?: { code?: string; error?: ErrorEnvelope; field?: string; [key: string]: unknown };
}

/**
 * A transport-level failure (API.md §4): the request itself was refused (no or a bad
 * API token, the wrong domain, a document or variable the server would not take, a
 * rate limit, a key in use, an unexpected server error). The response's `errors[0]`
 * carried the envelope in `extensions.error`; `message` is the envelope's message.
 */
export class TeamApiError extends Error implements ErrorEnvelope {
  override readonly name = 'TeamApiError';
  readonly status: number;
  readonly code: ErrorCode;
  /** The input that failed, when the server names one (`InvalidInput`: e.g. "first", "after", "Idempotency-Key"). */
  readonly field: string | null;
  /** What was wrong in the server's words (`errors[0].message`, e.g. a syntax error); `message` stays the catalog's. */
  readonly detail: string;
  /** The response's `X-Request-Id`: the server logged the request, and recorded its events, under it. */
  readonly requestId: string | null;
  /** The response's `Retry-After`, in seconds (TooManyRequests, IdempotencyKeyInUse). */
  readonly retryAfterSeconds: number | null;
  /** How many times the request was sent, retries included. */
  readonly attempts: number;
  /** Every error of the response, as sent. */
  readonly errors: readonly GraphQLErrorJson[];

  constructor(
    envelope: ErrorEnvelope,
    details: {
      field: string | null;
      detail: string;
      requestId: string | null;
      retryAfterSeconds: number | null;
      attempts: number;
      errors: readonly GraphQLErrorJson[];
    },
  ) {
    super(envelope.message);
    this.status = envelope.status;
    this.code = envelope.code;
    this.field = details.field;
    this.detail = details.detail;
    this.requestId = details.requestId;
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.attempts = details.attempts;
    this.errors = details.errors;
  }

  /** The envelope alone, `{ status, code, message }`, as the REST routes send it. */
  get envelope(): ErrorEnvelope {
    return { status: this.status, code: this.code, message: this.message };
  }
}

/**
 * No answer: the connection could not be made or broke, or an attempt ran over its
 * time limit. A write may or may not have happened; a keyed write (see the README)
 * was retried with its key, so this is thrown only once the attempts ran out.
 */
export class TeamApiNetworkError extends Error {
  override readonly name = 'TeamApiNetworkError';
  /** True when the last attempt ran over `timeoutMs`. */
  readonly timedOut: boolean;
  readonly attempts: number;

  constructor(cause: unknown, details: { timedOut: boolean; attempts: number }) {
    super(details.timedOut ? 'The Team API did not answer in time' : `The Team API could not be reached: ${describe(cause)}`, {
      cause,
    });
    this.timedOut = details.timedOut;
    this.attempts = details.attempts;
  }
}

/**
 * An answer that is not a GraphQL response of this API: not JSON, no `data`, or
 * errors without the envelope (a proxy's error page, a different service at the URL).
 */
export class TeamApiResponseError extends Error {
  override readonly name = 'TeamApiResponseError';
  /** The HTTP status of the answer. */
  readonly httpStatus: number;
  readonly requestId: string | null;
  /** The start of the body, for diagnosis. */
  readonly body: string;
  readonly retryAfterSeconds: number | null;
  readonly attempts: number;

  constructor(
    reason: string,
    details: { httpStatus: number; requestId: string | null; body: string; retryAfterSeconds: number | null; attempts: number },
  ) {
    super(`Unexpected answer from the Team API (HTTP ${details.httpStatus}): ${reason}`);
    this.httpStatus = details.httpStatus;
    this.requestId = details.requestId;
    this.body = details.body.slice(0, 500);
    this.retryAfterSeconds = details.retryAfterSeconds;
    this.attempts = details.attempts;
  }
}

/** What a call can throw, besides an abort of the caller's own signal. */
export type TeamApiFailure = TeamApiError | TeamApiNetworkError | TeamApiResponseError;

function describe(cause: unknown): string {
  if (!(cause instanceof Error)) return String(cause);
  const inner = (cause as { cause?: unknown }).cause;
  const code = inner instanceof Error ? (inner as { code?: unknown }).code : undefined;
  return typeof code === 'string' ? `${cause.message} (${code})` : cause.message;
}
