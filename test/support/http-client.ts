/**
 * A bare HTTP client for tests that must send what fetch will not: any Host (or
 * none), any body bytes, a wrong Content-Length. Keep-alive, so hundreds of
 * requests reuse a few connections; a connection idle for a second is closed on
 * this side, well before the server's keep-alive timeout (5 s) closes it there, so a
 * test that waits (on a receiver, a child process) never writes into a socket the
 * server is closing ("socket hang up").
 */
import { Agent, request as httpRequest } from 'node:http';

export interface RawRequest {
  method: string;
  path: string;
  headers: Record<string, string>;
  body?: string | Buffer;
  /** Leave the Host header out entirely. */
  noHost?: boolean;
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

export class HttpClient {
  readonly agent: Agent;

  constructor(
    readonly port: number,
    maxSockets = 8,
  ) {
    this.agent = new Agent({ keepAlive: true, maxSockets, timeout: 1_000 });
  }

  send(req: RawRequest, timeoutMs = 15_000): Promise<RawResponse> {
    return new Promise((resolve, reject) => {
      const headers: Record<string, string> = { ...req.headers };
      if (req.body !== undefined && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) {
        headers['content-length'] = String(Buffer.byteLength(req.body));
      }
      const outgoing = httpRequest(
        {
          host: '127.0.0.1',
          port: this.port,
          agent: this.agent,
          method: req.method,
          path: req.path,
          headers,
          setHost: !req.noHost && !Object.keys(headers).some((h) => h.toLowerCase() === 'host'),
          timeout: timeoutMs,
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (chunk: Buffer) => chunks.push(chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, text: Buffer.concat(chunks).toString('utf8') }));
          res.on('error', reject);
        },
      );
      outgoing.on('timeout', () => outgoing.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      outgoing.on('error', reject);
      outgoing.end(req.body);
    });
  }

  close(): void {
    this.agent.destroy();
  }
}
