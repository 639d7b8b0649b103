/**
 * The one request value and the one reply value of the pipeline (http/pipeline.ts).
 * An Exchange is an HTTP request reduced to what handlers read (method, target,
 * headers, the body read once within the size limit); a Reply is what they answer.
 * The adapters (http/adapters.ts) make an Exchange from node:http or a fetch
 * Request and write a Reply back; nothing else sees either.
 */
import { Errors } from '../errors/domain-error.ts';

export interface HeaderReader {
  get(name: string): string | null;
}

export interface Exchange {
  method: string;
  /** Path and query, as sent (`/graphql?x=1`). */
  target: string;
  /** The path, normalised (dot segments resolved, escapes as the URL standard keeps them). */
  pathname: string;
  headers: HeaderReader;
  /** The socket's address, or UNKNOWN_ADDRESS (a fetch Request has none). */
  socketAddress: string;
  headerNames(): string[];
  /** The whole body, read once; InvalidInput (field body) past the size limit. */
  bytes(): Promise<Uint8Array>;
  /** The whole body as UTF-8, read once; InvalidInput when over the limit or not UTF-8. */
  text(): Promise<string>;
}

/** The address of a caller whose address nothing tells (a request handed to `app.fetch`). */
export const UNKNOWN_ADDRESS = 'unknown';

export interface Reply {
  status: number;
  headers: Record<string, string | string[]>;
  body: string | Uint8Array | null;
}

export function reply(status: number, body: string | Uint8Array | null, headers: Record<string, string | string[]> = {}): Reply {
  return { status, headers, body };
}

/** The body as UTF-8 text; InvalidInput when it is not UTF-8. */
export function decodeUtf8(bytes: Uint8Array): string {
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new Errors.InvalidInput({ reason: 'the body is not UTF-8' });
  }
}

/**
 * A request target as the handlers read it: its path (without the query), and the
 * target again, normalised the way the URL standard does (dot segments, escapes,
 * backslashes, absolute form) only where it has to be.
 */
export function splitTarget(raw: string): { target: string; pathname: string } {
  const query = raw.indexOf('?');
  const path = query < 0 ? raw : raw.slice(0, query);
  if (path.startsWith('/') && !/\/\.|%|\\/.test(path)) return { target: raw, pathname: path };
  try {
    const url = new URL(raw, 'http://host.invalid');
    return { target: url.pathname + url.search, pathname: url.pathname };
  } catch {
    return { target: raw, pathname: path };
  }
}

/** A fetch Request carrying the exchange's (already read) body, for Yoga's own HTTP handling. */
export async function requestOf(exchange: Exchange): Promise<Request> {
  const headers = new Headers();
  for (const name of exchange.headerNames()) headers.set(name, exchange.headers.get(name)!);
  const body = exchange.method === 'GET' || exchange.method === 'HEAD' ? undefined : await exchange.bytes();
  return new Request(`http://${exchange.headers.get('host') ?? 'localhost'}${exchange.target}`, {
    method: exchange.method,
    headers,
    body: body as BodyInit | undefined,
  });
}

/** A fetch Response (Yoga's) as a Reply. */
export async function replyOfResponse(response: Response): Promise<Reply> {
  const headers: Record<string, string | string[]> = {};
  // Yoga's Response ponyfill keeps names as written: the Reply's are lower-case.
  response.headers.forEach((value, name) => {
    const lower = name.toLowerCase();
    if (lower !== 'set-cookie') headers[lower] = value;
  });
  const cookies = response.headers.getSetCookie();
  if (cookies.length) headers['set-cookie'] = cookies;
  const body = response.body === null ? null : new Uint8Array(await response.arrayBuffer());
  return reply(response.status, body, headers);
}
