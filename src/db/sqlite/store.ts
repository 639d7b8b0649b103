/**
 * The Store on SQLite (better-sqlite3 through drizzle). Every write is one
 * synchronous IMMEDIATE transaction, so check-then-write is atomic even across
 * processes sharing the file; a busy timeout makes concurrent writers wait, not fail.
 */
import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import Database from 'better-sqlite3';
import { and, asc, desc, eq, gt, gte, inArray, isNull, lt, lte, or, type SQL, sql } from 'drizzle-orm';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import type { SQLiteTable } from 'drizzle-orm/sqlite-core';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import type {
  ApiTokenRecord,
  CreateSessionOutcome,
  EndedSession,
  IdempotencyClaim,
  Remember,
  StoredOutcome,
  TakenNames,
  UserPlan,
  EventFilter,
  EventRecord,
  EventsOf,
  GroupChanges,
  GroupCounts,
  GroupRecord,
  MemberRecord,
  MemberRole,
  NewEvent,
  NewSession,
  RecentEventFilter,
  RemoveMembershipOutcome,
  SessionRecord,
  SsoTokenUseRecord,
  Store,
  StoreUsage,
  UserRecord,
  ClaimedWebhookEndpoint,
  NewWebhookEndpoint,
  WebhookAttemptRecord,
  WebhookEndpointRecord,
  WebhookProgress,
} from '../store.ts';
import { IdempotentReplay, StorageWriteError } from '../store.ts';
import { eventRecord } from '../event-rows.ts';
import { claimedWebhookEndpoint, typesColumn, webhookEndpointRecord } from '../webhook-rows.ts';
import * as schema from './schema.ts';
import { apiTokens, events, groups, idempotencyKeys, memberships, sessions, settings, ssoTokenUses, users } from './schema.ts';
import { webhookDeliveries, webhookEndpoints } from './schema.ts';

const migrationsFolder = fileURLToPath(new URL('../../../drizzle/sqlite', import.meta.url));
/** drizzle's bookkeeping table, so drizzle-kit and this migrator agree on what is applied. */
const MIGRATIONS_TABLE = '__drizzle_migrations';

/** Resolves DATABASE_URL (`file:path` or `:memory:`) to what better-sqlite3 opens. */
export function sqlitePath(databaseUrl: string): string {
  if (databaseUrl === ':memory:' || databaseUrl === 'file::memory:') return ':memory:';
  return resolve(databaseUrl.replace(/^file:(\/\/)?/, ''));
}

export interface SqliteOptions {
  /** How long a writer waits for another process's lock before failing. */
  busyTimeoutMs?: number;
  /**
   * `NORMAL` for a connection whose writes may be lost to a power cut (not to a
   * crash of the process), such as webhook delivery progress, where at least once
   * allows it: its commits then wait for no fsync. `FULL` by default.
   */
  synchronous?: 'FULL' | 'NORMAL';
}

type Db = BetterSQLite3Database<typeof schema>;

const userColumns = {
  id: users.id,
  username: users.username,
  email: users.email,
  firstName: users.firstName,
  lastName: users.lastName,
  createdAt: users.createdAt,
};

const sessionColumns = {
  id: sessions.id,
  userId: sessions.userId,
  groupId: sessions.groupId,
  createdAt: sessions.createdAt,
  expiresAt: sessions.expiresAt,
};

const tokenColumns = {
  id: apiTokens.id,
  groupId: apiTokens.groupId,
  label: apiTokens.label,
  createdAt: apiTokens.createdAt,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
};

/**
 * `journal_mode = WAL` on a new file needs a lock SQLite does not wait for (no busy
 * handler), so two processes opening the same new file at once can see "database
 * is locked". Retried, sleeping briefly, for as long as the busy timeout allows.
 */
function switchToWal(sqlite: Database.Database, timeoutMs: number): void {
  const giveUpAt = Date.now() + timeoutMs;
  for (let pause = 5; ; pause = Math.min(pause * 2, 100)) {
    try {
      sqlite.pragma('journal_mode = WAL');
      return;
    } catch (error) {
      if (sqliteCode(error)?.code !== 'SQLITE_BUSY' || Date.now() >= giveUpAt) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
  }
}

/** The SQLite error under a drizzle wrapper, if any. */
function sqliteCode(error: unknown): { code: string; message: string } | null {
  let current: unknown = error;
  for (let i = 0; current && i < 4; i++) {
    const e = current as { code?: unknown; message?: unknown; cause?: unknown };
    if (typeof e.code === 'string' && e.code.startsWith('SQLITE_')) {
      return { code: e.code, message: String(e.message) };
    }
    current = e.cause;
  }
  return null;
}

export function isUniqueViolation(error: unknown, column: string): boolean {
  const found = sqliteCode(error);
  return !!found && found.code.startsWith('SQLITE_CONSTRAINT') && found.message.includes(column);
}

export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly sqlite: Database.Database;
  private readonly db: Db;

  constructor(path: string, options: SqliteOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    const busyTimeoutMs = options.busyTimeoutMs ?? 10_000;
    this.sqlite = new Database(path, { timeout: busyTimeoutMs });
    switchToWal(this.sqlite, busyTimeoutMs);
    this.sqlite.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.sqlite.pragma('foreign_keys = ON');
    this.db = drizzle(this.sqlite, { schema });
  }

  private prepared: ReturnType<SqliteStore['prepareHotStatements']> | null = null;

  /**
   * The statements of the per-request paths, prepared once (after migration, on
   * first use): building and preparing SQL on every call cost more than running it.
   */
  private get hot() {
    this.prepared ??= this.prepareHotStatements();
    return this.prepared;
  }

  private prepareHotStatements() {
    const p = sql.placeholder;
    const db = this.db;
    const control = (statement: string) => this.sqlite.prepare(statement);
    return {
      // Transaction control of the group commit, prepared once as better-sqlite3's own transaction() does.
      begin: control('BEGIN IMMEDIATE'),
      // The writes of creating a user, signing in and recording an event, as plain
      // statements: drizzle's per-call parameter mapping was a fifth of a bulk import's time.
      insertUser: control(
        `INSERT INTO users (id, username, email, email_normalized, first_name, last_name, created_at)
         VALUES (@id, @username, @email, @emailNormalized, @firstName, @lastName, @createdAt)`,
      ),
      insertMembership: control(
        'INSERT INTO memberships (group_id, user_id, role, created_at) VALUES (@groupId, @userId, @role, @createdAt)',
      ),
      insertEvent: control(
        `INSERT INTO events (id, group_id, type, occurred_at, actor_type, actor_id, actor_name, target_type, target_id,
           target_name, ip, user_agent, request_id, data)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ),
      useSsoToken: control(
        'INSERT INTO sso_token_uses (jti, used_at, expires_at) VALUES (@jti, @usedAt, @expiresAt) ON CONFLICT DO NOTHING',
      ),
      insertSession: control(
        `INSERT INTO sessions (id, token_hash, user_id, group_id, created_at, expires_at)
         VALUES (@id, @tokenHash, @userId, @groupId, @createdAt, @expiresAt)`,
      ),
      deleteGroupSession: control('DELETE FROM sessions WHERE id = @id AND group_id = @groupId'),
      savepoint: control('SAVEPOINT unit'),
      release: control('RELEASE unit'),
      rollbackToSavepoint: control('ROLLBACK TO unit'),
      commit: control('COMMIT'),
      rollback: control('ROLLBACK'),
      groupBySlug: db
        .select()
        .from(groups)
        .where(and(eq(groups.slug, p('slug')), isNull(groups.deletedAt)))
        .prepare(),
      apiTokenByHash: db
        .select({ token: tokenColumns, group: groups })
        .from(apiTokens)
        .innerJoin(groups, eq(groups.id, apiTokens.groupId))
        .where(eq(apiTokens.tokenHash, p('hash')))
        .prepare(),
      member: db
        .select({ user: userColumns, role: memberships.role, joinedAt: memberships.createdAt })
        .from(users)
        .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.groupId, p('groupId'))))
        .where(eq(users.username, p('username')))
        .prepare(),
      liveSession: db
        .select({ session: sessionColumns, user: userColumns, group: groups })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .innerJoin(groups, eq(groups.id, sessions.groupId))
        .where(and(eq(sessions.tokenHash, p('hash')), gt(sessions.expiresAt, p('now')), isNull(groups.deletedAt)))
        .prepare(),
      takenUsernames: db
        .select({ username: users.username })
        .from(users)
        .where(sql`${users.username} IN (SELECT value FROM json_each(${p('names')}))`)
        .prepare(),
      userIdByUsername: db.select({ id: users.id }).from(users).where(eq(users.username, p('username'))).prepare(),
      userIdByEmail: db.select({ id: users.id }).from(users).where(eq(users.emailNormalized, p('email'))).prepare(),
      // Driven by the emails (users' index), then each user's memberships: the unary +
      // keeps SQLite from scanning all of the group's memberships instead, which it
      // prefers without statistics, and which grows with the group.
      membersByEmails: db
        .select({ user: userColumns, role: memberships.role, joinedAt: memberships.createdAt })
        .from(users)
        .innerJoin(memberships, and(eq(memberships.userId, users.id), sql`+${memberships.groupId} = ${p('groupId')}`))
        .where(sql`${users.emailNormalized} IN (SELECT value FROM json_each(${p('emails')}))`)
        .prepare(),
      takenEmails: db
        .select({ email: users.emailNormalized })
        .from(users)
        .where(sql`${users.emailNormalized} IN (SELECT value FROM json_each(${p('emails')}))`)
        .prepare(),
      idempotencyOutcomes: db
        .select({ field: idempotencyKeys.field, fingerprint: idempotencyKeys.fingerprint, outcome: idempotencyKeys.outcome })
        .from(idempotencyKeys)
        .where(
          and(eq(idempotencyKeys.groupId, p('groupId')), eq(idempotencyKeys.key, p('key')), gt(idempotencyKeys.expiresAt, p('now'))),
        )
        .prepare(),
      idempotencyOutcome: db
        .select({ field: idempotencyKeys.field, fingerprint: idempotencyKeys.fingerprint, outcome: idempotencyKeys.outcome })
        .from(idempotencyKeys)
        .where(
          and(
            eq(idempotencyKeys.groupId, p('groupId')),
            eq(idempotencyKeys.key, p('key')),
            eq(idempotencyKeys.field, p('field')),
            gt(idempotencyKeys.expiresAt, p('now')),
          ),
        )
        .prepare(),
      // An expired key is free again: its old outcome is replaced.
      rememberOutcome: db
        .insert(idempotencyKeys)
        .values({
          groupId: p('groupId'),
          key: p('key'),
          field: p('field'),
          fingerprint: p('fingerprint'),
          outcome: p('outcome'),
          createdAt: p('createdAt'),
          expiresAt: p('expiresAt'),
        })
        .onConflictDoUpdate({
          target: [idempotencyKeys.groupId, idempotencyKeys.key, idempotencyKeys.field],
          set: {
            fingerprint: sql`excluded.fingerprint`,
            outcome: sql`excluded.outcome`,
            createdAt: sql`excluded.created_at`,
            expiresAt: sql`excluded.expires_at`,
          },
          setWhere: lt(idempotencyKeys.expiresAt, sql`excluded.created_at`),
        })
        .prepare(),
      ssoTokenUse: db.select().from(ssoTokenUses).where(eq(ssoTokenUses.jti, p('jti'))).prepare(),
    };
  }

  /**
   * Applies pending migrations; safe when several processes start at once.
   * drizzle's own migrator reads what is applied before its deferred BEGIN, so two
   * processes starting together both try to apply, and one fails ("database is
   * locked" or "table already exists"). This keeps drizzle's files and bookkeeping
   * table, but reads and applies in one IMMEDIATE transaction: the second process
   * waits for the first (busy timeout), then finds nothing left to do.
   */
  migrate(): void {
    const migrations = readMigrationFiles({ migrationsFolder });
    const apply = this.sqlite.transaction(() => {
      this.sqlite.exec(
        `CREATE TABLE IF NOT EXISTS "${MIGRATIONS_TABLE}" (id SERIAL PRIMARY KEY, hash text NOT NULL, created_at numeric)`,
      );
      const last = this.sqlite
        .prepare(`SELECT created_at FROM "${MIGRATIONS_TABLE}" ORDER BY created_at DESC LIMIT 1`)
        .get() as { created_at: number | string } | undefined;
      const record = this.sqlite.prepare(`INSERT INTO "${MIGRATIONS_TABLE}" ("hash", "created_at") VALUES (?, ?)`);
      for (const migration of migrations) {
        if (last && Number(last.created_at) >= migration.folderMillis) continue;
        for (const statement of migration.sql) if (statement.trim() !== '') this.sqlite.exec(statement);
        record.run(migration.hash, migration.folderMillis);
      }
    });
    apply.immediate();
    // Prepared now, while every table is there, rather than on a first request.
    this.prepared = this.prepareHotStatements();
  }

  async ping(): Promise<void> {
    this.sqlite.prepare('SELECT 1').get();
  }

  usage(): StoreUsage {
    return { dialect: 'sqlite', writeQueue: { pending: this.pendingWrites.length, commits: this.commits, units: this.committedUnits } };
  }

  async close(): Promise<void> {
    if (!this.sqlite.open) return;
    // Writes already queued are answered, not dropped.
    if (this.pendingWrites.length > 0) this.commitPending();
    this.sqlite.close();
  }

  /**
   * One unit of work in its own savepoint of the next group commit; storage failures
   * become StorageWriteError. A unit that finds its idempotency key used throws
   * IdempotentReplay, which rolls it back and comes out as it is.
   */
  private async write<T>(work: (tx: Db) => T, oneStatement = false): Promise<T> {
    try {
      return await this.commitTogether(() => work(this.db), oneStatement);
    } catch (error) {
      if (error instanceof IdempotentReplay) throw error;
      throw new StorageWriteError(error);
    }
  }

  /** Inside a unit of work, before it writes: IdempotentReplay when the claim's key holds an outcome already. */
  private assertKeyFree(remember: Remember<never> | undefined): void {
    const used = remember && this.storedOutcome(remember.claim);
    if (used) throw new IdempotentReplay(used);
  }

  /** Inside a unit of work, after it wrote: the claim's outcome, from what the unit found. */
  private settleKey<T>(remember: Remember<T> | undefined, found: T): void {
    if (remember) this.writeOutcome(remember.claim, remember.outcome(found));
  }

  /** Writes events inside the current unit of work. */
  private writeEvents(list: NewEvent[]): void {
    const insert = this.hot.insertEvent;
    for (const e of list) {
      // Positional, in the statement's column order: no row object per event.
      const { actor, target } = e;
      insert.run(e.id, e.groupId, e.type, e.occurredAt, actor.type, actor.id, actor.name, target.type, target.id, target.name, e.ip, e.userAgent, e.requestId, e.data);
    }
  }

  /** `oneStatement`: the unit is one statement, which SQLite undoes by itself when it fails; it needs no savepoint. */
  private pendingWrites: Array<{
    work: () => unknown;
    resolve: (value: any) => void;
    reject: (error: unknown) => void;
    oneStatement: boolean;
  }> = [];
  private commitScheduled = false;
  /** Group commits made, and the units of work they held: their ratio is the mean batch. */
  private commits = 0;
  private committedUnits = 0;

  /**
   * Group commit. With synchronous=FULL every COMMIT waits for the disk, and that
   * wait, not the SQL, bounds how many writes a second one process can answer.
   * Units of work queued in the same turn of the event loop therefore run in one
   * IMMEDIATE transaction, each in its own savepoint (a failing unit is rolled back
   * alone), and are answered only after the one COMMIT that makes them all durable.
   */
  private commitTogether<T>(work: () => T, oneStatement = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pendingWrites.push({ work, resolve, reject, oneStatement });
      if (!this.commitScheduled) {
        this.commitScheduled = true;
        setImmediate(() => this.commitPending());
      }
    });
  }

  private commitPending(): void {
    this.commitScheduled = false;
    let batch = this.pendingWrites;
    this.pendingWrites = [];
    while (batch.length > 0) batch = this.commitBatch(batch);
  }

  /** Commits what it can of the batch; returns the units still to run (after a failure that lost the transaction). */
  private commitBatch(batch: SqliteStore['pendingWrites']): SqliteStore['pendingWrites'] {
    const db = this.sqlite;
    const tx = this.hot;
    try {
      tx.begin.run();
    } catch (error) {
      for (const unit of batch) unit.reject(error);
      return [];
    }
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    for (const [index, unit] of batch.entries()) {
      if (!unit.oneStatement) tx.savepoint.run();
      try {
        outcomes.push({ ok: true, value: unit.work() });
        if (!unit.oneStatement) tx.release.run();
      } catch (error) {
        if (!db.inTransaction) {
          // The failure took the whole transaction with it (e.g. a full disk): nothing
          // before it is committed either, so those fail too; the rest try again.
          for (const done of batch.slice(0, index + 1)) done.reject(error);
          return batch.slice(index + 1);
        }
        if (!unit.oneStatement) {
          tx.rollbackToSavepoint.run();
          tx.release.run();
        }
        outcomes.push({ ok: false, error });
      }
    }
    try {
      tx.commit.run();
    } catch (error) {
      if (db.inTransaction) tx.rollback.run();
      for (const unit of batch) unit.reject(error);
      return [];
    }
    this.commits++;
    this.committedUnits += batch.length;
    batch.forEach((unit, i) => {
      const outcome = outcomes[i]!;
      if (outcome.ok) unit.resolve(outcome.value);
      else unit.reject(outcome.error);
    });
    return [];
  }

  async getSetting(key: string): Promise<string | null> {
    return this.db.select().from(settings).where(eq(settings.key, key)).get()?.value ?? null;
  }

  async putSettingIfAbsent(key: string, value: string): Promise<string> {
    return this.write((tx) => {
      tx.insert(settings).values({ key, value }).onConflictDoNothing().run();
      return tx.select().from(settings).where(eq(settings.key, key)).get()!.value;
    });
  }

  async countGroups(): Promise<number> {
    return this.db.select({ n: sql<number>`count(*)` }).from(groups).get()!.n;
  }

  async findGroupBySlug(slug: string): Promise<GroupRecord | null> {
    return this.hot.groupBySlug.get({ slug }) ?? null;
  }

  async findLatestGroupBySlug(slug: string): Promise<GroupRecord | null> {
    return (
      this.db
        .select()
        .from(groups)
        .where(eq(groups.slug, slug))
        // Live first (NULL sorts first ascending in SQLite), then the latest deleted.
        .orderBy(sql`${groups.deletedAt} IS NOT NULL`, desc(groups.deletedAt))
        .limit(1)
        .get() ?? null
    );
  }

  async findGroupById(id: string): Promise<GroupRecord | null> {
    return this.db.select().from(groups).where(eq(groups.id, id)).get() ?? null;
  }

  async insertGroup(group: GroupRecord, newEvents: NewEvent[]): Promise<GroupRecord | null> {
    return this.write((tx) => {
      const taken = tx
        .select({ id: groups.id })
        .from(groups)
        .where(and(eq(groups.slug, group.slug), isNull(groups.deletedAt)))
        .get();
      if (taken) return null;
      tx.insert(groups).values(group).run();
      this.writeEvents(newEvents);
      return group;
    });
  }

  async updateGroup(
    id: string,
    changes: GroupChanges,
    eventsOf: EventsOf<{ before: GroupRecord; after: GroupRecord }>,
  ): Promise<GroupRecord | null> {
    return this.write((tx) => {
      const before = tx.select().from(groups).where(eq(groups.id, id)).get();
      if (!before) return null;
      if (Object.keys(changes).length === 0) return before;
      tx.update(groups).set(changes).where(eq(groups.id, id)).run();
      const after = tx.select().from(groups).where(eq(groups.id, id)).get()!;
      this.writeEvents(eventsOf({ before, after }));
      return after;
    });
  }

  async markGroupDeleted(id: string, at: number, eventsOf: EventsOf<EndedSession[]>): Promise<void> {
    await this.write((tx) => {
      const ended = this.sessionsWithUsers(tx, eq(sessions.groupId, id));
      tx.update(groups).set({ deletedAt: at }).where(eq(groups.id, id)).run();
      tx.delete(sessions).where(eq(sessions.groupId, id)).run();
      this.writeEvents(eventsOf(ended));
    });
  }

  /** Sessions matching the condition, with their owners (read inside a unit of work, before ending them). */
  private sessionsWithUsers(db: Db, where: SQL): EndedSession[] {
    return db
      .select({
        session: sessionColumns,
        user: { id: users.id, username: users.username },
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(where)
      .all();
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    return this.db.select(userColumns).from(users).where(eq(users.username, username)).get() ?? null;
  }

  async takenUsernames(usernames: string[]): Promise<Set<string>> {
    if (usernames.length === 0) return new Set();
    const rows = this.hot.takenUsernames.all({ names: JSON.stringify(usernames) });
    return new Set(rows.map((r) => r.username));
  }

  async insertUsers(groupId: string, role: MemberRole, plan: UserPlan, remember?: Remember): Promise<void> {
    const hot = this.hot;
    await this.write(() => {
      this.assertKeyFree(remember);
      // Read inside the IMMEDIATE transaction: no other writer can take a name before the inserts.
      for (const { user, events: userEvents } of plan.decide(this.takenNames(plan))) {
        hot.insertUser.run({ ...user, emailNormalized: user.email.toLowerCase() });
        hot.insertMembership.run({ groupId, userId: user.id, role, createdAt: user.createdAt });
        this.writeEvents(userEvents);
      }
      this.settleKey(remember, undefined);
    });
  }

  /** Which of the plan's usernames and emails are taken: a lookup each when they are few, else one query each. */
  private takenNames(plan: UserPlan): TakenNames {
    const hot = this.hot;
    if (plan.usernames.length + plan.emails.length <= 4) {
      return {
        usernames: new Set(plan.usernames.filter((username) => hot.userIdByUsername.get({ username }))),
        emails: new Set(plan.emails.filter((email) => hot.userIdByEmail.get({ email }))),
      };
    }
    return {
      usernames: new Set(hot.takenUsernames.all({ names: JSON.stringify(plan.usernames) }).map((r) => r.username)),
      emails: new Set(hot.takenEmails.all({ emails: JSON.stringify(plan.emails) }).map((r) => r.email)),
    };
  }

  /** The outcome remembered under the claim's key and field, if live (inside a unit of work). */
  private storedOutcome(claim: IdempotencyClaim): StoredOutcome | null {
    const row = this.hot.idempotencyOutcome.get({ groupId: claim.groupId, key: claim.key, field: claim.field, now: claim.createdAt });
    return row ?? null;
  }

  /** Remembers the claim's outcome (inside a unit of work), replacing an expired one. */
  private writeOutcome(claim: IdempotencyClaim, outcome: string): void {
    this.hot.rememberOutcome.run({ ...claim, outcome });
  }

  async findMembersByEmails(groupId: string, emails: string[]): Promise<MemberRecord[]> {
    if (emails.length === 0) return [];
    return this.hot.membersByEmails.all({ groupId, emails: JSON.stringify(emails) });
  }

  async findMember(groupId: string, username: string): Promise<MemberRecord | null> {
    return this.hot.member.get({ groupId, username }) ?? null;
  }

  async upsertMembership(
    groupId: string,
    userId: string,
    role: MemberRole,
    at: number,
    eventsOf: EventsOf<{ previousRole: MemberRole | null; member: MemberRecord }>,
  ): Promise<MemberRecord> {
    return this.write((tx) => {
      const pair = and(eq(memberships.groupId, groupId), eq(memberships.userId, userId));
      const previousRole = tx.select({ role: memberships.role }).from(memberships).where(pair).get()?.role ?? null;
      tx.insert(memberships)
        .values({ groupId, userId, role, createdAt: at })
        .onConflictDoUpdate({ target: [memberships.groupId, memberships.userId], set: { role } })
        .run();
      const member = tx
        .select({ user: userColumns, role: memberships.role, joinedAt: memberships.createdAt })
        .from(memberships)
        .innerJoin(users, eq(users.id, memberships.userId))
        .where(pair)
        .get()!;
      if (previousRole !== role) this.writeEvents(eventsOf({ previousRole, member }));
      return member;
    });
  }

  async removeMembership(
    groupId: string,
    userId: string,
    options: { keepLastAdmin?: boolean },
    eventsOf: EventsOf<{ role: MemberRole; sessionIds: string[] }>,
    remember?: Remember<{ revokedSessions: number }>,
  ): Promise<RemoveMembershipOutcome> {
    return this.write((tx): RemoveMembershipOutcome => {
      this.assertKeyFree(remember);
      const pair = and(eq(memberships.groupId, groupId), eq(memberships.userId, userId));
      const member = tx.select({ role: memberships.role }).from(memberships).where(pair).get();
      if (!member) return { ok: false, reason: 'not-member' };
      if (options.keepLastAdmin && member.role === 'admin' && this.countAdminsIn(tx, groupId) <= 1) {
        return { ok: false, reason: 'last-admin' };
      }
      tx.delete(memberships).where(pair).run();
      const ended = tx
        .delete(sessions)
        .where(and(eq(sessions.groupId, groupId), eq(sessions.userId, userId)))
        .returning({ id: sessions.id })
        .all();
      const sessionIds = ended.map((s) => s.id);
      this.writeEvents(eventsOf({ role: member.role, sessionIds }));
      const revokedSessions = sessionIds.length;
      this.settleKey(remember, { revokedSessions });
      return { ok: true, revokedSessions };
    });
  }

  async countAdmins(groupId: string): Promise<number> {
    return this.countAdminsIn(this.db, groupId);
  }

  private countAdminsIn(db: Db, groupId: string): number {
    return db
      .select({ n: sql<number>`count(*)` })
      .from(memberships)
      .where(and(eq(memberships.groupId, groupId), eq(memberships.role, 'admin')))
      .get()!.n;
  }

  async listMembers(
    groupId: string,
    limit: number,
    after: { joinedAt: number; userId: string } | null,
    usernamePrefix: string | null = null,
  ): Promise<MemberRecord[]> {
    const cursor = after
      ? or(
          gt(memberships.createdAt, after.joinedAt),
          and(eq(memberships.createdAt, after.joinedAt), gt(memberships.userId, after.userId)),
        )
      : undefined;
    // A range of the username index: every name that starts with the prefix sorts
    // from it up to it followed by "~", which sorts after a-z, 0-9 and "-".
    const prefix = usernamePrefix
      ? and(gte(users.username, usernamePrefix), lt(users.username, `${usernamePrefix}~`))
      : undefined;
    return this.db
      .select({ user: userColumns, role: memberships.role, joinedAt: memberships.createdAt })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.groupId, groupId), cursor, prefix))
      .orderBy(asc(memberships.createdAt), asc(memberships.userId))
      .limit(limit)
      .all();
  }

  async countGroupContents(groupId: string, now: number): Promise<GroupCounts> {
    const count = (table: SQLiteTable, where: SQL | undefined) => sql<number>`(SELECT count(*) FROM ${table} WHERE ${where})`;
    return this.db
      .select({
        members: count(memberships, eq(memberships.groupId, groupId)),
        admins: count(memberships, and(eq(memberships.groupId, groupId), eq(memberships.role, 'admin'))),
        apiTokens: count(apiTokens, and(eq(apiTokens.groupId, groupId), isNull(apiTokens.revokedAt))),
        sessions: count(sessions, and(eq(sessions.groupId, groupId), gt(sessions.expiresAt, now))),
        webhookEndpoints: count(webhookEndpoints, and(eq(webhookEndpoints.groupId, groupId), isNull(webhookEndpoints.deletedAt))),
      })
      .from(groups)
      .where(eq(groups.id, groupId))
      // Groups are never removed (only marked deleted), so the row is there.
      .get()!;
  }

  async insertApiToken(token: ApiTokenRecord & { tokenHash: string }, newEvents: NewEvent[], remember?: Remember): Promise<void> {
    await this.write((tx) => {
      this.assertKeyFree(remember);
      tx.insert(apiTokens).values(token).run();
      this.writeEvents(newEvents);
      this.settleKey(remember, undefined);
    });
  }

  async findApiTokenByHash(tokenHash: string): Promise<{ token: ApiTokenRecord; group: GroupRecord } | null> {
    return this.hot.apiTokenByHash.get({ hash: tokenHash }) ?? null;
  }

  async findApiToken(id: string): Promise<ApiTokenRecord | null> {
    return this.db.select(tokenColumns).from(apiTokens).where(eq(apiTokens.id, id)).get() ?? null;
  }

  async listApiTokens(groupId: string): Promise<ApiTokenRecord[]> {
    return this.db
      .select(tokenColumns)
      .from(apiTokens)
      .where(eq(apiTokens.groupId, groupId))
      .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id))
      .all();
  }

  async revokeApiToken(id: string, at: number, eventsOf: EventsOf<ApiTokenRecord>): Promise<ApiTokenRecord | null> {
    return this.write((tx) => {
      const revoked = tx
        .update(apiTokens)
        .set({ revokedAt: at })
        .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
        .run().changes;
      const token = tx.select(tokenColumns).from(apiTokens).where(eq(apiTokens.id, id)).get() ?? null;
      if (token && revoked > 0) this.writeEvents(eventsOf(token));
      return token;
    });
  }

  async touchApiTokens(lastUsed: Map<string, number>): Promise<void> {
    if (lastUsed.size === 0) return;
    await this.write((tx) => {
      for (const [id, at] of lastUsed) {
        tx.update(apiTokens)
          .set({ lastUsedAt: sql`max(coalesce(${apiTokens.lastUsedAt}, 0), ${at})` })
          .where(eq(apiTokens.id, id))
          .run();
      }
    });
  }

  async recordEvents(newEvents: NewEvent[], remember?: Remember): Promise<void> {
    await this.write(
      () => {
        this.assertKeyFree(remember);
        this.writeEvents(newEvents);
        this.settleKey(remember, undefined);
      },
      newEvents.length === 1 && !remember,
    );
  }

  async findIdempotencyOutcomes(groupId: string, key: string, now: number): Promise<StoredOutcome[]> {
    return this.hot.idempotencyOutcomes.all({ groupId, key, now });
  }

  async rememberOutcome(claim: IdempotencyClaim, outcome: string): Promise<StoredOutcome> {
    return this.write(() => {
      const used = this.storedOutcome(claim);
      if (used) return used;
      this.writeOutcome(claim, outcome);
      return { field: claim.field, fingerprint: claim.fingerprint, outcome };
    });
  }

  async createSessionUsingSsoToken(
    sso: { jti: string; expiresAt: number },
    session: NewSession,
    newEvents: NewEvent[],
    replacing?: { sessionId: string; events: NewEvent[] },
  ): Promise<CreateSessionOutcome> {
    const hot = this.hot;
    let created: boolean;
    try {
      created = await this.commitTogether((): boolean => {
        const inserted = hot.useSsoToken.run({ jti: sso.jti, usedAt: session.createdAt, expiresAt: sso.expiresAt });
        if (inserted.changes === 0) return false;
        hot.insertSession.run({ ...session });
        this.writeEvents(newEvents);
        if (replacing && hot.deleteGroupSession.run({ id: replacing.sessionId, groupId: session.groupId }).changes > 0) {
          this.writeEvents(replacing.events);
        }
        return true;
      });
    } catch (error) {
      throw new StorageWriteError(error);
    }
    return created ? { ok: true } : { ok: false, reason: 'sso-token-used' };
  }

  async findSsoTokenUse(jti: string): Promise<SsoTokenUseRecord | null> {
    return this.hot.ssoTokenUse.get({ jti }) ?? null;
  }

  async findLiveSession(
    tokenHash: string,
    now: number,
  ): Promise<{ session: SessionRecord; user: UserRecord; group: GroupRecord } | null> {
    return this.hot.liveSession.get({ hash: tokenHash, now }) ?? null;
  }

  async deleteSessionByHash(tokenHash: string, newEvents: NewEvent[]): Promise<boolean> {
    return this.write((tx) => {
      const ended = tx.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).run().changes > 0;
      if (ended) this.writeEvents(newEvents);
      return ended;
    });
  }

  async deleteSession(groupId: string, id: string, eventsOf: EventsOf<EndedSession>): Promise<boolean> {
    return this.write((tx) => {
      const [found] = this.sessionsWithUsers(tx, and(eq(sessions.groupId, groupId), eq(sessions.id, id))!);
      if (!found) return false;
      tx.delete(sessions).where(eq(sessions.id, id)).run();
      this.writeEvents(eventsOf(found));
      return true;
    });
  }

  async listSessions(
    groupId: string,
    now: number,
    limit: number,
    after: { createdAt: number; id: string } | null,
  ): Promise<Array<{ session: SessionRecord; user: UserRecord }>> {
    const cursor = after
      ? or(gt(sessions.createdAt, after.createdAt), and(eq(sessions.createdAt, after.createdAt), gt(sessions.id, after.id)))
      : undefined;
    return this.db
      .select({
        session: sessionColumns,
        user: userColumns,
      })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.groupId, groupId), gt(sessions.expiresAt, now), cursor))
      .orderBy(asc(sessions.createdAt), asc(sessions.id))
      .limit(limit)
      .all();
  }

  async purgeExpired(now: number, eventsOf: EventsOf<EndedSession[]>): Promise<number> {
    return this.write((tx) => {
      const expired = this.sessionsWithUsers(tx, lt(sessions.expiresAt, now));
      const gone =
        tx.delete(sessions).where(lt(sessions.expiresAt, now)).run().changes +
        tx.delete(ssoTokenUses).where(lt(ssoTokenUses.expiresAt, now)).run().changes +
        tx.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now)).run().changes;
      this.writeEvents(eventsOf(expired));
      return gone;
    });
  }

  async listEvents(groupId: string, filter: EventFilter): Promise<EventRecord[]> {
    const { after, types, since, limit } = filter;
    const where = [after ? gt(events.seq, after.seq) : undefined, since !== null ? gte(events.occurredAt, since) : undefined];
    return this.selectEvents(groupId, types, where, asc(events.seq), limit);
  }

  async listRecentEvents(groupId: string, filter: RecentEventFilter): Promise<EventRecord[]> {
    const { before, types, limit } = filter;
    return this.selectEvents(groupId, types, [before ? lt(events.seq, before.seq) : undefined], desc(events.seq), limit);
  }

  /** The group's events of these types (null: all) that meet the conditions, in this order. */
  private selectEvents(
    groupId: string,
    types: string[] | null,
    where: Array<SQL | undefined>,
    order: SQL,
    limit: number,
  ): EventRecord[] {
    const rows = this.db
      .select()
      .from(events)
      .where(and(eq(events.groupId, groupId), types ? inArray(events.type, types) : undefined, ...where))
      .orderBy(order)
      .limit(limit)
      .all();
    return rows.map((row) => eventRecord(row, { tx: '0', seq: row.seq }));
  }

  async feedCaughtUp(): Promise<boolean> {
    return true;
  }

  async eventFeedLag(): Promise<number> {
    return 0;
  }

  async purgeEvents(before: number): Promise<number> {
    return this.write((tx) => {
      // Events are in time order by `seq`: the first one young enough to keep marks where
      // the purge stops, found by reading only the events it deletes.
      const kept = tx.select({ seq: events.seq }).from(events).where(gte(events.occurredAt, before)).orderBy(asc(events.seq)).limit(1).get();
      return tx.delete(events).where(kept ? lt(events.seq, kept.seq) : undefined).run().changes;
    });
  }

  // -------------------------------------------------------------------------
  // Webhooks (API.md §14). Leases use this machine's clock, which every process
  // sharing the file shares; claims are IMMEDIATE transactions, so two processes
  // never take the same endpoint.

  async insertWebhookEndpoint(endpoint: NewWebhookEndpoint, newEvents: NewEvent[], remember?: Remember): Promise<void> {
    await this.write((tx) => {
      this.assertKeyFree(remember);
      // Writers take turns, so the last sequence number now is the feed's present.
      const last = tx.select({ seq: sql<number | null>`max(${events.seq})` }).from(events).get()?.seq ?? 0;
      tx.insert(webhookEndpoints)
        .values({ ...endpoint, types: typesColumn(endpoint.types), cursorTx: '0', cursorSeq: last, startSnapshot: null })
        .run();
      this.writeEvents(newEvents);
      this.settleKey(remember, undefined);
    });
  }

  async deleteWebhookEndpoint(
    groupId: string,
    id: string,
    at: number,
    eventsOf: EventsOf<WebhookEndpointRecord>,
    remember?: Remember<WebhookEndpointRecord>,
  ): Promise<WebhookEndpointRecord | null> {
    return this.write((tx) => {
      this.assertKeyFree(remember);
      const live = and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.groupId, groupId), isNull(webhookEndpoints.deletedAt));
      const row = tx.select(webhookEndpointColumns).from(webhookEndpoints).where(live).get();
      if (!row) return null;
      tx.update(webhookEndpoints).set({ deletedAt: at, leaseOwner: null, leaseUntil: null }).where(live).run();
      const endpoint = webhookEndpointRecord(row);
      this.writeEvents(eventsOf(endpoint));
      this.settleKey(remember, endpoint);
      return endpoint;
    });
  }

  async listWebhookEndpoints(groupId: string): Promise<WebhookEndpointRecord[]> {
    return this.db
      .select(webhookEndpointColumns)
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.groupId, groupId), isNull(webhookEndpoints.deletedAt)))
      .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id))
      .all()
      .map(webhookEndpointRecord);
  }

  async listWebhookAttempts(endpointId: string, limit: number): Promise<WebhookAttemptRecord[]> {
    return this.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.endpointId, endpointId))
      .orderBy(desc(webhookDeliveries.attemptedAt), desc(webhookDeliveries.id))
      .limit(limit)
      .all();
  }

  async claimWebhookEndpoints(owner: string, leaseMs: number, limit: number, now: number): Promise<ClaimedWebhookEndpoint[]> {
    const claimable = (db: Db, clock: number) =>
      db
        .select()
        .from(webhookEndpoints)
        .where(
          and(
            isNull(webhookEndpoints.deletedAt),
            isNull(webhookEndpoints.disabledAt),
            or(isNull(webhookEndpoints.leaseOwner), lt(webhookEndpoints.leaseUntil, clock)),
            or(isNull(webhookEndpoints.nextAttemptAt), lte(webhookEndpoints.nextAttemptAt, now)),
          ),
        )
        .orderBy(asc(webhookEndpoints.id))
        .limit(limit)
        .all();
    // Asked several times a second by every process: a read first, so that a round
    // with nothing to claim takes no write lock.
    if (claimable(this.db, Date.now()).length === 0) return [];
    return this.write((tx) => {
      const clock = Date.now();
      const rows = claimable(tx, clock);
      if (rows.length === 0) return [];
      tx.update(webhookEndpoints)
        .set({ leaseOwner: owner, leaseUntil: clock + leaseMs })
        .where(inArray(webhookEndpoints.id, rows.map((r) => r.id)))
        .run();
      return rows.map(claimedWebhookEndpoint);
    });
  }

  async renewWebhookLeases(owner: string, leaseMs: number): Promise<string[]> {
    return this.write((tx) =>
      tx
        .update(webhookEndpoints)
        .set({ leaseUntil: Date.now() + leaseMs })
        .where(and(eq(webhookEndpoints.leaseOwner, owner), isNull(webhookEndpoints.deletedAt), isNull(webhookEndpoints.disabledAt)))
        .returning({ id: webhookEndpoints.id })
        .all()
        .map((r) => r.id),
    );
  }

  private preparedWebhooks: ReturnType<SqliteStore['prepareWebhookStatements']> | null = null;

  private prepareWebhookStatements() {
    const p = sql.placeholder;
    return {
      insertAttempt: this.db
        .insert(webhookDeliveries)
        .values({
          id: p('id'),
          endpointId: p('endpointId'),
          eventId: p('eventId'),
          eventType: p('eventType'),
          attempt: p('attempt'),
          attemptedAt: p('attemptedAt'),
          status: p('status'),
          error: p('error'),
          nextAttemptAt: p('nextAttemptAt'),
        })
        .prepare(),
      progress: this.sqlite.prepare(
        `UPDATE webhook_endpoints SET
           cursor_seq = coalesce(@cursorSeq, cursor_seq),
           head_attempts = @headAttempts,
           next_attempt_at = @nextAttemptAt,
           disabled_at = coalesce(disabled_at, @disabledAt),
           lease_owner = CASE WHEN @release THEN NULL ELSE lease_owner END,
           lease_until = CASE WHEN @release THEN NULL ELSE lease_until END
         WHERE id = @id AND lease_owner = @owner AND deleted_at IS NULL`,
      ),
    };
  }

  async recordWebhookProgress(owner: string, progress: WebhookProgress[], attempts: WebhookAttemptRecord[]): Promise<string[]> {
    if (progress.length === 0 && attempts.length === 0) return [];
    this.preparedWebhooks ??= this.prepareWebhookStatements();
    const statements = this.preparedWebhooks;
    return this.write(() => {
      const dropped: string[] = [];
      for (const attempt of attempts) statements.insertAttempt.run({ ...attempt });
      for (const p of progress) {
        const { changes } = statements.progress.run({
          id: p.endpointId,
          owner,
          cursorSeq: p.cursor?.seq ?? null,
          headAttempts: p.headAttempts,
          nextAttemptAt: p.nextAttemptAt,
          disabledAt: p.disabledAt,
          release: p.release ? 1 : 0,
        });
        if (changes === 0) dropped.push(p.endpointId);
      }
      return dropped;
    });
  }

  async hasWebhookEndpoints(): Promise<boolean> {
    const live = and(isNull(webhookEndpoints.deletedAt), isNull(webhookEndpoints.disabledAt));
    return this.db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(live).limit(1).get() !== undefined;
  }

  async holdsWebhookEndpoint(owner: string, endpointId: string): Promise<boolean> {
    const row = this.db
      .select({ id: webhookEndpoints.id })
      .from(webhookEndpoints)
      .where(
        and(
          eq(webhookEndpoints.id, endpointId),
          eq(webhookEndpoints.leaseOwner, owner),
          isNull(webhookEndpoints.deletedAt),
          isNull(webhookEndpoints.disabledAt),
        ),
      )
      .get();
    return row !== undefined;
  }

  async releaseWebhookLeases(owner: string): Promise<void> {
    await this.write((tx) =>
      tx.update(webhookEndpoints).set({ leaseOwner: null, leaseUntil: null }).where(eq(webhookEndpoints.leaseOwner, owner)).run(),
    );
  }

  async purgeWebhookAttempts(before: number): Promise<number> {
    return this.write((tx) => tx.delete(webhookDeliveries).where(lt(webhookDeliveries.attemptedAt, before)).run().changes);
  }
}

const webhookEndpointColumns = {
  id: webhookEndpoints.id,
  groupId: webhookEndpoints.groupId,
  url: webhookEndpoints.url,
  types: webhookEndpoints.types,
  createdAt: webhookEndpoints.createdAt,
  disabledAt: webhookEndpoints.disabledAt,
};

/** Opens (creating the file and folder if needed) and migrates the SQLite database. */
export function openSqliteStore(databaseUrl: string, options?: SqliteOptions): SqliteStore {
  const store = new SqliteStore(sqlitePath(databaseUrl), options);
  try {
    store.migrate();
  } catch (error) {
    store.sqlite.close();
    throw error;
  }
  return store;
}
