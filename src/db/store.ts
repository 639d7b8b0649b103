/**
 * The storage port: everything the services need from a database, as whole units
 * of work. Each write method is one transaction. Implementations (SQLite today)
 * hold all dialect-specific code; services never see SQL or a driver.
 */

export type MemberRole = 'member' | 'admin';

export interface GroupRecord {
  id: string;
  slug: string;
  title: string | null;
  isApiEnabled: boolean;
  allowedDomains: string[];
  /** Whether SSO tokens minted without an explicit choice need a click on a confirmation page (API.md §10). */
  requireSignInConfirmation: boolean;
  createdAt: number;
  deletedAt: number | null;
}

export interface UserRecord {
  id: string;
  username: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  createdAt: number;
}

export interface MemberRecord {
  user: UserRecord;
  role: MemberRole;
  joinedAt: number;
}

export interface ApiTokenRecord {
  id: string;
  groupId: string;
  label: string | null;
  createdAt: number;
  lastUsedAt: number | null;
  revokedAt: number | null;
}

export interface SessionRecord {
  id: string;
  userId: string;
  groupId: string;
  createdAt: number;
  expiresAt: number;
}

export interface NewUser {
  id: string;
  username: string;
  email: string;
  firstName: string | null;
  lastName: string | null;
  createdAt: number;
}

/** Which of a plan's usernames and (lower-cased) emails are taken. */
export interface TakenNames {
  usernames: Set<string>;
  emails: Set<string>;
}

/** A user to insert with its membership, and the events of its creation. */
export interface PlannedUser {
  user: NewUser;
  events: NewEvent[];
}

/**
 * How users are created: the store reads which of `usernames` and `emails` are
 * taken, inside the write's transaction, and inserts what `decide` makes of that,
 * in order. The rules are the domain's; the store only answers "taken?" and writes.
 * If a concurrent writer takes a name between the read and the insert, the store
 * reads again and asks `decide` again, in the same transaction.
 */
export interface UserPlan {
  usernames: string[];
  /** Lower-cased. */
  emails: string[];
  decide(taken: TakenNames): PlannedUser[];
}

/** A keyed write's claim on its idempotency key (API.md §11). */
export interface IdempotencyClaim {
  groupId: string;
  key: string;
  /** The GraphQL response key, or the REST route: one request can hold several keyed writes. */
  field: string;
  fingerprint: string;
  createdAt: number;
  expiresAt: number;
}

/** What a keyed write remembers, in its own transaction: the claim and the outcome (JSON), from what it found. */
export interface Remember<T = void> {
  claim: IdempotencyClaim;
  outcome: (found: T) => string;
}

export interface StoredOutcome {
  field: string;
  fingerprint: string;
  outcome: string;
}

/**
 * A keyed write found its key already used (by a concurrent request, or one that
 * committed a moment ago): nothing was written, and this is what was remembered.
 */
export class IdempotentReplay extends Error {
  constructor(readonly stored: StoredOutcome) {
    super('idempotency key already used');
  }
}

export interface NewSession {
  id: string;
  tokenHash: string;
  userId: string;
  groupId: string;
  createdAt: number;
  expiresAt: number;
}

export type CreateSessionOutcome = { ok: true } | { ok: false; reason: 'sso-token-used' };

export type RemoveMembershipOutcome =
  | { ok: true; revokedSessions: number }
  | { ok: false; reason: 'not-member' | 'last-admin' };

export interface GroupChanges {
  title?: string | null;
  isApiEnabled?: boolean;
  allowedDomains?: string[];
  requireSignInConfirmation?: boolean;
}

/** The record that an SSO token's single use is spent. */
export interface SsoTokenUseRecord {
  jti: string;
  usedAt: number;
  expiresAt: number;
}

/** An event as the services hand it to the store, to be written with its change (API.md §13). */
export interface NewEvent {
  id: string;
  groupId: string;
  type: string;
  occurredAt: number;
  actor: { type: 'api_token' | 'user' | 'cli' | 'system'; id: string | null; name: string | null };
  target: { type: string; id: string; name: string | null };
  ip: string | null;
  userAgent: string | null;
  requestId: string | null;
  /** A JSON object, already serialised. */
  data: string;
}

/**
 * Where an event stands in the feed: the order in which events commit. On SQLite,
 * writers take turns, so the sequence number alone is that order (`tx` is "0"). On
 * PostgreSQL a transaction that took a lower sequence number can commit after a
 * higher one is read, so the order is (transaction id, sequence number), and an
 * event is listed only once every transaction older than its own has ended.
 */
export interface EventPosition {
  /** A transaction id (xid8) as a decimal string; "0" on SQLite. */
  tx: string;
  seq: number;
}

export interface EventRecord extends NewEvent {
  position: EventPosition;
}

export interface EventFilter {
  after: EventPosition | null;
  /** Only these types; null for all. */
  types: string[] | null;
  /** Only events at or after this time (epoch ms). */
  since: number | null;
  limit: number;
}

export interface RecentEventFilter {
  /** Only events before this position in the feed (older ones); null for the newest. */
  before: EventPosition | null;
  /** Only these types; null for all. */
  types: string[] | null;
  limit: number;
}

/** What a group holds, counted for its console's overview. */
export interface GroupCounts {
  members: number;
  admins: number;
  /** Not revoked. */
  apiTokens: number;
  /** Not expired. */
  sessions: number;
  webhookEndpoints: number;
}

/**
 * Events that depend on what the transaction found (a session's owner, the role a
 * membership had): built inside the transaction from that finding.
 */
export type EventsOf<T> = (found: T) => NewEvent[];

/** A storage failure while writing: services map it to the operation's documented error. */
export class StorageWriteError extends Error {
  constructor(cause: unknown) {
    super('storage write failed', { cause });
  }
}

/** What a store has in use right now, read by the metrics at each scrape. */
export type StoreUsage =
  | {
      dialect: 'postgres';
      /** The connection pool: its ceiling, connections open, of them idle, and queries waiting for one. */
      pool: { max: number; total: number; idle: number; waiting: number };
    }
  | {
      dialect: 'sqlite';
      /** Group commit: units of work queued for the next commit, commits so far, units they committed. */
      writeQueue: { pending: number; commits: number; units: number };
    };


/**
 * Every write method takes the events of its change (or a function building them
 * from what the transaction found) and writes them in the same transaction: if
 * the change commits, so do its events, and never the other way round. A write
 * that changes nothing writes no event.
 */
export interface Store {
  /** Which engine this is, for logs and health output. */
  readonly dialect: 'sqlite' | 'postgres';

  ping(): Promise<void>;
  /** Commits what is queued, then releases the database. */
  close(): Promise<void>;
  usage(): StoreUsage;

  getSetting(key: string): Promise<string | null>;
  /** Stores the value unless the key already has one; returns the value now stored. */
  putSettingIfAbsent(key: string, value: string): Promise<string>;

  countGroups(): Promise<number>;
  /** The live (not deleted) group with this slug. */
  findGroupBySlug(slug: string): Promise<GroupRecord | null>;
  /** The live group with this slug, else the one deleted last (for reading its history). */
  findLatestGroupBySlug(slug: string): Promise<GroupRecord | null>;
  findGroupById(id: string): Promise<GroupRecord | null>;
  /** Returns null when a live group already has the slug. */
  insertGroup(group: GroupRecord, events: NewEvent[]): Promise<GroupRecord | null>;
  /** Null when there is no such group; events are built from the group before and after. */
  updateGroup(
    id: string,
    changes: GroupChanges,
    events: EventsOf<{ before: GroupRecord; after: GroupRecord }>,
  ): Promise<GroupRecord | null>;
  /** Marks the group deleted and ends its sessions; events are built from the sessions it ended. */
  markGroupDeleted(id: string, at: number, events: EventsOf<EndedSession[]>): Promise<void>;

  findUserByUsername(username: string): Promise<UserRecord | null>;
  /** The subset of the given usernames that are taken. */
  takenUsernames(usernames: string[]): Promise<Set<string>>;
  /**
   * Creates the users the plan decides on, each with its membership and events, all
   * in one transaction (with the key's outcome, when keyed). IdempotentReplay when
   * the key was used already.
   */
  insertUsers(groupId: string, role: MemberRole, plan: UserPlan, remember?: Remember): Promise<void>;

  findMember(groupId: string, username: string): Promise<MemberRecord | null>;
  /** The group's members whose email (compared lower-cased) is one of these. */
  findMembersByEmails(groupId: string, emails: string[]): Promise<MemberRecord[]>;
  /** Adds or changes a membership; events are built from the role it had before (null: none). */
  upsertMembership(
    groupId: string,
    userId: string,
    role: MemberRole,
    at: number,
    events: EventsOf<{ previousRole: MemberRole | null; member: MemberRecord }>,
  ): Promise<MemberRecord>;
  /**
   * Removes the membership and the user's sessions in that group, in one
   * transaction. With `keepLastAdmin` the same transaction refuses to remove the
   * group's only admin, so two admins removing each other cannot both succeed.
   */
  removeMembership(
    groupId: string,
    userId: string,
    options: { keepLastAdmin?: boolean },
    events: EventsOf<{ role: MemberRole; sessionIds: string[] }>,
    remember?: Remember<{ revokedSessions: number }>,
  ): Promise<RemoveMembershipOutcome>;
  countAdmins(groupId: string): Promise<number>;
  /**
   * Members ordered by (joinedAt, userId), strictly after the cursor; with
   * `usernamePrefix` (lower-case `a-z`, `0-9` and `-` only), only those whose
   * username starts with it.
   */
  listMembers(
    groupId: string,
    limit: number,
    after: { joinedAt: number; userId: string } | null,
    usernamePrefix?: string | null,
  ): Promise<MemberRecord[]>;
  /** How much the group holds now: members (and of them admins), live API tokens, live sessions, webhook endpoints. */
  countGroupContents(groupId: string, now: number): Promise<GroupCounts>;

  /** Inserts the token with its events (and the key's outcome, when keyed); IdempotentReplay when the key was used already. */
  insertApiToken(token: ApiTokenRecord & { tokenHash: string }, events: NewEvent[], remember?: Remember): Promise<void>;
  /** The token with this hash and its group (deleted or not). */
  findApiTokenByHash(tokenHash: string): Promise<{ token: ApiTokenRecord; group: GroupRecord } | null>;
  findApiToken(id: string): Promise<ApiTokenRecord | null>;
  listApiTokens(groupId: string): Promise<ApiTokenRecord[]>;
  /** Revokes the token (keeping the first revocation time); events only when this call revoked it. */
  revokeApiToken(id: string, at: number, events: EventsOf<ApiTokenRecord>): Promise<ApiTokenRecord | null>;
  /** Records last use for many tokens at once (coalesced by the caller). */
  touchApiTokens(lastUsed: Map<string, number>): Promise<void>;

  /** Writes events that stand alone, with no other change (a minted SSO token). */
  recordEvents(events: NewEvent[], remember?: Remember): Promise<void>;

  /** The outcomes remembered under the group's key that have not expired at `now`. */
  findIdempotencyOutcomes(groupId: string, key: string, now: number): Promise<StoredOutcome[]>;
  /** Remembers an outcome that came with no write (a refusal), unless one is there; returns what is stored now. */
  rememberOutcome(claim: IdempotencyClaim, outcome: string): Promise<StoredOutcome>;

  /**
   * Consumes the SSO token's jti and creates the session in one transaction, with
   * its events; with `replacing`, the same transaction ends that session of the
   * group (the one the browser had) and writes its events if it was still there.
   */
  createSessionUsingSsoToken(
    sso: { jti: string; expiresAt: number },
    session: NewSession,
    events: NewEvent[],
    replacing?: { sessionId: string; events: NewEvent[] },
  ): Promise<CreateSessionOutcome>;
  /** The record of the SSO token's use, if it was used (kept until shortly after the token expires). */
  findSsoTokenUse(jti: string): Promise<SsoTokenUseRecord | null>;
  /** A session that is live at `now`, with its user and group. */
  findLiveSession(tokenHash: string, now: number): Promise<{ session: SessionRecord; user: UserRecord; group: GroupRecord } | null>;
  /** Ends the session with this digest; the events are written only if it was there. */
  deleteSessionByHash(tokenHash: string, events: NewEvent[]): Promise<boolean>;
  /** Ends one of the group's sessions; events are built from the session and its user. */
  deleteSession(groupId: string, id: string, events: EventsOf<EndedSession>): Promise<boolean>;
  listSessions(
    groupId: string,
    now: number,
    limit: number,
    after: { createdAt: number; id: string } | null,
  ): Promise<Array<{ session: SessionRecord; user: UserRecord }>>;
  /**
   * Deletes expired sessions (writing the events built from them), SSO-token use
   * records and idempotency keys; returns how many rows went.
   */
  purgeExpired(now: number, events: EventsOf<EndedSession[]>): Promise<number>;

  /** The group's events in feed order, strictly after `after`, only those every earlier commit has joined. */
  listEvents(groupId: string, filter: EventFilter): Promise<EventRecord[]>;
  /**
   * The group's events newest first (the feed order reversed), strictly before
   * `before`: every event committed so far, for reading the log, not following it.
   */
  listRecentEvents(groupId: string, filter: RecentEventFilter): Promise<EventRecord[]>;
  /**
   * Waits (at most `timeoutMs`) until `listEvents` can show every event committed
   * before the call; false when it gave up. Immediate on SQLite; on PostgreSQL it
   * waits for the transactions older than the call to end.
   */
  feedCaughtUp(timeoutMs: number): Promise<boolean>;
  /**
   * How far the feed is behind what has committed, in milliseconds at `now`: the age of
   * the oldest committed event it cannot show yet (PostgreSQL, while an older
   * transaction still runs); 0 when it shows everything, and always on SQLite.
   */
  eventFeedLag(now: number): Promise<number>;
  /** Deletes events that occurred before `before` (epoch ms); returns how many. */
  purgeEvents(before: number): Promise<number>;
}

/** A session a write ended, with its owner. */
export interface EndedSession {
  session: SessionRecord;
  user: Pick<UserRecord, 'id' | 'username'>;
}

// ---------------------------------------------------------------------------
// Webhooks (API.md §14): endpoints, their delivery state and attempts.

export interface WebhookEndpointRecord {
  id: string;
  groupId: string;
  url: string;
  /** The event types it receives; null for every type. */
  types: string[] | null;
  createdAt: number;
  disabledAt: number | null;
}

export interface NewWebhookEndpoint extends WebhookEndpointRecord {
  /** `whsec_…`: kept as is, since the server signs with it. */
  secret: string;
}

/** One delivery attempt of one event to one endpoint. */
export interface WebhookAttemptRecord {
  id: string;
  endpointId: string;
  eventId: string;
  /** The event's type, kept with the attempt so a list of attempts needs no look-up in the log. */
  eventType: string;
  /** 1 for the first attempt. */
  attempt: number;
  attemptedAt: number;
  /** The receiver's HTTP status; null when there was none (refused, timed out, connection failed). */
  status: number | null;
  /** At most 200 characters; null on success. */
  error: string | null;
  /** When the event is tried again; null when it is not (delivered, given up, endpoint disabled). */
  nextAttemptAt: number | null;
}

/** An endpoint as a delivery worker holds it, under a lease. */
export interface ClaimedWebhookEndpoint extends NewWebhookEndpoint {
  /** The feed position of the last event done (delivered or given up). */
  cursor: EventPosition;
  /** Attempts already made on the next matching event after the cursor. */
  headAttempts: number;
  nextAttemptAt: number | null;
  /**
   * Whether an event at this position committed before the endpoint was created
   * (possible past the cursor on PostgreSQL only): such events are not its to receive.
   */
  committedBeforeStart(position: EventPosition): boolean;
}

/** Where a worker got to with one endpoint; written only while its lease is held. */
export interface WebhookProgress {
  endpointId: string;
  /** The new cursor, when it moved. */
  cursor: EventPosition | null;
  headAttempts: number;
  nextAttemptAt: number | null;
  /** Set when a 410 answer disabled the endpoint. */
  disabledAt: number | null;
  /** Gives the lease up (waiting for a retry, disabled, or the worker stopping). */
  release: boolean;
}

export interface WebhookStore {
  /**
   * Inserts the endpoint with its events (and the key's outcome, when keyed); its
   * cursor starts at the feed's present, so it receives what commits after it (its
   * own `webhook_endpoint.created` first). IdempotentReplay when the key was used already.
   */
  insertWebhookEndpoint(endpoint: NewWebhookEndpoint, events: NewEvent[], remember?: Remember): Promise<void>;
  /** Deletes one of the group's live endpoints; null (and no event) when there is none. */
  deleteWebhookEndpoint(
    groupId: string,
    id: string,
    at: number,
    events: EventsOf<WebhookEndpointRecord>,
    remember?: Remember<WebhookEndpointRecord>,
  ): Promise<WebhookEndpointRecord | null>;
  /** Whether any group has a live, enabled endpoint: until one does, a server starts no delivery thread. */
  hasWebhookEndpoints(): Promise<boolean>;
  /** The group's live (not deleted) endpoints, oldest first. */
  listWebhookEndpoints(groupId: string): Promise<WebhookEndpointRecord[]>;
  /** The endpoint's latest attempts, newest first. */
  listWebhookAttempts(endpointId: string, limit: number): Promise<WebhookAttemptRecord[]>;
  /**
   * Leases up to `limit` live, enabled endpoints that no one holds (or whose lease
   * expired) and that are due at `now`, to `owner` for `leaseMs` (database time on
   * PostgreSQL); each endpoint goes to one caller, however many ask at once.
   */
  claimWebhookEndpoints(owner: string, leaseMs: number, limit: number, now: number): Promise<ClaimedWebhookEndpoint[]>;
  /** Extends the owner's leases; returns the ids it still holds on live, enabled endpoints. */
  renewWebhookLeases(owner: string, leaseMs: number): Promise<string[]>;
  /**
   * Records attempts, and the progress of endpoints the owner still holds, in one
   * transaction (progress for a lease lost meanwhile is dropped: its new holder redoes
   * it). Returns the endpoints whose progress was dropped: deleted, or no longer held.
   */
  recordWebhookProgress(owner: string, progress: WebhookProgress[], attempts: WebhookAttemptRecord[]): Promise<string[]>;
  /** Whether the owner still holds the endpoint's lease, and the endpoint is live and enabled. */
  holdsWebhookEndpoint(owner: string, endpointId: string): Promise<boolean>;
  /** Gives up every lease of the owner. */
  releaseWebhookLeases(owner: string): Promise<void>;
  /** Deletes attempts made before `before` (epoch ms); returns how many. */
  purgeWebhookAttempts(before: number): Promise<number>;
}

// Declared apart from the rest of the port so webhooks stay one section of each store.
export interface Store extends WebhookStore {}
