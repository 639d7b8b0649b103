/** Who may call a field: failures here are the request's own, so they leave as transport errors. */
import type { AuthenticatedToken } from '../domain/api-tokens.ts';
import { DomainError } from '../errors/domain-error.ts';
import type { GraphQLContext } from './builder.ts';
import { transportError } from './transport-errors.ts';

export async function apiTokenOf(ctx: GraphQLContext): Promise<AuthenticatedToken> {
  try {
    return await ctx.requireApiToken();
  } catch (error) {
    throw error instanceof DomainError ? transportError(error) : error;
  }
}

/** Counts a rate-limited action for this caller; over the limit, TooManyRequests leaves as a transport error. */
export async function rateLimited(ctx: GraphQLContext, action: 'login' | 'write'): Promise<void> {
  try {
    await ctx.rateLimit(action);
  } catch (error) {
    throw error instanceof DomainError ? transportError(error) : error;
  }
}
