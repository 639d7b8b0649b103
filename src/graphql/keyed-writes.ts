/**
 * Keyed writes over GraphQL (API.md §11). The key's own refusals (malformed,
 * reused, in use) are the request's: transport-level, never a union member.
 */
import type { GraphQLResolveInfo } from 'graphql';
import type { GroupRecord } from '../db/store.ts';
import { IDEMPOTENCY_KEY_FIELD, type Keyed, type OutcomeCodec } from '../domain/idempotency.ts';
import { DomainError } from '../errors/domain-error.ts';
import { runKeyed } from '../requests/keyed-writes.ts';
import type { GraphQLContext } from './builder.ts';
import { transportError } from './transport-errors.ts';

function isKeyRefusal(error: DomainError): boolean {
  return (
    error.code === 'IdempotencyKeyReused' ||
    error.code === 'IdempotencyKeyInUse' ||
    (error.code === 'InvalidInput' && error.field === IDEMPOTENCY_KEY_FIELD)
  );
}

/**
 * Runs `write` (a service call) under the request's Idempotency-Key, if it has one:
 * its outcome, or the remembered one; a refusal is thrown as the write throws it.
 * The fingerprint is the query, variables and operation name; the response key
 * (alias or name) tells apart two writes of one request.
 */
export async function keyedWrite<T>(
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  group: GroupRecord,
  codec: OutcomeCodec<T>,
  write: (keyed: Keyed<T | DomainError> | undefined) => Promise<T>,
): Promise<T> {
  // Keys guard API-token writes; an admin's session does not use them.
  if (ctx.idempotencyKey === null || !ctx.hasAuthorization()) return write(undefined);
  const { query, variables, operationName } = ctx.params;
  const request = {
    route: 'POST /graphql',
    body: [query ?? null, variables ?? null, operationName ?? null],
    field: String(info.path.key),
  };
  let result;
  try {
    result = await runKeyed(ctx, request, group, codec, write);
  } catch (error) {
    throw error instanceof DomainError && isKeyRefusal(error) ? transportError(error) : error;
  }
  if (result.outcome instanceof DomainError) throw result.outcome;
  return result.outcome;
}
