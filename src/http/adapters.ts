/**
 * The pipeline's two entry points, kept thin: an Exchange from a node:http request
 * or from a fetch Request, and a Reply written back to node:http or made a fetch
 * Response. Both read the body the same way: at most `maxBytes`, refused unread
 * when the declared length is over.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { decodeUtf8, type Exchange, type Reply, splitTarget, UNKNOWN_ADDRESS } from '../requests/exchange.ts';

/** How much body an exchange reads, and the error when there is more. */
export interface BodyLimit {
  maxBytes: number;
  tooLarge(): Error;
}

function declaredTooLarge(declared: string | null | undefined, limit: BodyLimit): boolean {
  return declared != null && (!/^\s*\d+\s*$/.test(declared) || Number(declared) > limit.maxBytes);
}

/** An exchange built lazily around its body: `read` runs once, on first use. */
function exchangeOf(fields: Omit<Exchange, 'bytes' | 'text'>, read: () => Promise<Uint8Array>): Exchange {
  let bytes: Promise<Uint8Array> | null = null;
  let text: Promise<string> | null = null;
  const exchange: Exchange = {
    ...fields,
    bytes: () => (bytes ??= read()),
    text: () => (text ??= exchange.bytes().then(decodeUtf8)),
  };
  return exchange;
}

export function fromNode(req: IncomingMessage, limit: BodyLimit): Exchange {
  return exchangeOf(
    {
      method: req.method ?? 'GET',
      ...splitTarget(req.url ?? '/'),
      headers: {
        get(name) {
          const value = req.headers[name];
          return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
        },
      },
      socketAddress: req.socket.remoteAddress ?? UNKNOWN_ADDRESS,
      headerNames: () => Object.keys(req.headers),
    },
    () =>
      new Promise<Uint8Array>((resolve, reject) => {
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
      }),
  );
}

/** An exchange over a fetch Request (tests, and any fetch-style host). */
export function fromFetch(request: Request, limit: BodyLimit): Exchange {
  const url = new URL(request.url);
  const target = url.pathname + url.search;
  return exchangeOf(
    {
      method: request.method,
      target,
      pathname: url.pathname,
      headers: request.headers,
      socketAddress: UNKNOWN_ADDRESS,
      headerNames: () => [...request.headers.keys()],
    },
    async () => {
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
    },
  );
}

export function writeReply(res: ServerResponse, answer: Reply): void {
  const { 'content-length': _declared, ...headers } = answer.headers;
  // A 204 or 304 has no body, and so no length.
  if (answer.status === 204 || answer.status === 304) {
    res.writeHead(answer.status, headers);
    res.end();
    return;
  }
  const body = answer.body ?? '';
  res.writeHead(answer.status, { ...headers, 'content-length': typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength });
  res.end(body);
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
