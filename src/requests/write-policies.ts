/**
 * Every write, declared once for every transport (GraphQL, REST, the console): who
 * may call it, what it counts against the rate limits, and whether it takes an
 * `Idempotency-Key` (API.md §11: only API-token writes do; an admin session's never).
 * `runWrite` (write-runner.ts) applies a declaration; no transport repeats it.
 */
import { createApiTokenOutcome } from '../domain/api-tokens.ts';
import type { OutcomeCodec } from '../domain/idempotency.ts';
import { removeMemberOutcome } from '../domain/members.ts';
import { createSsoTokenOutcome } from '../domain/sign-in.ts';
import { createUserOutcome, createUsersOutcome } from '../domain/users.ts';
import { createWebhookEndpointOutcome, deleteWebhookEndpointOutcome } from '../domain/webhooks.ts';
import type { RateLimitedAction } from '../rate-limits/rate-limits.ts';

/**
 * Who may call a write:
 * - `apiToken`: an API token of the group (`Authorization: Bearer`);
 * - `groupAdmin`: a group admin, by session cookie on the group's own domain;
 * - `apiTokenOrAdmin`: either (an `Authorization` header means the token, and only it);
 * - `anyone`: anyone on the domain the request names (signing in: the service checks the rest).
 */
export type WriteCallers = 'apiToken' | 'groupAdmin' | 'apiTokenOrAdmin' | 'anyone';

export interface WritePolicy<C extends WriteCallers, T> {
  callers: C;
  /** The rate-limited action each call counts as (`weight` times for a batch). */
  limit: Exclude<RateLimitedAction, 'failedApiToken'>;
  /** Whether an API token's `Idempotency-Key` header applies. */
  keyed: boolean;
  /** How the outcome is remembered under a key: the header's, or a key the transport keeps itself (the console's forms). */
  codec?: OutcomeCodec<T>;
}

/** The callers of a group's write: every kind but `anyone`. */
export type GroupCallers = Exclude<WriteCallers, 'anyone'>;

/**
 * A group's write, which counts against the `write` limit, declared so that its
 * callers and key agree: a keyed write takes API tokens, and remembers its outcome.
 */
function writePolicy<C extends GroupCallers, T>(
  policy: { callers: C } & (
    | { keyed: true; callers: Exclude<C, 'groupAdmin'>; codec: OutcomeCodec<T> }
    | { keyed: false; codec?: OutcomeCodec<T> }
  ),
): WritePolicy<C, T> {
  return { ...policy, limit: 'write' };
}

export const createUserPolicy = writePolicy({ callers: 'apiToken', keyed: true, codec: createUserOutcome });
export const createUsersPolicy = writePolicy({ callers: 'apiToken', keyed: true, codec: createUsersOutcome });
export const createSsoTokenPolicy = writePolicy({ callers: 'apiToken', keyed: true, codec: createSsoTokenOutcome });

export const removeMemberPolicy = writePolicy({ callers: 'apiTokenOrAdmin', keyed: true, codec: removeMemberOutcome });
export const createWebhookEndpointPolicy = writePolicy({ callers: 'apiTokenOrAdmin', keyed: true, codec: createWebhookEndpointOutcome });
export const deleteWebhookEndpointPolicy = writePolicy({ callers: 'apiTokenOrAdmin', keyed: true, codec: deleteWebhookEndpointOutcome });

/** Every SCIM write (API.md §18): the identity provider's API token; SCIM has no Idempotency-Key. */
export const scimWritePolicy = writePolicy({ callers: 'apiToken', keyed: false });

/** Its codec serves the console's create form, which shows the token once (see shown-once.ts). */
export const createApiTokenPolicy = writePolicy({ callers: 'groupAdmin', keyed: false, codec: createApiTokenOutcome });
export const revokeApiTokenPolicy = writePolicy({ callers: 'groupAdmin', keyed: false });
export const updateGroupPolicy = writePolicy({ callers: 'groupAdmin', keyed: false });
export const revokeSessionPolicy = writePolicy({ callers: 'groupAdmin', keyed: false });

/** loginWithSSO and the login URL: an SSO token for a session, per client address. */
export const signInPolicy: WritePolicy<'anyone', never> = { callers: 'anyone', limit: 'login', keyed: false };
