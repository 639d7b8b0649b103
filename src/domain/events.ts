/**
 * The audit log and event feed (API.md §13): who did what to whom, from where.
 * The event types and the shape of each one's `data` live here, as the error
 * catalog does for errors; services build events with these functions and hand
 * them to the store, which writes them in the same transaction as the change.
 * Nothing secret (no token, no hash of one) ever goes into an event.
 */
import type { ApiTokenRecord, EventPosition, EventRecord, GroupRecord, MemberRole, NewEvent, UserRecord } from '../db/store.ts';
import { invalidInput } from '../errors/domain-error.ts';
import { newId } from '../ids.ts';
import type { ServiceDeps } from './deps.ts';
import { parsePageSize } from './inputs.ts';

export const eventTypes = [
  'group.created',
  'group.updated',
  'group.deleted',
  'user.created',
  'member.added',
  'member.removed',
  'member.role_changed',
  'sso_token.created',
  'session.created',
  'session.ended',
  'api_token.created',
  'api_token.revoked',
  'webhook_endpoint.created',
  'webhook_endpoint.deleted',
  // API.md §18: what SCIM changes.
  'user.updated',
  'member.suspended',
  'member.reactivated',
  'directory_group.created',
  'directory_group.updated',
  'directory_group.deleted',
  'directory_group.member_added',
  'directory_group.member_removed',
] as const;

export type EventType = (typeof eventTypes)[number];

/** Who caused a change. */
export type Actor =
  | { type: 'api_token'; id: string; name: string | null }
  | { type: 'user'; id: string; name: string }
  | { type: 'cli' }
  | { type: 'system' };

/** The actor of a change and the facts of the request that caused it (all null outside a request). */
export interface Caller {
  actor: Actor;
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  /**
   * For a user acting in a session: the API token whose sign-in link made that
   * session (null: the CLI's login-link). What the user makes there is traced to it.
   */
  signedInWithApiTokenId?: string | null;
  /** The transport, where events name it: SCIM's changes carry `data.via: "scim"` (API.md §18). */
  via?: 'scim';
}

/** What a request knows of itself, before it knows who is calling. */
export type RequestFacts = Omit<Caller, 'actor'>;

export const NO_REQUEST: RequestFacts = { ip: null, userAgent: null, requestId: null };

/** The admin CLI, run by an operator. */
export const CLI_CALLER: Caller = { actor: { type: 'cli' }, ...NO_REQUEST };
/** The server itself: purges, sessions a newer login replaced. */
export const SYSTEM_CALLER: Caller = { actor: { type: 'system' }, ...NO_REQUEST };

export function apiTokenActor(token: Pick<ApiTokenRecord, 'id' | 'label'>): Actor {
  return { type: 'api_token', id: token.id, name: token.label };
}

export function userActor(user: Pick<UserRecord, 'id' | 'username'>): Actor {
  return { type: 'user', id: user.id, name: user.username };
}

export function callerOf(actor: Actor, facts: RequestFacts): Caller {
  return { actor, ip: facts.ip, userAgent: facts.userAgent, requestId: facts.requestId };
}

/** Longest user agent kept on an event; the rest is cut (it is for people, not parsing). */
const USER_AGENT_MAX = 512;

export type SessionEndReason =
  | 'logout'
  | 'revoked'
  | 'member_removed'
  | 'replaced'
  | 'expired'
  | 'group_deleted'
  /** The API token whose sign-in link made the session was revoked. */
  | 'api_token_revoked'
  /** SCIM suspended the member (`active: false`). */
  | 'suspended';

export type EventTarget = NewEvent['target'];

export const targets = {
  user: (user: Pick<UserRecord, 'id' | 'username'>): EventTarget => ({ type: 'user', id: user.id, name: user.username }),
  apiToken: (token: Pick<ApiTokenRecord, 'id' | 'label'>): EventTarget => ({ type: 'api_token', id: token.id, name: token.label }),
  group: (group: Pick<GroupRecord, 'slug'>): EventTarget => ({ type: 'group', id: group.slug, name: group.slug }),
  directoryGroup: (group: { id: string; displayName: string }): EventTarget => ({
    type: 'directory_group',
    id: group.id,
    name: group.displayName,
  }),
  webhookEndpoint: (endpoint: { id: string; url: string }): EventTarget => ({
    type: 'webhook_endpoint',
    id: endpoint.id,
    name: endpoint.url,
  }),
};

/** The `data` of each event type: small, and never a secret. */
export interface EventData {
  'group.created': { slug: string; title: string | null };
  'group.updated': { changes: Record<string, { from: unknown; to: unknown }> };
  'group.deleted': { slug: string };
  'user.created': { username: string; email: string; firstName: string | null; lastName: string | null; role: MemberRole };
  'member.added': { username: string; role: MemberRole };
  'member.removed': { username: string; role: MemberRole; sessionsEnded: number };
  'member.role_changed': { username: string; from: MemberRole; to: MemberRole };
  'sso_token.created': {
    username: string;
    tokenId: string;
    expiresAt: string;
    redirectTo: string | null;
    requireConfirmation: boolean;
  };
  'session.created': { username: string; sessionId: string; tokenId: string; expiresAt: string };
  'session.ended': { username: string; sessionId: string; reason: SessionEndReason };
  /** `signedInWithApiToken`: made in a session signed in through that API token's link (else null). */
  'api_token.created': { label: string | null; signedInWithApiToken: { id: string; label: string | null } | null };
  'api_token.revoked': { label: string | null };
  'webhook_endpoint.created': { url: string; types: string[] };
  'webhook_endpoint.deleted': { url: string };
  /** Only what changed, each from and to. */
  'user.updated': { username: string; changes: Record<string, { from: unknown; to: unknown }> };
  'member.suspended': { username: string; sessionsEnded: number };
  'member.reactivated': { username: string };
  'directory_group.created': { displayName: string; externalId: string | null };
  'directory_group.updated': { changes: Record<string, { from: unknown; to: unknown }> };
  'directory_group.deleted': { displayName: string };
  'directory_group.member_added': { userId: string; username: string };
  'directory_group.member_removed': { userId: string; username: string };
}

/** One event of `type` in the group, caused by `caller`, at `at` (epoch ms). */
export function newEvent<T extends EventType>(
  type: T,
  group: Pick<GroupRecord, 'id'>,
  caller: Caller,
  target: EventTarget,
  data: EventData[T],
  at: number,
): NewEvent {
  const { actor } = caller;
  return {
    id: newId(),
    groupId: group.id,
    type,
    occurredAt: at,
    actor: {
      type: actor.type,
      id: 'id' in actor ? actor.id : null,
      name: 'name' in actor ? actor.name : null,
    },
    target,
    ip: caller.ip,
    userAgent: caller.userAgent === null ? null : caller.userAgent.slice(0, USER_AGENT_MAX),
    requestId: caller.requestId,
    data: JSON.stringify(caller.via ? { ...data, via: caller.via } : data),
  };
}

/** The session.ended event of a session that ended for `reason`. */
export function sessionEnded(
  group: Pick<GroupRecord, 'id'>,
  caller: Caller,
  user: Pick<UserRecord, 'id' | 'username'>,
  sessionId: string,
  reason: SessionEndReason,
  at: number,
): NewEvent {
  return newEvent('session.ended', group, caller, targets.user(user), { username: user.username, sessionId, reason }, at);
}

/** Most events one page of the feed hands out. */
export const EVENTS_PAGE_MAX = 500;

export class EventService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * A page of the group's events in feed order (the order in which they commit,
   * oldest first), strictly after the cursor, and with `since` (ISO-8601) at or after
   * it; bad arguments are InvalidInput naming the argument. `hasNextPage` is whether
   * more events are visible now.
   */
  async list(
    group: Pick<GroupRecord, 'id'>,
    query: { first: number; after: EventPosition | null; types: string[] | null; since: string | null },
  ): Promise<{ events: EventRecord[]; hasNextPage: boolean }> {
    const first = parsePageSize(query.first, EVENTS_PAGE_MAX);
    const filter = { types: parseEventTypes(query.types), since: parseSince(query.since) };
    const rows = await this.deps.store.listEvents(group.id, { ...filter, after: query.after, limit: first + 1 });
    return { events: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /**
   * A page of the group's events newest first (for reading the log, as the console
   * does), strictly before `before` in feed order; `first` is 0..EVENTS_PAGE_MAX.
   * Unlike the feed, it shows every event committed so far, not only those that
   * every older transaction has joined.
   */
  async recent(
    group: Pick<GroupRecord, 'id'>,
    query: { first: number; before: EventPosition | null; types: string[] | null },
  ): Promise<{ events: EventRecord[]; hasNextPage: boolean }> {
    const first = parsePageSize(query.first, EVENTS_PAGE_MAX);
    const filter = { before: query.before, types: parseEventTypes(query.types), limit: first + 1 };
    const rows = await this.deps.store.listRecentEvents(group.id, filter);
    return { events: rows.slice(0, first), hasNextPage: rows.length > first };
  }

  /** Every event of the group in feed order, a page at a time (for export; constant memory). */
  async *all(group: Pick<GroupRecord, 'id'>, filter: { types: string[] | null; since: string | null }): AsyncGenerator<EventRecord> {
    const parsed = { types: parseEventTypes(filter.types), since: parseSince(filter.since) };
    let after: EventPosition | null = null;
    for (;;) {
      const page = await this.deps.store.listEvents(group.id, { ...parsed, after, limit: 1000 });
      yield* page;
      if (page.length < 1000) return;
      after = page.at(-1)!.position;
    }
  }

  /**
   * Waits (at most `timeoutMs`) until the feed shows every event committed before the
   * call (on PostgreSQL, older transactions may still be running); false if it gave up.
   */
  caughtUp(timeoutMs: number): Promise<boolean> {
    return this.deps.store.feedCaughtUp(timeoutMs);
  }

  /** Deletes events older than the retention period; returns how many went. */
  async purgeExpired(): Promise<number> {
    return this.deps.store.purgeEvents(this.deps.now() - this.deps.config.eventRetentionDays * 86_400_000);
  }
}

const knownTypes: ReadonlySet<string> = new Set(eventTypes);

/** Known event types, without repeats; null (every type) when left out. */
export function parseEventTypes(types: string[] | null | undefined): string[] | null {
  if (types == null) return null;
  const unknown = types.find((type) => !knownTypes.has(type));
  if (unknown !== undefined) throw invalidInput('types', `"${unknown.slice(0, 100)}" is not an event type`);
  return [...new Set(types)];
}

/** Strict ISO-8601 date-time with a zone (`2026-01-31T12:00:00Z`, `…+01:00`), or a plain date (`2026-01-31`, UTC). */
const ISO_8601 = /^\d{4}-\d{2}-\d{2}(?:T\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?(?:Z|[+-]\d{2}:\d{2}))?$/;

function parseSince(since: string | null): number | null {
  if (since == null) return null;
  const at = ISO_8601.test(since) ? Date.parse(since) : Number.NaN;
  if (Number.isNaN(at)) throw invalidInput('since', 'must be an ISO-8601 date-time, like 2026-01-31T12:00:00Z');
  return at;
}
