/** Sending one GraphQL operation: its headers, its attempts, and reading the answer into data or a thrown failure. */
import type { DocumentTypeDecoration } from '@graphql-typed-document-node/core';
import { type ErrorEnvelope, type GraphQLErrorJson, type TeamApiFailure, TeamApiError, TeamApiNetworkError, TeamApiResponseError } from './errors.js';
import { isRetryable, parseRetryAfter, type RetryClass, type RetryOptions, retryDelayMs, sleep } from './retries.js';

/** The `fetch` the client calls: the platform's, or one of the caller's (a proxy agent, a test double, a logger). */
export type Fetch = (input: string, init: RequestInit) => Promise<Response>;

/** Told before each retry: what failed, and how long the client waits before the next attempt. */
export interface RetryEvent {
  operationName: string;
  /** The attempt that failed (1 for the first). */
  attempt: number;
  delayMs: number;
  failure: TeamApiFailure;
  /** The key the retry is sent with, for a write. */
  idempotencyKey: string | null;
}

/** Told of each answered call. */
export interface ResponseEvent {
  operationName: string;
  /** The response's `X-Request-Id`. */
  requestId: string | null;
  /** True when the server answered a keyed write from what it remembered (`Idempotent-Replayed: true`). */
  replayed: boolean;
  attempts: number;
  idempotencyKey: string | null;
}

export interface Transport {
  url: string;
  fetch: Fetch;
  headers: Record<string, string>;
  credentials: RequestCredentials | undefined;
  timeoutMs: number;
  onRetry: ((event: RetryEvent) => void) | undefined;
  onResponse: ((event: ResponseEvent) => void) | undefined;
}

export interface Operation<TResult, TVariables> {
  document: DocumentTypeDecoration<TResult, TVariables>;
  variables: TVariables;
  retryClass: RetryClass;
  retries: Required<RetryOptions>;
  /** Sent as `Idempotency-Key` with every attempt: writes only. */
  idempotencyKey: string | null;
  headers: Record<string, string> | undefined;
  signal: AbortSignal | undefined;
}

/** Sends `operation` until it is answered, a failure may not be retried, or the attempts run out. */
export async function send<TResult, TVariables>(transport: Transport, operation: Operation<TResult, TVariables>): Promise<TResult> {
  const query = String(operation.document);
  const operationName = operationNameOf(query);
  // One body for every attempt: the server matches a retry to its key by it, byte for byte.
  const body = JSON.stringify({ query, variables: operation.variables, operationName });
  const headers: Record<string, string> = {
    ...lowerCased(transport.headers),
    ...lowerCased(operation.headers ?? {}),
    'content-type': 'application/json',
    accept: 'application/json',
  };
  if (operation.idempotencyKey !== null) headers['idempotency-key'] = operation.idempotencyKey;

  for (let attempt = 1; ; attempt++) {
    const outcome = await attemptOnce(transport, { body, headers, signal: operation.signal, attempt });
    if (outcome.ok) {
      transport.onResponse?.({
        operationName,
        requestId: outcome.requestId,
        replayed: outcome.replayed,
        attempts: attempt,
        idempotencyKey: operation.idempotencyKey,
      });
      return outcome.data as TResult;
    }
    const { failure } = outcome;
    if (attempt >= operation.retries.attempts || !isRetryable(failure, operation.retryClass)) throw failure;
    const delayMs = retryDelayMs(attempt, operation.retries, 'retryAfterSeconds' in failure ? failure.retryAfterSeconds : null);
    if (delayMs === null) throw failure;
    transport.onRetry?.({ operationName, attempt, delayMs, failure, idempotencyKey: operation.idempotencyKey });
    await sleep(delayMs, operation.signal);
  }
}

type AttemptOutcome =
  | { ok: true; data: unknown; requestId: string | null; replayed: boolean }
  | { ok: false; failure: TeamApiFailure };

async function attemptOnce(
  transport: Transport,
  request: { body: string; headers: Record<string, string>; signal: AbortSignal | undefined; attempt: number },
): Promise<AttemptOutcome> {
  const { attempt } = request;
  const timeout = AbortSignal.timeout(transport.timeoutMs);
  const signal = request.signal ? AbortSignal.any([request.signal, timeout]) : timeout;
  let response: Response;
  let text: string;
  try {
    response = await transport.fetch(transport.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      signal,
      ...(transport.credentials ? { credentials: transport.credentials } : {}),
    });
    text = await response.text();
  } catch (error) {
    // The caller's own abort ends the call as it is; anything else is the network's.
    if (request.signal?.aborted) throw request.signal.reason;
    return { ok: false, failure: new TeamApiNetworkError(error, { timedOut: timeout.aborted, attempts: attempt }) };
  }

  const requestId = response.headers.get('x-request-id');
  const retryAfterSeconds = parseRetryAfter(response.headers.get('retry-after'));
  const unexpected = (reason: string) =>
    ({
      ok: false,
      failure: new TeamApiResponseError(reason, { httpStatus: response.status, requestId, body: text, retryAfterSeconds, attempts: attempt }),
    }) as const;

  let json: { data?: unknown; errors?: GraphQLErrorJson[] };
  try {
    json = JSON.parse(text);
  } catch {
    return unexpected('the body is not JSON');
  }
  if (typeof json !== 'object' || json === null) return unexpected('the body is not a GraphQL response');
  if (Array.isArray(json.errors) && json.errors.length > 0) {
    const first = json.errors[0]!;
    const envelope = first.extensions?.error;
    if (!isEnvelope(envelope)) return unexpected(`an error without the envelope: ${first.message}`);
    return {
      ok: false,
      failure: new TeamApiError(envelope, {
        field: typeof first.extensions?.field === 'string' ? first.extensions.field : null,
        detail: first.message,
        requestId,
        retryAfterSeconds,
        attempts: attempt,
        errors: json.errors,
      }),
    };
  }
  if (typeof json.data !== 'object' || json.data === null) return unexpected('no data and no errors');
  return { ok: true, data: json.data, requestId, replayed: response.headers.get('idempotent-replayed') === 'true' };
}

function isEnvelope(value: unknown): value is ErrorEnvelope {
  if (typeof value !== 'object' || value === null) return false;
  const { status, code, message } = value as Record<string, unknown>;
  return typeof status === 'number' && typeof code === 'string' && typeof message === 'string';
}

/** The name of the document's operation; each document of this client has exactly one, named. */
export function operationNameOf(query: string): string {
  const match = /\b(?:query|mutation|subscription)\s+([_A-Za-z][_0-9A-Za-z]*)/.exec(query);
  if (!match) throw new Error('a document of the client has no named operation');
  return match[1]!;
}

function lowerCased(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).map(([name, value]) => [name.toLowerCase(), value]));
}
