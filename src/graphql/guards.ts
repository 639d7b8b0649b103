/** Who may call a field: failures here are the request's own, so they leave as transport errors. */
import type { GroupRecord } from '../db/store.ts';
import type { Caller } from '../domain/events.ts';
import type { ApiTokenCaller } from '../requests/request-context.ts';
import { DomainError, Errors } from '../errors/domain-error.ts';
import type { GraphQLContext } from './builder.ts';
import { transportError } from './transport-errors.ts';

export async function apiTokenOf(ctx: GraphQLContext): Promise<ApiTokenCaller> {
  try {
    return await ctx.requireApiToken();
  } catch (error) {
    throw error instanceof DomainError ? transportError(error) : error;
  }
}

/**
 * The group an administration field acts on, for the one caller it accepts:
 * - with an `Authorization` header, the API token and nothing else: its refusal
 *   (InvalidApiToken, GroupNotFound, ApiIsDisabled, InvalidRequestDomain) surfaces
 *   as everywhere, a session cookie sent alongside is ignored, and a field that
 *   does not allow API tokens answers UnauthorizedRequest. An explicit credential
 *   wins over an ambient one, and one request never acts as two callers;
 * - otherwise the session cookie, on its group's own domain, of a member whose
 *   role is `admin` now (read per request: a role can change after sign-in).
 *   The group's `isApiEnabled` does not apply: it governs API tokens only.
 * Anything else is UnauthorizedRequest, as is a caller of another group than
 * `options.group` (a field reached through some Group object).
 */
export async function groupAdminOf(
  ctx: GraphQLContext,
  options: { allowApiToken: boolean; group?: GroupRecord; /** A mutation: counted against the write rate limit. */ write?: boolean },
): Promise<{ group: GroupRecord; caller: Caller }> {
  const admin = await groupCaller(ctx, options.allowApiToken);
  if (options.group && options.group.id !== admin.group.id) throw unauthorized();
  if (options.write) await rateLimited(ctx, 'write');
  return admin;
}

async function groupCaller(ctx: GraphQLContext, allowApiToken: boolean): Promise<{ group: GroupRecord; caller: Caller }> {
  if (ctx.hasAuthorization()) {
    const { group, caller } = await apiTokenOf(ctx);
    if (!allowApiToken) throw unauthorized();
    return { group, caller };
  }
  const admin = await ctx.groupAdmin();
  if (!admin) throw unauthorized();
  return { group: admin.group, caller: admin.caller };
}

function unauthorized() {
  return transportError(new Errors.UnauthorizedRequest());
}

/** Counts a rate-limited action (`weight` times) for this caller; over the limit, TooManyRequests leaves as a transport error. */
export async function rateLimited(ctx: GraphQLContext, action: 'login' | 'write', weight = 1): Promise<void> {
  try {
    await ctx.rateLimit(action, weight);
  } catch (error) {
    throw error instanceof DomainError ? transportError(error) : error;
  }
}
