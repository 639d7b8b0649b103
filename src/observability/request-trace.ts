/**
 * What one request leaves behind for the operator: its request id, and when it is
 * answered, one log line and its metrics. A `RequestTrace` is made as the request
 * arrives and travels with it (on the request context); the layers note on it what
 * only they know (the GraphQL operation name, the first error code, an unexpected
 * error), and `RequestObserver.finish` writes it out once.
 */
import { randomUUID } from 'node:crypto';
import { pino } from 'pino';
import type { Logger } from './logger.ts';
import type { Metrics } from './metrics.ts';

export const REQUEST_ID_HEADER = 'x-request-id';

/** An incoming X-Request-Id is kept when it is 1–128 of these; anything else is replaced. */
const VALID_REQUEST_ID = /^[A-Za-z0-9._-]{1,128}$/;

/** A GraphQL name (operation names are ones): anything else a client sends is not logged. */
const GRAPHQL_NAME = /^[_A-Za-z][_0-9A-Za-z]{0,127}$/;
const MAX_LOGGED_PATH = 256;

function loggedPath(path: string): string {
  return path.length > MAX_LOGGED_PATH ? `${path.slice(0, MAX_LOGGED_PATH)}…` : path;
}

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

/** A string as a JSON string literal; most need no escaping, and are not run through JSON.stringify. */
function jsonString(text: string): string {
  return /^[\x20-\x21\x23-\x5b\x5d-\x7e]*$/.test(text) ? `"${text}"` : JSON.stringify(text);
}

export class RequestObserver {
  /** Whether request lines are written at all (LOG_LEVEL at info or below): decided once. */
  private readonly logsRequests: boolean;
  /** The logger's destination, and the start every request line shares after its time (the logger's bindings). */
  private readonly destination: { write(line: string): unknown };
  private readonly bindings: string;

  constructor(
    readonly logger: Logger,
    readonly metrics: Metrics | null,
  ) {
    this.logsRequests = logger.isLevelEnabled('info');
    const internals = logger as unknown as Record<symbol, unknown>;
    this.destination = internals[pino.symbols.streamSym] as { write(line: string): unknown };
    // What pino writes after the time of every line: `,"pid":…` and any child bindings.
    this.bindings = String(internals[pino.symbols.chindingsSym] ?? '');
  }

  start(incoming: string | null, method: string, path: string): RequestTrace {
    // A valid incoming id is kept, so a proxy's id follows the request.
    const requestId = incoming !== null && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
    return new RequestTrace(this, requestId, method, path, performance.now());
  }

  /** The request was answered with `status`: one log line, and its metrics. */
  finish(trace: RequestTrace, status: number): void {
    const ms = performance.now() - trace.startedAt;
    this.metrics?.observeRequest(trace.route, status, ms / 1000);
    if (trace.unexpected !== undefined) {
      // An unexpected error is logged once, here, with its request: the line itself is at error.
      const line = {
        requestId: trace.requestId,
        method: trace.method,
        path: loggedPath(trace.path),
        status,
        ms: Math.round(ms * 1000) / 1000,
        operationName: trace.operationName ?? undefined,
        code: trace.errorCode ?? trace.resultCode ?? undefined,
        err: trace.unexpected,
      };
      this.logger.error(line, 'request failed unexpectedly');
    } else if (this.logsRequests) {
      this.destination.write(this.requestLine(trace, status, ms));
    }
  }

  /**
   * The `info` line of a request, exactly as pino writes `logger.info(fields, 'request')`
   * (same keys, same order), built directly: this one line per request is the hot
   * path, and pino's general serializer cost several times more.
   */
  private requestLine(trace: RequestTrace, status: number, ms: number): string {
    const code = trace.errorCode ?? trace.resultCode;
    return (
      `{"level":"info","time":${Date.now()}${this.bindings},"requestId":${jsonString(trace.requestId)},` +
      `"method":${jsonString(trace.method)},"path":${jsonString(loggedPath(trace.path))},"status":${status},` +
      `"ms":${Math.round(ms * 1000) / 1000}` +
      (trace.operationName === null ? '' : `,"operationName":"${trace.operationName}"`) +
      (code === null ? '' : `,"code":${jsonString(code)}`) +
      ',"msg":"request"}\n'
    );
  }

  /** A request Node refused before it reached the app (not HTTP, headers too large): logged and counted under a fresh id. */
  refusedByNode(code: string): string {
    const trace = this.start(null, '', '');
    trace.noteErrorCode(code);
    this.finish(trace, 400);
    return trace.requestId;
  }
}
