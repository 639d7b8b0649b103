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
  /** Members ordered by (joinedAt, userId), strictly after the cursor. */
  listMembers(groupId: string, limit: number, after: { joinedAt: number; userId: string } | null): Promise<MemberRecord[]>;

  insertApiToken(token: ApiTokenRecord & { tokenHash: string }, events: NewEvent[]): Promise<void>;
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
   * Waits (at most `timeoutMs`) until `listEvents` can show every event committed
   * before the call; false when it gave up. Immediate on SQLite; on PostgreSQL it
   * waits for the transactions older than the call to end.
   */
  feedCaughtUp(timeoutMs: number): Promise<boolean>;
  /** Deletes events that occurred before `before` (epoch ms); returns how many. */
  purgeEvents(before: number): Promise<number>;
}

/** A session a write ended, with its owner. */
export interface EndedSession {
  session: SessionRecord;
  user: Pick<UserRecord, 'id' | 'username'>;
}
