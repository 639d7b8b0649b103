/**
 * An HTTP exchange reduced to what our own handlers read (method, URL, headers,
 * the whole body as text) and what they answer (status, headers, body), built
 * straight from node:http or from a fetch Request. The hot routes run on this,
 * without the cost of a full fetch Request and Response per call.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Errors } from '../errors/domain-error.ts';
import { readAtMost } from './body-limit.ts';

export interface HeaderReader {
  get(name: string): string | null;
}

/** The media type of a request's Content-Type, lower-cased, without its parameters ('' when there is none). */
export function mediaTypeOf(headers: HeaderReader): string {
  return (headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}

export interface Exchange {
  method: string;
  /** Path and query, as sent (`/graphql?x=1`). */
  target: string;
  pathname: string;
  headers: HeaderReader;
  clientAddress: string;
  headerNames(): string[];
  /** The whole body as UTF-8, read once; InvalidInput when over the limit or not UTF-8. */
  text(): Promise<string>;
}

export interface Reply {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | null;
}

export function reply(status: number, body: string | null, headers: Record<string, string | string[]> = {}): Reply {
  return { status, headers, body };
}

/** How much body an exchange reads, and the error when there is more. */
export interface BodyLimit {
  maxBytes: number;
  tooLarge(): Error;
}

function decode(chunks: Uint8Array[]): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(chunks.length === 1 ? chunks[0] : Buffer.concat(chunks));
  } catch {
    throw new Errors.InvalidInput({ reason: 'the body is not UTF-8' });
  }
}

function pathOf(target: string): string {
  const query = target.indexOf('?');
  return query < 0 ? target : target.slice(0, query);
}

/** An exchange over a node:http request; the body is read (and limited) on first use. */
export function exchangeFromNode(req: IncomingMessage, limit: BodyLimit): Exchange {
  const target = req.url ?? '/';
  let body: Promise<string> | null = null;
  return {
    method: req.method ?? 'GET',
    target,
    pathname: pathOf(target),
    headers: {
      get(name) {
        const value = req.headers[name];
        return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
      },
    },
    clientAddress: req.socket.remoteAddress ?? 'unknown',
    headerNames: () => Object.keys(req.headers),
    text() {
      body ??= new Promise<string>((resolve, reject) => {
        if (Number(req.headers['content-length'] ?? 0) > limit.maxBytes) {
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
        req.once('end', () => {
          try {
            resolve(decode(chunks));
          } catch (error) {
            reject(error);
          }
        });
        req.once('error', reject);
      });
      return body;
    },
  };
}

/** An exchange over a fetch Request (tests, and any fetch-style host). */
export function exchangeFromRequest(request: Request, clientAddress: string, limit: BodyLimit): Exchange {
  const url = new URL(request.url);
  const target = url.pathname + url.search;
  let body: Promise<string> | null = null;
  return {
    method: request.method,
    target,
    pathname: url.pathname,
    headers: request.headers,
    clientAddress,
    headerNames: () => [...request.headers.keys()],
    text() {
      body ??= (async () => {
        if (Number(request.headers.get('content-length') ?? 0) > limit.maxBytes) throw limit.tooLarge();
        if (!request.body) return '';
        const chunks = await readAtMost(request.body, limit.maxBytes, limit.tooLarge);
        return decode(chunks);
      })();
      return body;
    },
  };
}

/** A fetch Request carrying the exchange's (already read) body, for the full Yoga path. */
export async function requestOf(exchange: Exchange): Promise<Request> {
  const headers = new Headers();
  for (const name of exchange.headerNames()) headers.set(name, exchange.headers.get(name)!);
  const body = exchange.method === 'GET' || exchange.method === 'HEAD' ? undefined : await exchange.text();
  return new Request(`http://${exchange.headers.get('host') ?? 'localhost'}${exchange.target}`, {
    method: exchange.method,
    headers,
    body,
  });
}

export function writeReply(res: ServerResponse, answer: Reply): void {
  const body = answer.body ?? '';
  res.writeHead(answer.status, { ...answer.headers, 'content-length': Buffer.byteLength(body) });
  res.end(body);
}

export function replyToResponse(answer: Reply): Response {
  const headers = new Headers();
  for (const [name, value] of Object.entries(answer.headers)) {
    for (const one of Array.isArray(value) ? value : [value]) headers.append(name, one);
  }
  return new Response(answer.body, { status: answer.status, headers });
}

/** Writes a fetch Response (from the Yoga path) to node:http. */
export async function writeResponse(res: ServerResponse, response: Response): Promise<void> {
  const headers: Record<string, string | string[]> = {};
  response.headers.forEach((value, name) => {
    if (name === 'set-cookie') return;
    headers[name] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  const body = Buffer.from(await response.arrayBuffer());
  res.writeHead(response.status, { ...headers, 'content-length': body.length });
  res.end(body);
}
