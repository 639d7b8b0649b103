/**
 * The Store on PostgreSQL (node-postgres pool through drizzle), for deployments
 * that run several instances on one database.
 *
 * Concurrency: READ COMMITTED (the default) plus unique constraints. Writes that
 * must be all-or-nothing and are hot are single statements (data-modifying CTEs):
 * one round trip, atomic on their own, and a concurrent duplicate waits on the
 * unique index and then loses with a typed outcome. Rarer multi-statement writes
 * use a transaction. Deadlocks and serialization failures are retried a few times.
 */
import { fileURLToPath } from 'node:url';
import { and, asc, count, eq, gt, isNull, lt, or, type SQL, sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import type {
  ApiTokenRecord,
  CreateSessionOutcome,
  GroupChanges,
  GroupRecord,
  InsertUserOutcome,
  MemberRecord,
  MemberRole,
  NewSession,
  NewUser,
  RemoveMembershipOutcome,
  SessionRecord,
  SsoTokenUseRecord,
  Store,
  StoreUsage,
  UserRecord,
} from '../store.ts';
import { StorageWriteError } from '../store.ts';
import * as schema from './schema.ts';
import { apiTokens, groups, memberships, sessions, settings, ssoTokenUses, users } from './schema.ts';

const migrationsFolder = fileURLToPath(new URL('../../../drizzle/postgres', import.meta.url));

/** `postgres://…` or `postgresql://…`: the URLs that select this store. */
export function isPostgresUrl(databaseUrl: string): boolean {
  return /^postgres(ql)?:\/\//i.test(databaseUrl);
}

export interface PostgresOptions {
  /** Connections this process keeps at most (per instance, not per deployment). */
  poolSize?: number;
  /**
   * Schema holding the tables, created if missing and put first on the search_path.
   * Without it the connection's own search_path decides (the server's default, or
   * `?options=-c%20search_path%3Dname` in DATABASE_URL). Not both: `options` in the
   * URL takes precedence over this one.
   */
  schema?: string;
  /** How long a query waits for a free pooled connection before failing. */
  connectionTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

type Db = NodePgDatabase<typeof schema>;

const userColumns = {
  id: users.id,
  username: users.username,
  email: users.email,
  firstName: users.firstName,
  lastName: users.lastName,
  createdAt: users.createdAt,
};

const tokenColumns = {
  id: apiTokens.id,
  groupId: apiTokens.groupId,
  label: apiTokens.label,
  createdAt: apiTokens.createdAt,
  lastUsedAt: apiTokens.lastUsedAt,
  revokedAt: apiTokens.revokedAt,
};

const sessionColumns = {
  id: sessions.id,
  userId: sessions.userId,
  groupId: sessions.groupId,
  createdAt: sessions.createdAt,
  expiresAt: sessions.expiresAt,
};

/** The PostgreSQL server error under a drizzle wrapper, if any. */
export function pgErrorOf(error: unknown): pg.DatabaseError | null {
  let current: unknown = error;
  for (let i = 0; current && i < 4; i++) {
    if (current instanceof pg.DatabaseError) return current;
    current = (current as { cause?: unknown }).cause;
  }
  return null;
}

/** The name of the unique constraint the error violated (SQLSTATE 23505), if that is what it is. */
export function violatedUniqueConstraint(error: unknown): string | null {
  const found = pgErrorOf(error);
  return found?.code === '23505' ? (found.constraint ?? null) : null;
}

/** serialization_failure and deadlock_detected: the statement may succeed if run again. */
function isRetryable(error: unknown): boolean {
  const code = pgErrorOf(error)?.code;
  return code === '40001' || code === '40P01';
}

const WRITE_ATTEMPTS = 4;

/**
 * The hot all-or-nothing writes as single statements, kept as SQL text so they run
 * as named prepared statements (parsed once per connection).
 */
const statements = {
  insertUserWithMembership: {
    name: 'team_api_insert_user_with_membership',
    text: `WITH new_user AS (
        INSERT INTO users (id, username, email, email_normalized, first_name, last_name, created_at)
        VALUES ($1, $2, $3, $4, $5, $6, $7)
        RETURNING id
      )
      INSERT INTO memberships (group_id, user_id, role, created_at)
      SELECT $8, id, $9, $7 FROM new_user`,
  },
  // The jti insert waits on a concurrent use of the same jti and then does nothing;
  // no jti row, no session row.
  createSessionUsingSsoToken: {
    name: 'team_api_create_session_using_sso_token',
    text: `WITH use AS (
        INSERT INTO sso_token_uses (jti, used_at, expires_at)
        VALUES ($1, $2, $3)
        ON CONFLICT (jti) DO NOTHING
        RETURNING jti
      )
      INSERT INTO sessions (id, token_hash, user_id, group_id, created_at, expires_at)
      SELECT $4, $5, $6, $7, $2, $8 FROM use`,
  },
  touchApiTokens: {
    name: 'team_api_touch_api_tokens',
    text: `UPDATE api_tokens AS t
      SET last_used_at = GREATEST(COALESCE(t.last_used_at, 0), u.at)
      FROM unnest($1::text[], $2::bigint[]) AS u(id, at)
      WHERE t.id = u.id`,
  },
} as const;

async function currentSchema(client: pg.PoolClient): Promise<string | null> {
  const { rows } = await client.query<{ schema: string | null }>('SELECT current_schema() AS schema');
  return rows[0]?.schema ?? null;
}

/** Reads that every request makes, prepared once (a named statement on each connection). */
function prepareReads(db: Db) {
  const p = sql.placeholder;
  return {
    getSetting: db
      .select({ value: settings.value })
      .from(settings)
      .where(eq(settings.key, p('key')))
      .prepare('team_api_get_setting'),
    findGroupBySlug: db
      .select()
      .from(groups)
      .where(and(eq(groups.slug, p('slug')), isNull(groups.deletedAt)))
      .prepare('team_api_find_group_by_slug'),
    findGroupById: db.select().from(groups).where(eq(groups.id, p('id'))).prepare('team_api_find_group_by_id'),
    findUserByUsername: db
      .select(userColumns)
      .from(users)
      .where(eq(users.username, p('username')))
      .prepare('team_api_find_user_by_username'),
    takenUsernames: db
      .select({ username: users.username })
      .from(users)
      .where(sql`${users.username} = ANY(${p('usernames')}::text[])`)
      .prepare('team_api_taken_usernames'),
    findMember: db
      .select({ user: userColumns, role: memberships.role, joinedAt: memberships.createdAt })
      .from(users)
      .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.groupId, p('groupId'))))
      .where(eq(users.username, p('username')))
      .prepare('team_api_find_member'),
    findApiTokenByHash: db
      .select({ token: tokenColumns, group: groups })
      .from(apiTokens)
      .innerJoin(groups, eq(groups.id, apiTokens.groupId))
      .where(eq(apiTokens.tokenHash, p('tokenHash')))
      .prepare('team_api_find_api_token_by_hash'),
    findApiToken: db
      .select(tokenColumns)
      .from(apiTokens)
      .where(eq(apiTokens.id, p('id')))
      .prepare('team_api_find_api_token'),
    findSsoTokenUse: db
      .select()
      .from(ssoTokenUses)
      .where(eq(ssoTokenUses.jti, p('jti')))
      .prepare('team_api_find_sso_token_use'),
    findLiveSession: db
      .select({ session: sessionColumns, user: userColumns, group: groups })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .innerJoin(groups, eq(groups.id, sessions.groupId))
      .where(and(eq(sessions.tokenHash, p('tokenHash')), gt(sessions.expiresAt, p('now')), isNull(groups.deletedAt)))
      .prepare('team_api_find_live_session'),
  };
}

export class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  /** The schema named in the options, if any (else the search_path's). */
  readonly schema: string | null;
  private readonly db: Db;
  private readonly prepared: ReturnType<typeof prepareReads>;
  private closed = false;

  constructor(databaseUrl: string, options: PostgresOptions = {}) {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new Error(`invalid PostgreSQL schema name "${options.schema}"`);
    }
    this.schema = options.schema ?? null;
    this.pool = new pg.Pool({
      connectionString: databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 10_000,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle connection the server dropped (restart, failover) is discarded by the
    // pool and replaced on next use; without a listener it would crash the process.
    this.pool.on('error', () => {});
    this.db = drizzle({ client: this.pool, schema });
    this.prepared = prepareReads(this.db);
  }

  /**
   * Creates the configured schema if needed and applies pending migrations. Instances
   * starting together take turns on an advisory lock, so none applies a migration twice.
   * Migration bookkeeping lives in the same schema as the tables.
   */
  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      const target = this.schema ?? (await currentSchema(client));
      if (!target) throw new Error('the search_path names no existing schema: create it, or fix DATABASE_URL');
      // Taken before CREATE SCHEMA too: concurrent IF NOT EXISTS can still collide.
      const lockKey = `team-api:migrate:${target}`;
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [lockKey]);
      try {
        if (this.schema) await client.query(`CREATE SCHEMA IF NOT EXISTS "${this.schema}"`);
        await migrate(drizzle({ client }), { migrationsFolder, migrationsSchema: target });
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [lockKey]);
      }
    } finally {
      client.release();
    }
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  usage(): StoreUsage {
    const { options, totalCount, idleCount, waitingCount } = this.pool;
    return { dialect: 'postgres', pool: { max: options.max, total: totalCount, idle: idleCount, waiting: waitingCount } };
  }

  /** Runs a write, retrying transient conflicts; any other failure becomes a StorageWriteError. */
  private async write<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (attempt < WRITE_ATTEMPTS && isRetryable(error)) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
          continue;
        }
        throw new StorageWriteError(error);
      }
    }
  }

  private run(statement: { name: string; text: string }, values: unknown[]): Promise<pg.QueryResult> {
    return this.pool.query({ name: statement.name, text: statement.text, values });
  }

  async getSetting(key: string): Promise<string | null> {
    return (await this.prepared.getSetting.execute({ key }))[0]?.value ?? null;
  }

  async putSettingIfAbsent(key: string, value: string): Promise<string> {
    return this.write(async () => {
      // DO UPDATE (to the same value) rather than DO NOTHING so the statement returns
      // the stored row even when another instance inserted it a moment ago.
      const [row] = await this.db
        .insert(settings)
        .values({ key, value })
        .onConflictDoUpdate({ target: settings.key, set: { value: sql`${settings.value}` } })
        .returning({ value: settings.value });
      return row!.value;
    });
  }

  async countGroups(): Promise<number> {
    return (await this.db.select({ n: count() }).from(groups))[0]!.n;
  }

  async findGroupBySlug(slug: string): Promise<GroupRecord | null> {
    return (await this.prepared.findGroupBySlug.execute({ slug }))[0] ?? null;
  }

  async findGroupById(id: string): Promise<GroupRecord | null> {
    return (await this.prepared.findGroupById.execute({ id }))[0] ?? null;
  }

  async insertGroup(group: GroupRecord): Promise<GroupRecord | null> {
    return this.write(async () => {
      // The partial unique index on live slugs decides; a taken slug inserts nothing.
      const inserted = await this.db.insert(groups).values(group).onConflictDoNothing().returning({ id: groups.id });
      return inserted.length > 0 ? group : null;
    });
  }

  async updateGroup(id: string, changes: GroupChanges): Promise<GroupRecord | null> {
    if (Object.keys(changes).length === 0) return this.findGroupById(id);
    return this.write(async () => {
      const [row] = await this.db.update(groups).set(changes).where(eq(groups.id, id)).returning();
      return row ?? null;
    });
  }

  async markGroupDeleted(id: string, at: number): Promise<void> {
    await this.write(() =>
      this.db.transaction(async (tx) => {
        await tx.update(groups).set({ deletedAt: at }).where(eq(groups.id, id));
        await tx.delete(sessions).where(eq(sessions.groupId, id));
      }),
    );
  }

  async findUserByUsername(username: string): Promise<UserRecord | null> {
    return (await this.prepared.findUserByUsername.execute({ username }))[0] ?? null;
  }

  async takenUsernames(usernames: string[]): Promise<Set<string>> {
    if (usernames.length === 0) return new Set();
    const rows = await this.prepared.takenUsernames.execute({ usernames });
    return new Set(rows.map((r) => r.username));
  }

  async insertUserWithMembership(user: NewUser, groupId: string, role: MemberRole): Promise<InsertUserOutcome> {
    return this.write(async () => {
      try {
        await this.run(statements.insertUserWithMembership, [
          user.id,
          user.username,
          user.email,
          user.email.toLowerCase(),
          user.firstName,
          user.lastName,
          user.createdAt,
          groupId,
          role,
        ]);
      } catch (error) {
        // A taken name is an answer, not a failure: the unique constraint is the
        // only check, so concurrent inserts of one name end with one winner.
        const constraint = violatedUniqueConstraint(error);
        if (constraint === 'users_username') return { ok: false, conflict: 'username' } as const;
        if (constraint === 'users_email_normalized') return { ok: false, conflict: 'email' } as const;
        throw error;
      }
      return { ok: true, user: { ...user } } as const;
    });
  }

  async findMember(groupId: string, username: string): Promise<MemberRecord | null> {
    return (await this.prepared.findMember.execute({ groupId, username }))[0] ?? null;
  }

  async upsertMembership(groupId: string, userId: string, role: MemberRole, at: number): Promise<MemberRecord> {
    return this.write(() =>
      this.db.transaction(async (tx) => {
        await tx
          .insert(memberships)
          .values({ groupId, userId, role, createdAt: at })
          .onConflictDoUpdate({ target: [memberships.groupId, memberships.userId], set: { role } });
        const [row] = await tx
          .select({ user: userColumns, role: memberships.role, joinedAt: memberships.createdAt })
          .from(memberships)
          .innerJoin(users, eq(users.id, memberships.userId))
          .where(and(eq(memberships.groupId, groupId), eq(memberships.userId, userId)));
        return row!;
      }),
    );
  }

  async removeMembership(
    groupId: string,
    userId: string,
    options: { keepLastAdmin?: boolean } = {},
  ): Promise<RemoveMembershipOutcome> {
    return this.write(() =>
      this.db.transaction(async (tx): Promise<RemoveMembershipOutcome> => {
        const pair = and(eq(memberships.groupId, groupId), eq(memberships.userId, userId));
        const [member] = await tx.select({ role: memberships.role }).from(memberships).where(pair).for('update');
        if (!member) return { ok: false, reason: 'not-member' };
        if (options.keepLastAdmin && member.role === 'admin') {
          // Locking every admin row of the group serialises concurrent removals,
          // so two admins removing each other cannot leave the group with none.
          const admins = await tx
            .select({ userId: memberships.userId })
            .from(memberships)
            .where(and(eq(memberships.groupId, groupId), eq(memberships.role, 'admin')))
            .for('update');
          if (admins.length <= 1) return { ok: false, reason: 'last-admin' };
        }
        await tx.delete(memberships).where(pair);
        const revoked = await tx.delete(sessions).where(and(eq(sessions.groupId, groupId), eq(sessions.userId, userId)));
        return { ok: true, revokedSessions: revoked.rowCount ?? 0 };
      }),
    );
  }

  async countAdmins(groupId: string): Promise<number> {
    const [row] = await this.db
      .select({ n: count() })
      .from(memberships)
      .where(and(eq(memberships.groupId, groupId), eq(memberships.role, 'admin')));
    return row!.n;
  }

  async listMembers(
    groupId: string,
    limit: number,
    after: { joinedAt: number; userId: string } | null,
  ): Promise<MemberRecord[]> {
    const cursor: SQL | undefined = after
      ? or(
          gt(memberships.createdAt, after.joinedAt),
          and(eq(memberships.createdAt, after.joinedAt), gt(memberships.userId, after.userId)),
        )
      : undefined;
    return this.db
      .select({ user: userColumns, role: memberships.role, joinedAt: memberships.createdAt })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.groupId, groupId), cursor))
      .orderBy(asc(memberships.createdAt), asc(memberships.userId))
      .limit(limit);
  }

  async insertApiToken(token: ApiTokenRecord & { tokenHash: string }): Promise<void> {
    await this.write(() => this.db.insert(apiTokens).values(token));
  }

  async findApiTokenByHash(tokenHash: string): Promise<{ token: ApiTokenRecord; group: GroupRecord } | null> {
    return (await this.prepared.findApiTokenByHash.execute({ tokenHash }))[0] ?? null;
  }

  async findApiToken(id: string): Promise<ApiTokenRecord | null> {
    return (await this.prepared.findApiToken.execute({ id }))[0] ?? null;
  }

  async listApiTokens(groupId: string): Promise<ApiTokenRecord[]> {
    return this.db
      .select(tokenColumns)
      .from(apiTokens)
      .where(eq(apiTokens.groupId, groupId))
      .orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
  }

  async revokeApiToken(id: string, at: number): Promise<ApiTokenRecord | null> {
    return this.write(async () => {
      // Revoking twice keeps the first revocation time.
      const [row] = await this.db
        .update(apiTokens)
        .set({ revokedAt: sql`COALESCE(${apiTokens.revokedAt}, ${at})` })
        .where(eq(apiTokens.id, id))
        .returning(tokenColumns);
      return row ?? null;
    });
  }

  async touchApiTokens(lastUsed: Map<string, number>): Promise<void> {
    if (lastUsed.size === 0) return;
    // Sorted so overlapping batches from several instances tend to lock rows in one
    // order; a deadlock that still happens is retried by write().
    const entries = [...lastUsed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    await this.write(() =>
      this.run(statements.touchApiTokens, [entries.map(([id]) => id), entries.map(([, at]) => at)]),
    );
  }

  async createSessionUsingSsoToken(
    sso: { jti: string; expiresAt: number },
    session: NewSession,
  ): Promise<CreateSessionOutcome> {
    return this.write(async () => {
      const result = await this.run(statements.createSessionUsingSsoToken, [
        sso.jti,
        session.createdAt,
        sso.expiresAt,
        session.id,
        session.tokenHash,
        session.userId,
        session.groupId,
        session.expiresAt,
      ]);
      return result.rowCount === 1 ? { ok: true } : { ok: false, reason: 'sso-token-used' };
    });
  }

  async findSsoTokenUse(jti: string): Promise<SsoTokenUseRecord | null> {
    return (await this.prepared.findSsoTokenUse.execute({ jti }))[0] ?? null;
  }

  async findLiveSession(
    tokenHash: string,
    now: number,
  ): Promise<{ session: SessionRecord; user: UserRecord; group: GroupRecord } | null> {
    return (await this.prepared.findLiveSession.execute({ tokenHash, now }))[0] ?? null;
  }

  async deleteSessionByHash(tokenHash: string): Promise<boolean> {
    return this.write(async () => {
      const result = await this.db.delete(sessions).where(eq(sessions.tokenHash, tokenHash));
      return (result.rowCount ?? 0) > 0;
    });
  }

  async deleteSession(groupId: string, id: string): Promise<boolean> {
    return this.write(async () => {
      const result = await this.db.delete(sessions).where(and(eq(sessions.groupId, groupId), eq(sessions.id, id)));
      return (result.rowCount ?? 0) > 0;
    });
  }

  async listSessions(
    groupId: string,
    now: number,
    limit: number,
    after: { createdAt: number; id: string } | null,
  ): Promise<Array<{ session: SessionRecord; user: UserRecord }>> {
    const cursor: SQL | undefined = after
      ? or(gt(sessions.createdAt, after.createdAt), and(eq(sessions.createdAt, after.createdAt), gt(sessions.id, after.id)))
      : undefined;
    return this.db
      .select({ session: sessionColumns, user: userColumns })
      .from(sessions)
      .innerJoin(users, eq(users.id, sessions.userId))
      .where(and(eq(sessions.groupId, groupId), gt(sessions.expiresAt, now), cursor))
      .orderBy(asc(sessions.createdAt), asc(sessions.id))
      .limit(limit);
  }

  async purgeExpired(now: number): Promise<number> {
    return this.write(() =>
      this.db.transaction(async (tx) => {
        const expiredSessions = await tx.delete(sessions).where(lt(sessions.expiresAt, now));
        const expiredUses = await tx.delete(ssoTokenUses).where(lt(ssoTokenUses.expiresAt, now));
        return (expiredSessions.rowCount ?? 0) + (expiredUses.rowCount ?? 0);
      }),
    );
  }
}

/** Connects, creates the schema if one is configured, and migrates. */
export async function openPostgresStore(databaseUrl: string, options?: PostgresOptions): Promise<PostgresStore> {
  const store = new PostgresStore(databaseUrl, options);
  try {
    await store.migrate();
  } catch (error) {
    await store.close();
    throw error;
  }
  return store;
}
