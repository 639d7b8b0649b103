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
export function groupCaller(ctx: RequestContext, callers: GroupCallers): Promise<{ group: GroupRecord; caller: Caller }> {
  if (callers === 'apiToken' || ctx.hasAuthorization()) {
    if (callers !== 'groupAdmin') return ctx.requireApiToken();
    // The token's own refusal first, then the write's.
    return ctx.requireApiToken().then(() => Promise.reject(new Errors.UnauthorizedRequest()));
  }
  return ctx.groupAdmin().then((admin) => admin ?? Promise.reject(new Errors.UnauthorizedRequest()));
}
