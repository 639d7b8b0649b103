/** Who calls for a group: the rule every administration read and group write applies (API.md §8). */
import type { GroupRecord } from '../db/store.ts';
import type { Caller } from '../domain/events.ts';
import { Errors } from '../errors/domain-error.ts';
import type { RequestContext } from './request-context.ts';
import type { GroupCallers } from './write-policies.ts';

/**
 * The group a write (or an administration read) acts on, for the callers it accepts:
 * - with an `Authorization` header, the API token and nothing else: its refusal
 *   (InvalidApiToken, GroupNotFound, ApiIsDisabled, InvalidRequestDomain) surfaces
 *   as everywhere, a session cookie sent alongside is ignored, and a write that
 *   does not allow API tokens answers UnauthorizedRequest. An explicit credential
 *   wins over an ambient one, and one request never acts as two callers;
 * - otherwise the session cookie, on its group's own domain, of a member whose
 *   role is `admin` now (read per request: a role can change after sign-in).
 *   The group's `isApiEnabled` does not apply: it governs API tokens only.
 * Anything else is UnauthorizedRequest.
 */
export async function groupCaller(ctx: RequestContext, callers: GroupCallers): Promise<{ group: GroupRecord; caller: Caller }> {
  if (callers === 'apiToken' || ctx.hasAuthorization()) {
    const { group, caller } = await ctx.requireApiToken();
    if (callers === 'groupAdmin') throw new Errors.UnauthorizedRequest();
    return { group, caller };
  }
  const admin = await ctx.groupAdmin();
  if (!admin) throw new Errors.UnauthorizedRequest();
  return { group: admin.group, caller: admin.caller };
}
