/**
 * Keyed writes (API.md §11), for any transport: a write sent with an API token and
 * an `Idempotency-Key` header runs once; the same request again gets the first
 * outcome back, with `Idempotent-Replayed: true`.
 */
import type { GroupRecord } from '../db/store.ts';
import { type Keyed, type KeyedOutcome, type OutcomeCodec, requestFingerprint } from '../domain/idempotency.ts';
import type { DomainError } from '../errors/domain-error.ts';
import type { RequestContext } from './request-context.ts';

/** The header of a response that replays a remembered outcome. */
const REPLAYED_HEADER = 'idempotent-replayed';

/**
 * Runs `write` under the request's key, if it has one. `route` and `body` are the
 * request as its fingerprint sees it (the same key with another request is
 * refused); `field` tells apart several writes of one request. Throws the key's own
 * refusals (InvalidInput for a malformed key, IdempotencyKeyReused, IdempotencyKeyInUse).
 */
export async function runKeyed<T>(
  ctx: RequestContext,
  request: { route: string; body: unknown; field: string },
  group: GroupRecord,
  codec: OutcomeCodec<T>,
  write: (keyed: Keyed<T | DomainError> | undefined) => Promise<T>,
): Promise<KeyedOutcome<T>> {
  if (ctx.idempotencyKey === null) return { outcome: await write(undefined), replayed: false };
  const { idempotency } = ctx.services;
  const key = idempotency.parseKey(ctx.idempotencyKey);
  const fingerprint = requestFingerprint(request.route, request.body);
  const result = await idempotency.run(group.id, key, fingerprint, request.field, codec, write);
  if (result.replayed) ctx.responseHeaders[REPLAYED_HEADER] = 'true';
  return result;
}
