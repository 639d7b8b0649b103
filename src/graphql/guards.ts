/** Who may call a field that reads: failures here are the request's own, so they leave as transport errors. */
import type { GroupRecord } from '../db/store.ts';
import type { Caller } from '../domain/events.ts';
import { Errors } from '../errors/domain-error.ts';
import { groupCaller } from '../requests/callers.ts';
import type { GraphQLContext } from './builder.ts';
import { asTransportError, transportError } from './transport-errors.ts';

/**
 * The group an administration field reads, for the callers it accepts (see
 * groupCaller: the same rule as the writes'); a caller of another group than
 * `options.group` (a field reached through some Group object) is UnauthorizedRequest.
 */
export async function groupAdminOf(
  ctx: GraphQLContext,
  options: { allowApiToken: boolean; group?: GroupRecord },
): Promise<{ group: GroupRecord; caller: Caller }> {
  const admin = await asTransportError(groupCaller(ctx, options.allowApiToken ? 'apiTokenOrAdmin' : 'groupAdmin'));
  if (options.group && options.group.id !== admin.group.id) throw transportError(new Errors.UnauthorizedRequest());
  return admin;
}
