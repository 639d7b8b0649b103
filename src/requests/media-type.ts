import type { HeaderReader } from './exchange.ts';

/** The media type of a request's Content-Type, lower-cased, without its parameters ('' when there is none). */
export function mediaTypeOf(headers: HeaderReader): string {
  return (headers.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
}
