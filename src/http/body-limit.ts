/**
 * The request body size limit (MAX_BODY_BYTES), enforced before anything parses
 * the body: a declared Content-Length over the limit is refused unread, and a body
 * sent without one (chunked) is counted as it streams and refused once over.
 */
import { Errors } from '../errors/domain-error.ts';

const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** The refusal of a body over the limit (the figure only where limits may be shown). */
export function bodyTooLarge(maxBytes: number, options: { exposeLimit: boolean }) {
  return new Errors.InvalidInput({
    field: 'body',
    reason: options.exposeLimit ? `the request body must be at most ${maxBytes} bytes` : 'the request body is too large',
    // The rest of the body may still be on its way: this connection cannot carry another request.
    headers: { connection: 'close' },
  });
}

/**
 * The request with its body read into memory (at most `maxBytes`), so whatever
 * reads it next cannot be made to buffer more; throws InvalidInput when it is larger.
 */
export async function withBoundedBody(request: Request, maxBytes: number, options: { exposeLimit: boolean }): Promise<Request> {
  // Only methods whose bodies anything here reads; a Request cannot even be rebuilt for some others (TRACE).
  if (request.body === null || !BODY_METHODS.has(request.method)) return request;
  const tooLarge = () => bodyTooLarge(maxBytes, options);

  const declared = request.headers.get('content-length');
  if (declared !== null && (!/^\d+$/.test(declared.trim()) || Number(declared) > maxBytes)) throw tooLarge();

  const chunks = await readAtMost(request.body, maxBytes, tooLarge);
  return new Request(request.url, {
    method: request.method,
    headers: request.headers,
    body: Buffer.concat(chunks),
    signal: request.signal,
  });
}

/** The chunks of a body stream, refused with `tooLarge()` as soon as they pass `maxBytes`. */
export async function readAtMost(body: ReadableStream<Uint8Array>, maxBytes: number, tooLarge: () => Error): Promise<Uint8Array[]> {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const reader = body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) return chunks;
    size += value.byteLength;
    if (size > maxBytes) {
      // Stop reading; what is left on the connection is discarded by the server.
      reader.releaseLock();
      throw tooLarge();
    }
    chunks.push(value);
  }
}
