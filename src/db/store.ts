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

export type InsertUserOutcome = { ok: true; user: UserRecord } | { ok: false; conflict: 'username' | 'email' };

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
  findGroupById(id: string): Promise<GroupRecord | null>;
  /** Returns null when a live group already has the slug. */
  insertGroup(group: GroupRecord): Promise<GroupRecord | null>;
  updateGroup(id: string, changes: GroupChanges): Promise<GroupRecord | null>;
  markGroupDeleted(id: string, at: number): Promise<void>;

  findUserByUsername(username: string): Promise<UserRecord | null>;
  /** The subset of the given usernames that are taken. */
  takenUsernames(usernames: string[]): Promise<Set<string>>;
  /** Inserts the user and its membership together, or neither. */
  insertUserWithMembership(user: NewUser, groupId: string, role: MemberRole): Promise<InsertUserOutcome>;

  findMember(groupId: string, username: string): Promise<MemberRecord | null>;
  /** Adds or changes a membership; returns false if the pair already had that role. */
  upsertMembership(groupId: string, userId: string, role: MemberRole, at: number): Promise<MemberRecord>;
  /**
   * Removes the membership and the user's sessions in that group, in one
   * transaction. With `keepLastAdmin` the same transaction refuses to remove the
   * group's only admin, so two admins removing each other cannot both succeed.
   */
  removeMembership(groupId: string, userId: string, options?: { keepLastAdmin?: boolean }): Promise<RemoveMembershipOutcome>;
  countAdmins(groupId: string): Promise<number>;
  /** Members ordered by (joinedAt, userId), strictly after the cursor. */
  listMembers(groupId: string, limit: number, after: { joinedAt: number; userId: string } | null): Promise<MemberRecord[]>;

  insertApiToken(token: ApiTokenRecord & { tokenHash: string }): Promise<void>;
  /** The token with this hash and its group (deleted or not). */
  findApiTokenByHash(tokenHash: string): Promise<{ token: ApiTokenRecord; group: GroupRecord } | null>;
  findApiToken(id: string): Promise<ApiTokenRecord | null>;
  listApiTokens(groupId: string): Promise<ApiTokenRecord[]>;
  revokeApiToken(id: string, at: number): Promise<ApiTokenRecord | null>;
  /** Records last use for many tokens at once (coalesced by the caller). */
  touchApiTokens(lastUsed: Map<string, number>): Promise<void>;

  /** Consumes the SSO token's jti and creates the session in one transaction. */
  createSessionUsingSsoToken(
    sso: { jti: string; expiresAt: number },
    session: NewSession,
  ): Promise<CreateSessionOutcome>;
  /** The record of the SSO token's use, if it was used (kept until shortly after the token expires). */
  findSsoTokenUse(jti: string): Promise<SsoTokenUseRecord | null>;
  /** A session that is live at `now`, with its user and group. */
  findLiveSession(tokenHash: string, now: number): Promise<{ session: SessionRecord; user: UserRecord; group: GroupRecord } | null>;
  deleteSessionByHash(tokenHash: string): Promise<boolean>;
  deleteSession(groupId: string, id: string): Promise<boolean>;
  listSessions(
    groupId: string,
    now: number,
    limit: number,
    after: { createdAt: number; id: string } | null,
  ): Promise<Array<{ session: SessionRecord; user: UserRecord }>>;
  /** Deletes expired sessions and SSO-token use records; returns how many rows went. */
  purgeExpired(now: number): Promise<number>;
}
