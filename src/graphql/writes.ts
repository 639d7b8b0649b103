/**
 * A mutation field's write, run under its policy (src/requests/write-policies.ts).
 * The request's own failures (the caller's refusal, TooManyRequests, the key's
 * refusals) are transport-level, never a union member; the service's refusal is
 * thrown as the field's result.
 */
import type { GraphQLResolveInfo } from 'graphql';
import { DomainError } from '../errors/domain-error.ts';
import { runWrite, type WriteCall } from '../requests/write-runner.ts';
import type { WriteCallers, WritePolicy } from '../requests/write-policies.ts';
import type { GraphQLContext } from './builder.ts';
import { asTransportError } from './transport-errors.ts';

/**
 * Runs `write` (one service call) under `policy`: its value, or the remembered one
 * under an Idempotency-Key. The key's fingerprint is the query, variables and
 * operation name; the response key (alias or name) tells apart two writes of one request.
 */
export async function fieldWrite<C extends WriteCallers, K, T>(
  policy: WritePolicy<C, K>,
  ctx: GraphQLContext,
  info: GraphQLResolveInfo,
  write: (call: WriteCall<C, K>) => Promise<T>,
  weight?: number,
): Promise<T> {
  const { query, variables, operationName } = ctx.params;
  const request = {
    route: 'POST /graphql',
    body: [query ?? null, variables ?? null, operationName ?? null],
    field: String(info.path.key),
    weight,
  };
  const result = await asTransportError(runWrite(policy, ctx, request, write));
  if (result.outcome instanceof DomainError) throw result.outcome;
  return result.outcome;
}
