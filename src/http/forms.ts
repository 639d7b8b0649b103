/** The body of an HTML form post: the pages' forms send application/x-www-form-urlencoded, nothing else. */
import { invalidInput } from '../errors/domain-error.ts';
import type { Exchange } from '../requests/exchange.ts';
import { mediaTypeOf } from '../requests/media-type.ts';

/** The fields of a form post, or InvalidInput (field `body`) for any other kind of body. */
export async function readForm(request: Exchange): Promise<URLSearchParams> {
  if (mediaTypeOf(request.headers) !== 'application/x-www-form-urlencoded') {
    throw invalidInput('body', 'the body must be application/x-www-form-urlencoded');
  }
  return new URLSearchParams(await request.text());
}
