/**
 * The node:http server around the app: timeouts against slow clients, and an
 * InvalidInput envelope (not Node's bare 400/431) for a request so malformed that
 * it never reaches the app. Creating it listens on nothing.
 */
import { createServer, type Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { envelopeOf } from '../errors/catalog.ts';
import type { App } from './app.ts';

export function createHttpServer(app: Pick<App, 'handle'>): Server {
  const server = createServer(
    {
      // Slowloris: a client gets this long to send its headers, and its whole request.
      headersTimeout: 10_000,
      requestTimeout: 30_000,
      // No Host (HTTP/1.0, or a bare client) is a request on no group, answered by the
      // app; Node would otherwise send its own empty 400.
      requireHostHeader: false,
    },
    app.handle,
  );
  server.keepAliveTimeout = 5_000;
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Duplex) => answerClientError(error, socket));
  return server;
}

function answerClientError(error: NodeJS.ErrnoException, socket: Duplex): void {
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
  const body = JSON.stringify({ errors: [{ message: reason, extensions: { code: envelope.code, error: envelope } }] });
  socket.end(
    `HTTP/1.1 ${envelope.status} Bad Request\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
