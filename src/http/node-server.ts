/**
 * The node:http server around the app: timeouts against slow clients, an
 * InvalidInput envelope (not Node's bare 400/431) for a request so malformed that
 * it never reaches the app, and the graceful close of a shutdown. Creating it
 * listens on nothing.
 */
import { createServer, type Server } from 'node:http';
import { Server as NetServer } from 'node:net';
import type { Duplex } from 'node:stream';
import { envelopeOf } from '../errors/catalog.ts';
import type { App } from './app.ts';

/** The defaults of HTTP_HEADERS_TIMEOUT_SECONDS and HTTP_REQUEST_TIMEOUT_SECONDS. */
const DEFAULT_TIMEOUTS = { headersMs: 10_000, requestMs: 30_000 };

export function createHttpServer(
  app: Pick<App, 'handle' | 'refusedByNode'>,
  timeouts: { headersMs: number; requestMs: number } = DEFAULT_TIMEOUTS,
): Server {
  const server = createServer(
    {
      // Slowloris: a client gets this long to send its headers, and its whole request
      // (a body trickled in a byte at a time included); then it gets the InvalidInput envelope and is closed.
      headersTimeout: timeouts.headersMs,
      requestTimeout: timeouts.requestMs,
      // How often Node looks for connections past those times (its default, 30 s, would let them run on).
      connectionsCheckingInterval: Math.min(1_000, timeouts.headersMs),
      // No Host (HTTP/1.0, or a bare client) is a request on no group, answered by the
      // app; Node would otherwise send its own empty 400.
      requireHostHeader: false,
    },
    app.handle,
  );
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket, app));
  return server;
}

function answerClientError(error: NodeJS.ErrnoException, socket: Duplex, app: Pick<App, 'refusedByNode'>): void {
  if (!socket.writable || error.code === 'ECONNRESET') {
    socket.destroy();
    return;
  }
  const reason =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? 'The request headers are too large.'
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? 'The request took too long to arrive.'
        : 'The request is not valid HTTP.';
  const envelope = envelopeOf('InvalidInput');
  // Nothing of the request can be trusted, its X-Request-Id included: it gets an id of its own.
  const requestId = app.refusedByNode(envelope.code);
  const body = JSON.stringify({ errors: [{ message: reason, extensions: { code: envelope.code, error: envelope } }] });
  socket.end(
    `HTTP/1.1 ${envelope.status} Bad Request\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      `X-Request-Id: ${requestId}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}

/** How often, while draining, connections that sit idle between requests are closed. */
const IDLE_SWEEP_MS = 100;

/**
 * Stops taking connections and resolves once every open one has ended: requests
 * in flight are answered (the app marks each answer `Connection: close` once its
 * shutdown has begun), and idle keep-alive connections are closed. After
 * `timeoutMs` the connections still open are cut; `forced` says so.
 */
export function drainHttpServer(server: Server, timeoutMs: number): Promise<{ forced: boolean }> {
  return new Promise((resolve) => {
    let forced = false;
    // net.Server's close, not http.Server's: that one also destroys idle keep-alive
    // connections at once, and a connection that looks idle may hold a request the
    // client sent before the signal that Node has not read yet: it would be reset.
    NetServer.prototype.close.call(server, () => {
      clearInterval(sweeper);
      clearTimeout(deadline);
      resolve({ forced });
    });
    // Later, and from setImmediate (after the event loop's poll has read whatever had
    // arrived), a connection still idle holds no request: close it.
    const sweeper = setInterval(() => setImmediate(() => server.closeIdleConnections()), IDLE_SWEEP_MS);
    const deadline = setTimeout(() => {
      forced = true;
      server.closeAllConnections();
    }, timeoutMs);
  });
}
