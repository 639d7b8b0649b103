/**
 * The pipeline's two entry points, kept thin: an Exchange from a node:http request
 * or from a fetch Request, and a Reply written back to node:http or made a fetch
 * Response. Both read the body the same way: at most `maxBytes`, refused unread
 * when the declared length is over.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeUtf8, type Exchange, type HeaderReader, type Reply, splitTarget, UNKNOWN_ADDRESS } from '../requests/exchange.ts';

/** How much body an exchange reads, and the error when there is more. */
export interface BodyLimit {
  maxBytes: number;
  tooLarge(): Error;
}

function declaredTooLarge(declared: string | null | undefined, limit: BodyLimit): boolean {
  return declared != null && (!/^\s*\d+\s*$/.test(declared) || Number(declared) > limit.maxBytes);
}

/** An exchange built lazily around its body: `read` runs once, on first use. */
abstract class LazyBody {
  private body: Promise<Uint8Array> | null = null;
  private decoded: Promise<string> | null = null;
  protected abstract read(): Promise<Uint8Array>;
  bytes(): Promise<Uint8Array> {
    return (this.body ??= this.read());
  }
  text(): Promise<string> {
    return (this.decoded ??= this.bytes().then(decodeUtf8));
  }
}

/** A node:http request as an Exchange: a class, so a request costs one object and no closures. */
export class NodeExchange extends LazyBody implements Exchange, HeaderReader {
  readonly method: string;
  readonly target: string;
  readonly pathname: string;
  readonly socketAddress: string;
  readonly headers = this;

  constructor(
    private readonly req: IncomingMessage,
    private readonly limit: BodyLimit,
  ) {
    super();
    this.method = req.method ?? 'GET';
    ({ target: this.target, pathname: this.pathname } = splitTarget(req.url ?? '/'));
    this.socketAddress = req.socket.remoteAddress ?? UNKNOWN_ADDRESS;
  }

  get(name: string): string | null {
    const value = this.req.headers[name];
    return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
  }

  headerNames(): string[] {
    return Object.keys(this.req.headers);
  }

  protected read(): Promise<Uint8Array> {
    const { req, limit } = this;
    return new Promise<Uint8Array>((resolve, reject) => {
      if (declaredTooLarge(req.headers['content-length'], limit)) {
        req.resume();
        reject(limit.tooLarge());
        return;
      }
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > limit.maxBytes) {
          req.removeAllListeners('data');
          req.resume();
          reject(limit.tooLarge());
          return;
        }
        chunks.push(chunk);
      });
      req.once('end', () => resolve(chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks)));
      req.once('error', reject);
    });
  }
}

/** An exchange over a fetch Request (tests, and any fetch-style host). */
export class FetchExchange extends LazyBody implements Exchange {
  readonly method: string;
  readonly target: string;
  readonly pathname: string;
  readonly headers: Headers;
  readonly socketAddress = UNKNOWN_ADDRESS;

  constructor(
    private readonly request: Request,
    private readonly limit: BodyLimit,
  ) {
    super();
    const url = new URL(request.url);
    this.method = request.method;
    this.target = url.pathname + url.search;
    this.pathname = url.pathname;
    this.headers = request.headers;
  }

  headerNames(): string[] {
    return [...this.request.headers.keys()];
  }

  protected async read(): Promise<Uint8Array> {
    const { request, limit } = this;
    if (declaredTooLarge(request.headers.get('content-length'), limit)) throw limit.tooLarge();
    if (!request.body) return new Uint8Array(0);
    const chunks: Uint8Array[] = [];
    let size = 0;
    const reader = request.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
      size += value.byteLength;
      if (size > limit.maxBytes) {
        reader.releaseLock();
        throw limit.tooLarge();
      }
      chunks.push(value);
    }
  }
}

/** Writes the reply; its length is the body's own (a 204 or 304 has no body, and so no length). */
export function writeReply(res: ServerResponse, answer: Reply): void {
  const { headers, status } = answer;
  const body = status === 204 || status === 304 ? null : (answer.body ?? '');
  if (body === null) delete headers['content-length'];
  else headers['content-length'] = String(typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength);
  res.writeHead(status, headers);
  res.end(body ?? undefined);
}

export function toResponse(answer: Reply): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  // A 1xx/204/304 answer, or one to HEAD, carries no body.
  const body = answer.status === 204 || answer.status === 304 ? null : answer.body;
  return new Response(body as BodyInit | null, { status: answer.status, headers });
}
