/**
 * The one runner of every write (GraphQL, REST, the console), applying its
 * declaration (write-policies.ts) in one order: who calls → rate limit → key →
 * service. A write sent with an API token and an `Idempotency-Key` header, where its
 * declaration takes one, runs once (API.md §11); the same request again gets the
 * first outcome back, with `Idempotent-Replayed: true`.
 */
import type { GroupRecord } from '../db/store.ts';
import type { Caller, RequestFacts } from '../domain/events.ts';
import { type Keyed, type KeyedOutcome, type OutcomeCodec, requestFingerprint } from '../domain/idempotency.ts';
import { DomainError } from '../errors/domain-error.ts';
import { groupCaller } from './callers.ts';
import type { RequestContext } from './request-context.ts';
import type { WriteCallers, WritePolicy } from './write-policies.ts';

/** The header of a response that replays a remembered outcome. */
const REPLAYED_HEADER = 'idempotent-replayed';

/** One write of a request, as the runner needs it. */
export interface WriteRequest {
  /** The request as a key's fingerprint sees it (the same key with another request is refused). */
  route: string;
  body: unknown;
  /** Tells apart several writes of one request (a GraphQL response key). */
  field: string;
  /** How many actions it counts against the rate limit: a batch counts each item. */
  weight?: number;
  /** A key the transport keeps itself (the console's create forms), used instead of the `Idempotency-Key` header. */
  key?: string;
}

/**
 * What a group's write hands its service: the group, the caller the events record,
 * and the key's claim, if any (`T` is what the policy's codec remembers).
 */
export interface GroupWriteCall<T> {
  group: GroupRecord;
  caller: Caller;
  keyed: Keyed<T | DomainError> | undefined;
}

/** What a write open to anyone on the request's domain hands its service. */
export interface DomainWriteCall {
  groupSlug: string | null;
  facts: RequestFacts;
}

export type WriteCall<C extends WriteCallers, T> = C extends 'anyone' ? DomainWriteCall : GroupWriteCall<T>;

/**
 * Runs one write under its policy. Resolves with what the service came to, its
 * value or its refusal (a DomainError), fresh or replayed. Throws only the request's
 * own failures: the caller's refusal (UnauthorizedRequest, or the API token's),
 * TooManyRequests, the key's refusals (malformed, IdempotencyKeyReused,
 * IdempotencyKeyInUse), and anything that is no DomainError. Each transport maps
 * the two apart as it must (GraphQL: the request's own are transport-level).
 */
export async function runWrite<C extends WriteCallers, K, T>(
  policy: WritePolicy<C, K>,
  ctx: RequestContext,
  request: WriteRequest,
  write: (call: WriteCall<C, K>) => Promise<T>,
): Promise<KeyedOutcome<T>> {
  const who = policy.callers === 'anyone' ? null : await groupCaller(ctx, policy.callers);
  await ctx.rateLimit(policy.limit, request.weight);
  const serviceCall = (keyed: Keyed<T | DomainError> | undefined) =>
    (who ? { group: who.group, caller: who.caller, keyed } : { groupSlug: ctx.domain.groupSlug, facts: ctx.facts }) as WriteCall<C, K>;
  const key = who === null ? null : keyOf(policy, ctx, request);
  if (key === null) {
    try {
      return { outcome: await write(serviceCall(undefined)), replayed: false };
    } catch (error) {
      if (error instanceof DomainError) return { outcome: error, replayed: false };
      throw error;
    }
  }
  if (!policy.codec) throw new Error('a write run under a key needs its policy’s codec');
  // The service's own failures are its outcome; told apart from the key's refusals by identity.
  let failure: unknown = null;
  const fingerprint = requestFingerprint(request.route, request.body);
  // A keyed service returns what its codec remembers (the type of its `keyed` argument ties the two): T is K.
  const codec = policy.codec as OutcomeCodec<unknown> as OutcomeCodec<T>;
  try {
    const result = await ctx.services.idempotency.run(who!.group.id, key, fingerprint, request.field, codec, (keyed) =>
      write(serviceCall(keyed)).catch((error: unknown) => {
        failure = error;
        throw error;
      }),
    );
    if (result.replayed && request.key === undefined) ctx.responseHeaders[REPLAYED_HEADER] = 'true';
    return result;
  } catch (error) {
    if (error === failure && error instanceof DomainError) return { outcome: error, replayed: false };
    throw error;
  }
}

/** The key a write runs under: the transport's own, else an API token's header where the policy takes it; null for none. */
function keyOf(policy: WritePolicy<WriteCallers, unknown>, ctx: RequestContext, request: WriteRequest): string | null {
  if (request.key !== undefined) return request.key;
  // Keys guard API-token writes; an admin's session does not use them.
  if (!policy.keyed || ctx.idempotencyKey === null || !ctx.hasAuthorization()) return null;
  return ctx.services.idempotency.parseKey(ctx.idempotencyKey);
}

/** A write's value, its refusal thrown: for a transport that answers the service's refusals as the request's own (REST, the console). */
export const writeValue = <T>(written: Promise<KeyedOutcome<T>>): Promise<T> => written.then(valueOf);

function valueOf<T>({ outcome }: KeyedOutcome<T>): T {
  if (outcome instanceof DomainError) throw outcome;
  return outcome;
}
