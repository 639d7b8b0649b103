/**
 * What one request leaves behind for the operator: its request id, and when it is
 * answered, one log line and its metrics. A `RequestTrace` is made as the request
 * arrives and travels with it (on the request context); the layers note on it what
 * only they know (the GraphQL operation name, the first error code, an unexpected
 * error), and `RequestObserver.finish` writes it out once.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming X-Request-Id is kept when it is 1–128 of these; anything else is replaced. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** The request's id: a valid incoming one (so a proxy's id follows the request), else a fresh UUID. */
export function requestIdFrom(incoming: string | null): string {
  return incoming !== null && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
}

/** A GraphQL name (operation names are ones): anything else a client sends is not logged. */
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,127}$/;
const MAX_LOGGED_PATH = 256;

export class RequestTrace {
  /** The metrics route label (graphql, a REST path, page, health, ready, other). */
  route = 'other';
  operationName: string | null = null;
  /** Code of the first transport error (GraphQL `errors[]`, or a REST or page refusal). */
  errorCode: string | null = null;
  /** Code of the first error union member among the GraphQL root fields' results. */
  resultCode: string | null = null;
  /** The first unexpected error (masked to InternalError, or the cause of a storage failure). */
  unexpected: unknown = undefined;

  constructor(
    readonly observer: RequestObserver,
    readonly requestId: string,
    readonly method: string,
    /** The path without its query string (the login URL carries a token there). */
    readonly path: string,
    readonly startedAt: number,
  ) {}

  /** The client's operationName, when it is a GraphQL name. */
  noteOperationName(name: unknown): void {
    if (this.operationName === null && typeof name === 'string' && GRAPHQL_NAME.test(name)) this.operationName = name;
  }

  noteErrorCode(code: string): void {
    this.errorCode ??= code;
  }

  noteUnexpected(error: unknown): void {
    if (this.unexpected === undefined) this.unexpected = error;
  }

  /**
   * A root field's result. `typename` is a schema type name ('' when null or raised),
   * `code` a catalog code ('' on success).
   */
  noteFieldResult(field: string, typename: string, code: string): void {
    if (code !== '' && typename !== '') this.resultCode ??= code;
    this.observer.metrics?.countFieldResult(field, typename, code);
  }
}

export class RequestObserver {
  /** Whether request lines are written at all (LOG_LEVEL at info or below): decided once. */
  private readonly logsRequests: boolean;

  constructor(
    readonly logger: Logger,
    readonly metrics: Metrics | null,
  ) {
    this.logsRequests = logger.isLevelEnabled('info');
  }

  start(incomingRequestId: string | null, method: string, path: string): RequestTrace {
    return new RequestTrace(this, requestIdFrom(incomingRequestId), method, path, performance.now());
  }

  /** The request was answered with `status`: one log line, and its metrics. */
  finish(trace: RequestTrace, status: number): void {
    const ms = performance.now() - trace.startedAt;
    this.metrics?.observeRequest(trace.route, status, ms / 1000);
    if (trace.unexpected === undefined && !this.logsRequests) return;
    const line = {
      requestId: trace.requestId,
      method: trace.method,
      path: trace.path.length > MAX_LOGGED_PATH ? `${trace.path.slice(0, MAX_LOGGED_PATH)}…` : trace.path,
      status,
      ms: Math.round(ms * 1000) / 1000,
      operationName: trace.operationName ?? undefined,
      code: trace.errorCode ?? trace.resultCode ?? undefined,
    };
    // An unexpected error is logged once, here, with its request: the line itself is at error.
    if (trace.unexpected !== undefined) this.logger.error({ ...line, err: trace.unexpected }, 'request failed unexpectedly');
    else this.logger.info(line, 'request');
  }

  /** A request Node refused before it reached the app (not HTTP, headers too large): logged and counted under a fresh id. */
  refusedByNode(code: string): string {
    const trace = this.start(null, '', '');
    trace.noteErrorCode(code);
    this.finish(trace, 400);
    return trace.requestId;
  }
}
