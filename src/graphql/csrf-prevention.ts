/**
 * CSRF prevention for /graphql. A browser sends a "simple" POST (form-urlencoded,
 * multipart/form-data, text/plain or no content type) to any origin without a
 * CORS preflight, with the cookies SameSite allows, and sibling group domains are
 * the same site. Such a POST is refused unless it carries a header only a
 * preflighted request can carry; a JSON POST always needs a preflight, and CORS
 * (see app.ts) never allows credentials. GET cannot run a mutation: Yoga refuses it.
 */
import type { Plugin } from 'graphql-yoga';
import { Errors } from '../errors/domain-error.ts';
import { mediaTypeOf } from '../requests/media-type.ts';

/** The header Yoga's own CSRF plugin asks for: sending it forces a preflight. */
export const CSRF_HEADER = 'x-graphql-yoga-csrf';

const SIMPLE_MEDIA_TYPES = new Set(['', 'application/x-www-form-urlencoded', 'multipart/form-data', 'text/plain']);

export function useCsrfPrevention(): Plugin {
  return {
    onRequestParse({ request }) {
      const simplePost = request.method === 'POST' && SIMPLE_MEDIA_TYPES.has(mediaTypeOf(request.headers));
      if (simplePost && !request.headers.has(CSRF_HEADER)) {
        throw new Errors.InvalidInput({
          reason: `POST /graphql with a form or text content type needs the ${CSRF_HEADER} header; send application/json`,
        });
      }
    },
  };
}
