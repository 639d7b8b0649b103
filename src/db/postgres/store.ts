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
import { and, asc, count, desc, eq, gte, gt, inArray, isNull, like, lt, or, type SQL, sql } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import type { PgTable } from 'drizzle-orm/pg-core';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
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
import { claimedWebhookEndpoint, typesColumn, webhookEndpointRecord } from '../shared/webhooks.ts';
import * as schema from './schema.ts';
import { eventRecord, eventRow } from '../shared/events.ts';
import { apiTokens, events, groups, idempotencyKeys, memberships, sessions, settings, ssoTokenUses, users } from './schema.ts';
import { webhookDeliveries, webhookEndpoints } from './schema.ts';

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
 * The CTE `keyed` that claims an idempotency key (group, key, field, fingerprint,
 * outcome, created, expires), returning the row only if it took the key: free, or
 * expired. With a null key it inserts nothing.
 */
const claimCte = (...p: [string, string, string, string, string, string, string]) => `keyed AS (
    INSERT INTO idempotency_keys (group_id, key, field, fingerprint, outcome, created_at, expires_at)
    SELECT ${p[0]}::text, ${p[1]}::text, ${p[2]}::text, ${p[3]}::text, ${p[4]}::text, ${p[5]}::bigint, ${p[6]}::bigint
    WHERE ${p[1]}::text IS NOT NULL
    ON CONFLICT (group_id, key, field) DO UPDATE
      SET fingerprint = excluded.fingerprint, outcome = excluded.outcome,
          created_at = excluded.created_at, expires_at = excluded.expires_at
      WHERE idempotency_keys.expires_at < excluded.created_at
    RETURNING field, fingerprint, outcome
  )`;

/** Whether a keyed statement may write: unkeyed, or it took the key. */
const CLAIM_HOLDS = (keyParameter: string) => `(${keyParameter}::text IS NULL OR EXISTS (SELECT 1 FROM keyed))`;

/** The seven parameters of claimCte, all null when there is no claim. */
function claimParameters(claim: IdempotencyClaim | undefined, outcome: string | null): unknown[] {
  if (!claim) return [null, null, null, null, null, null, null];
  return [claim.groupId, claim.key, claim.field, claim.fingerprint, outcome, claim.createdAt, claim.expiresAt];
}

/** How often a user plan is decided again after losing a name to a concurrent writer. */
const MAX_PLAN_ATTEMPTS = 10;

const EVENT_COLUMNS =
  'id, group_id, type, occurred_at, actor_type, actor_id, actor_name, target_type, target_id, target_name, ip, user_agent, request_id, data';

/**
 * Inserts the events of a JSON array parameter (rows with the table's column names),
 * when `condition` holds: how a single-statement write carries its events.
 */
const insertEventsFrom = (parameter: string, condition = 'true') =>
  `INSERT INTO events (${EVENT_COLUMNS})
   SELECT ${EVENT_COLUMNS} FROM json_populate_recordset(NULL::events, ${parameter}::json) WHERE ${condition}`;

/** Events as the JSON array parameter of insertEventsFrom. */
function eventsJson(list: NewEvent[]): string {
  return JSON.stringify(
    list.map((event) => {
      const row = eventRow(event);
      return {
        id: row.id,
        group_id: row.groupId,
        type: row.type,
        occurred_at: row.occurredAt,
        actor_type: row.actorType,
        actor_id: row.actorId,
        actor_name: row.actorName,
        target_type: row.targetType,
        target_id: row.targetId,
        target_name: row.targetName,
        ip: row.ip,
        user_agent: row.userAgent,
        request_id: row.requestId,
        data: row.data,
      };
    }),
  );
}

/**
 * The hot all-or-nothing writes as single statements, kept as SQL text so they run
 * as named prepared statements (parsed once per connection). Each carries its
 * events: one statement is one transaction, so they commit together or not at all.
 */
const statements = {
  // The jti insert waits on a concurrent use of the same jti and then does nothing;
  // no jti row, no session row, no events. The session a browser had ($9) ends in
  // the same statement, with its events ($11), if it was still there.
  createSessionUsingSsoToken: {
    name: 'team_api_create_session_using_sso_token',
    text: `WITH use AS (
        INSERT INTO sso_token_uses (jti, used_at, expires_at)
        VALUES ($1, $2, $3)
        ON CONFLICT (jti) DO NOTHING
        RETURNING jti
      ), session AS (
        INSERT INTO sessions (id, token_hash, user_id, group_id, created_at, expires_at)
        SELECT $4, $5, $6, $7, $2, $8 FROM use
        RETURNING id
      ), created_events AS (
        ${insertEventsFrom('$10', 'EXISTS (SELECT 1 FROM session)')}
      ), replaced AS (
        DELETE FROM sessions WHERE id = $9 AND group_id = $7 AND EXISTS (SELECT 1 FROM use)
        RETURNING id
      ), replaced_events AS (
        ${insertEventsFrom('$11', 'EXISTS (SELECT 1 FROM replaced)')}
      )
      SELECT count(*)::int AS created FROM session`,
  },
  // Users from a JSON array ($1), their memberships and events ($4), and, when keyed
  // ($5..$11), the key's outcome: only if the key is free (or expired), else nothing
  // at all is written and `keyed` is 0. A concurrent request with the same key waits
  // here for the first to commit, then finds the key taken.
  insertUsers: {
    name: 'team_api_insert_users',
    text: `WITH ${claimCte('$5', '$6', '$7', '$8', '$9', '$10', '$11')},
      new_users AS (
        INSERT INTO users (id, username, email, email_normalized, first_name, last_name, created_at)
        SELECT id, username, email, email_normalized, first_name, last_name, created_at
        FROM json_populate_recordset(NULL::users, $1::json)
        WHERE ${CLAIM_HOLDS('$6')}
      ), new_memberships AS (
        INSERT INTO memberships (group_id, user_id, role, created_at)
        SELECT $2, u.id, $3, u.created_at FROM json_populate_recordset(NULL::users, $1::json) u
        WHERE ${CLAIM_HOLDS('$6')}
      ), new_events AS (
        ${insertEventsFrom('$4', CLAIM_HOLDS('$6'))}
      )
      SELECT (SELECT count(*) FROM keyed)::int AS keyed`,
  },
  recordEvents: {
    name: 'team_api_record_events',
    text: `WITH ${claimCte('$2', '$3', '$4', '$5', '$6', '$7', '$8')},
      new_events AS (${insertEventsFrom('$1', CLAIM_HOLDS('$3'))})
      SELECT (SELECT count(*) FROM keyed)::int AS keyed`,
  },
  rememberOutcome: {
    name: 'team_api_remember_outcome',
    text: `WITH ${claimCte('$1', '$2', '$3', '$4', '$5', '$6', '$7')} SELECT field, fingerprint, outcome FROM keyed`,
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
    findIdempotencyOutcomes: db
      .select({ field: idempotencyKeys.field, fingerprint: idempotencyKeys.fingerprint, outcome: idempotencyKeys.outcome })
      .from(idempotencyKeys)
      .where(
        and(eq(idempotencyKeys.groupId, p('groupId')), eq(idempotencyKeys.key, p('key')), gt(idempotencyKeys.expiresAt, p('now'))),
      )
      .prepare('team_api_find_idempotency_outcomes'),
    findMembersByEmails: db
      .select({ user: userColumns, role: memberships.role, joinedAt: memberships.createdAt })
      .from(users)
      .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.groupId, p('groupId'))))
      .where(sql`${users.emailNormalized} = ANY(${p('emails')}::text[])`)
      .prepare('team_api_find_members_by_emails'),
    takenEmails: db
      .select({ email: users.emailNormalized })
      .from(users)
      .where(sql`${users.emailNormalized} = ANY(${p('emails')}::text[])`)
      .prepare('team_api_taken_emails'),
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

  /**
   * A write transaction that, when keyed, takes the idempotency key first (a
   * concurrent request with it waits on the row, then finds it held: IdempotentReplay)
   * and stores the outcome when `work` calls `settle` with what it found. A keyed
   * transaction that wrote nothing (it never settled) is rolled back, claim and all.
   */
  private async keyedTransaction<T, F>(
    remember: Remember<F> | undefined,
    work: (tx: Tx, settle: (found: F) => Promise<void>) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.write(() =>
        this.db.transaction(async (tx) => {
          if (remember && !(await claimKey(tx, remember.claim))) throw new KeyHeld();
          let settled = false;
          const result = await work(tx, async (found) => {
            if (remember) await settleKey(tx, remember.claim, remember.outcome(found));
            settled = true;
          });
          if (remember && !settled) throw new NothingWritten(result);
          return result;
        }),
      );
    } catch (error) {
      const cause = error instanceof StorageWriteError ? error.cause : error;
      if (cause instanceof NothingWritten) return cause.result as T;
      if (cause instanceof KeyHeld) throw new IdempotentReplay(await this.storedOutcome(remember!.claim));
      throw error;
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

  async findLatestGroupBySlug(slug: string): Promise<GroupRecord | null> {
    const [row] = await this.db
      .select()
      .from(groups)
      .where(eq(groups.slug, slug))
      .orderBy(sql`${groups.deletedAt} IS NOT NULL`, desc(groups.deletedAt))
      .limit(1);
    return row ?? null;
  }

  async insertGroup(group: GroupRecord, newEvents: NewEvent[]): Promise<GroupRecord | null> {
    return this.write(() =>
      this.db.transaction(async (tx) => {
        // The partial unique index on live slugs decides; a taken slug inserts nothing.
        const inserted = await tx.insert(groups).values(group).onConflictDoNothing().returning({ id: groups.id });
        if (inserted.length === 0) return null;
        await insertEvents(tx, newEvents);
        return group;
      }),
    );
  }

  async updateGroup(
    id: string,
    changes: GroupChanges,
    eventsOf: EventsOf<{ before: GroupRecord; after: GroupRecord }>,
  ): Promise<GroupRecord | null> {
    if (Object.keys(changes).length === 0) return this.findGroupById(id);
    return this.write(() =>
      this.db.transaction(async (tx) => {
        const [before] = await tx.select().from(groups).where(eq(groups.id, id)).for('update');
        if (!before) return null;
        const [after] = await tx.update(groups).set(changes).where(eq(groups.id, id)).returning();
        await insertEvents(tx, eventsOf({ before, after: after! }));
        return after!;
      }),
    );
  }

  async markGroupDeleted(id: string, at: number, eventsOf: EventsOf<EndedSession[]>): Promise<void> {
    await this.write(() =>
      this.db.transaction(async (tx) => {
        await tx.update(groups).set({ deletedAt: at }).where(eq(groups.id, id));
        const ended = await endSessions(tx, eq(sessions.groupId, id));
        await insertEvents(tx, eventsOf(ended));
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

  async insertUsers(groupId: string, role: MemberRole, plan: UserPlan, remember?: Remember): Promise<void> {
    // One user with a wanted name (createUser's common case) is inserted at once: one
    // round trip. A larger plan reads first, as it will likely meet taken names.
    let taken: TakenNames =
      plan.usernames.length + plan.emails.length <= 2 ? { usernames: new Set(), emails: new Set() } : await this.takenNames(plan);
    for (let attempt = 1; ; attempt++) {
      const planned = plan.decide(taken);
      const rows = planned.map(({ user }) => ({
        id: user.id,
        username: user.username,
        email: user.email,
        email_normalized: user.email.toLowerCase(),
        first_name: user.firstName,
        last_name: user.lastName,
        created_at: user.createdAt,
      }));
      const claim = remember?.claim;
      try {
        const result = await this.write(() =>
          this.run(statements.insertUsers, [
            JSON.stringify(rows),
            groupId,
            role,
            eventsJson(planned.flatMap((p) => p.events)),
            ...claimParameters(claim, remember ? remember.outcome() : null),
          ]),
        );
        if (claim && result.rows[0].keyed === 0) throw new IdempotentReplay(await this.storedOutcome(claim));
        return;
      } catch (error) {
        // Someone took a name between the read and the insert (or the insert went
        // first): nothing was written; read again and let the plan decide again.
        const constraint = violatedUniqueConstraint(error);
        if ((constraint === 'users_username' || constraint === 'users_email_normalized') && attempt < MAX_PLAN_ATTEMPTS) {
          taken = await this.takenNames(plan);
          continue;
        }
        throw error;
      }
    }
  }

  private async takenNames(plan: UserPlan): Promise<TakenNames> {
    const [usernames, emails] = await Promise.all([
      this.takenUsernames(plan.usernames),
      plan.emails.length === 0
        ? []
        : this.prepared.takenEmails.execute({ emails: plan.emails }).then((rows) => rows.map((r) => r.email)),
    ]);
    return { usernames, emails: new Set(emails) };
  }

  /** The live outcome under the claim's key and field (which a write just found there). */
  private async storedOutcome(claim: IdempotencyClaim): Promise<StoredOutcome> {
    const stored = (await this.findIdempotencyOutcomes(claim.groupId, claim.key, claim.createdAt)).find((o) => o.field === claim.field);
    if (!stored) throw new StorageWriteError(new Error('an idempotency key was in use and then gone'));
    return stored;
  }

  async findIdempotencyOutcomes(groupId: string, key: string, now: number): Promise<StoredOutcome[]> {
    return this.prepared.findIdempotencyOutcomes.execute({ groupId, key, now });
  }

  async rememberOutcome(claim: IdempotencyClaim, outcome: string): Promise<StoredOutcome> {
    const result = await this.write(() => this.run(statements.rememberOutcome, claimParameters(claim, outcome)));
    return result.rows[0] ?? (await this.storedOutcome(claim));
  }

  async findMembersByEmails(groupId: string, emails: string[]): Promise<MemberRecord[]> {
    if (emails.length === 0) return [];
    return this.prepared.findMembersByEmails.execute({ groupId, emails });
  }

  async findMember(groupId: string, username: string): Promise<MemberRecord | null> {
    return (await this.prepared.findMember.execute({ groupId, username }))[0] ?? null;
  }

  async upsertMembership(
    groupId: string,
    userId: string,
    role: MemberRole,
    at: number,
    eventsOf: EventsOf<{ previousRole: MemberRole | null; member: MemberRecord }>,
  ): Promise<MemberRecord> {
    return this.write(() =>
      this.db.transaction(async (tx) => {
        const pair = and(eq(memberships.groupId, groupId), eq(memberships.userId, userId));
        const [previous] = await tx.select({ role: memberships.role }).from(memberships).where(pair).for('update');
        await tx
          .insert(memberships)
          .values({ groupId, userId, role, createdAt: at })
          .onConflictDoUpdate({ target: [memberships.groupId, memberships.userId], set: { role } });
        const [row] = await tx
          .select({ user: userColumns, role: memberships.role, joinedAt: memberships.createdAt })
          .from(memberships)
          .innerJoin(users, eq(users.id, memberships.userId))
          .where(pair);
        const previousRole = previous?.role ?? null;
        if (previousRole !== role) await insertEvents(tx, eventsOf({ previousRole, member: row! }));
        return row!;
      }),
    );
  }

  async removeMembership(
    groupId: string,
    userId: string,
    options: { keepLastAdmin?: boolean },
    eventsOf: EventsOf<{ role: MemberRole; sessionIds: string[] }>,
    remember?: Remember<{ revokedSessions: number }>,
  ): Promise<RemoveMembershipOutcome> {
    return this.keyedTransaction(remember, async (tx, settle): Promise<RemoveMembershipOutcome> => {
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
      const ended = await tx
        .delete(sessions)
        .where(and(eq(sessions.groupId, groupId), eq(sessions.userId, userId)))
        .returning({ id: sessions.id });
      const sessionIds = ended.map((s) => s.id);
      await insertEvents(tx, eventsOf({ role: member.role, sessionIds }));
      const revokedSessions = sessionIds.length;
      await settle({ revokedSessions });
      return { ok: true, revokedSessions };
    });
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
    usernamePrefix: string | null = null,
  ): Promise<MemberRecord[]> {
    const cursor: SQL | undefined = after
      ? or(
          gt(memberships.createdAt, after.joinedAt),
          and(eq(memberships.createdAt, after.joinedAt), gt(memberships.userId, after.userId)),
        )
      : undefined;
    // The prefix holds no LIKE wildcard (a-z, 0-9, -); users_username_prefix serves it.
    const prefix = usernamePrefix ? like(users.username, `${usernamePrefix}%`) : undefined;
    return this.db
      .select({ user: userColumns, role: memberships.role, joinedAt: memberships.createdAt })
      .from(memberships)
      .innerJoin(users, eq(users.id, memberships.userId))
      .where(and(eq(memberships.groupId, groupId), cursor, prefix))
      .orderBy(asc(memberships.createdAt), asc(memberships.userId))
      .limit(limit);
  }

  async countGroupContents(groupId: string, now: number): Promise<GroupCounts> {
    const count = (table: PgTable, where: SQL | undefined) => sql<number>`(SELECT count(*) FROM ${table} WHERE ${where})::int`;
    const [row] = await this.db
      .select({
        members: count(memberships, eq(memberships.groupId, groupId)),
        admins: count(memberships, and(eq(memberships.groupId, groupId), eq(memberships.role, 'admin'))),
        apiTokens: count(apiTokens, and(eq(apiTokens.groupId, groupId), isNull(apiTokens.revokedAt))),
        sessions: count(sessions, and(eq(sessions.groupId, groupId), gt(sessions.expiresAt, now))),
        webhookEndpoints: count(webhookEndpoints, and(eq(webhookEndpoints.groupId, groupId), isNull(webhookEndpoints.deletedAt))),
      })
      .from(groups)
      .where(eq(groups.id, groupId));
    // Groups are never removed (only marked deleted), so the row is there.
    return row!;
  }

  async insertApiToken(token: ApiTokenRecord & { tokenHash: string }, newEvents: NewEvent[], remember?: Remember): Promise<void> {
    await this.keyedTransaction(remember, async (tx, settle) => {
      await tx.insert(apiTokens).values(token);
      await insertEvents(tx, newEvents);
      await settle(undefined);
    });
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

  async revokeApiToken(id: string, at: number, eventsOf: EventsOf<ApiTokenRecord>): Promise<ApiTokenRecord | null> {
    return this.write(() =>
      this.db.transaction(async (tx) => {
        const [before] = await tx.select(tokenColumns).from(apiTokens).where(eq(apiTokens.id, id)).for('update');
        // Revoking twice keeps the first revocation time, and records one event.
        if (!before || before.revokedAt !== null) return before ?? null;
        const [row] = await tx.update(apiTokens).set({ revokedAt: at }).where(eq(apiTokens.id, id)).returning(tokenColumns);
        await insertEvents(tx, eventsOf(row!));
        return row!;
      }),
    );
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

  async recordEvents(newEvents: NewEvent[], remember?: Remember): Promise<void> {
    if (newEvents.length === 0 && !remember) return;
    const claim = remember?.claim;
    const result = await this.write(() =>
      this.run(statements.recordEvents, [eventsJson(newEvents), ...claimParameters(claim, remember ? remember.outcome() : null)]),
    );
    if (claim && result.rows[0].keyed === 0) throw new IdempotentReplay(await this.storedOutcome(claim));
  }

  async createSessionUsingSsoToken(
    sso: { jti: string; expiresAt: number },
    session: NewSession,
    newEvents: NewEvent[],
    replacing?: { sessionId: string; events: NewEvent[] },
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
        replacing?.sessionId ?? null,
        eventsJson(newEvents),
        eventsJson(replacing?.events ?? []),
      ]);
      return result.rows[0].created === 1 ? { ok: true } : { ok: false, reason: 'sso-token-used' };
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

  async deleteSessionByHash(tokenHash: string, newEvents: NewEvent[]): Promise<boolean> {
    return this.write(() =>
      this.db.transaction(async (tx) => {
        const ended = await tx.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).returning({ id: sessions.id });
        if (ended.length > 0) await insertEvents(tx, newEvents);
        return ended.length > 0;
      }),
    );
  }

  async deleteSession(groupId: string, id: string, eventsOf: EventsOf<EndedSession>): Promise<boolean> {
    return this.write(() =>
      this.db.transaction(async (tx) => {
        const [ended] = await endSessions(tx, and(eq(sessions.groupId, groupId), eq(sessions.id, id))!);
        if (!ended) return false;
        await insertEvents(tx, eventsOf(ended));
        return true;
      }),
    );
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

  async purgeExpired(now: number, eventsOf: EventsOf<EndedSession[]>): Promise<number> {
    return this.write(() =>
      this.db.transaction(async (tx) => {
        const expired = await endSessions(tx, lt(sessions.expiresAt, now));
        const expiredUses = await tx.delete(ssoTokenUses).where(lt(ssoTokenUses.expiresAt, now));
        const expiredKeys = await tx.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now));
        await insertEvents(tx, eventsOf(expired));
        return expired.length + (expiredUses.rowCount ?? 0) + (expiredKeys.rowCount ?? 0);
      }),
    );
  }

  async listEvents(groupId: string, filter: EventFilter): Promise<EventRecord[]> {
    const { types, since, limit } = filter;
    const after = filter.after ?? { tx: '0', seq: 0 };
    const where = [
      sql`(${events.tx}, ${events.seq}) > (${after.tx}::xid8, ${after.seq})`,
      // Only transactions that have all ended: none can still commit an event before these.
      sql`${events.tx} < pg_snapshot_xmin(pg_current_snapshot())`,
      since !== null ? gte(events.occurredAt, since) : undefined,
    ];
    return this.selectEvents(groupId, types, where, [asc(events.tx), asc(events.seq)], limit);
  }

  /** The group's events of these types (null: all) that meet the conditions, in this order. */
  private async selectEvents(
    groupId: string,
    types: string[] | null,
    where: Array<SQL | undefined>,
    order: SQL[],
    limit: number,
  ): Promise<EventRecord[]> {
    const rows = await this.db
      .select()
      .from(events)
      .where(and(eq(events.groupId, groupId), types ? inArray(events.type, types) : undefined, ...where))
      .orderBy(...order)
      .limit(limit);
    return rows.map((row) => eventRecord(row, { tx: row.tx, seq: row.seq }));
  }

  async feedCaughtUp(timeoutMs: number): Promise<boolean> {
    const giveUpAt = Date.now() + timeoutMs;
    const { rows } = await this.pool.query<{ next: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS next');
    const next = rows[0]!.next;
    for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
      const check = await this.pool.query<{ done: boolean }>(
        'SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8 AS done',
        [next],
      );
      if (check.rows[0]!.done) return true;
      if (Date.now() >= giveUpAt) return false;
      await new Promise((resolve) => setTimeout(resolve, pause));
    }
  }

  async eventFeedLag(now: number): Promise<number> {
    // The newest events are the ones that can be held back: a look at the last thousand
    // by sequence number keeps the query's cost flat however large the log grows.
    const { rows } = await this.pool.query<{ oldest: string | null }>(
      `SELECT min(occurred_at)::text AS oldest FROM (SELECT occurred_at, tx FROM events ORDER BY seq DESC LIMIT 1000) recent
       WHERE tx >= pg_snapshot_xmin(pg_current_snapshot())`,
    );
    const oldest = rows[0]?.oldest;
    return oldest == null ? 0 : Math.max(0, now - Number(oldest));
  }

  async listRecentEvents(groupId: string, filter: RecentEventFilter): Promise<EventRecord[]> {
    const { before, types, limit } = filter;
    const where = [before ? sql`(${events.tx}, ${events.seq}) < (${before.tx}::xid8, ${before.seq})` : undefined];
    return this.selectEvents(groupId, types, where, [desc(events.tx), desc(events.seq)], limit);
  }

  async purgeEvents(before: number): Promise<number> {
    return this.write(async () => {
      // Events are in time order by `seq`: the first one young enough to keep marks where
      // the purge stops, found by reading only the events it deletes.
      const [kept] = await this.db.select({ seq: events.seq }).from(events).where(gte(events.occurredAt, before)).orderBy(asc(events.seq)).limit(1);
      return (await this.db.delete(events).where(kept ? lt(events.seq, kept.seq) : undefined)).rowCount ?? 0;
    });
  }

  // -------------------------------------------------------------------------
  // Webhooks (API.md §14). Leases are in database time, so instances whose clocks
  // disagree still agree on who holds what; claims skip rows another instance is
  // claiming (FOR UPDATE SKIP LOCKED), so each endpoint goes to one of them.

  async insertWebhookEndpoint(endpoint: NewWebhookEndpoint, newEvents: NewEvent[], remember?: Remember): Promise<void> {
    await this.keyedTransaction(remember, async (tx, settle) => {
      // The cursor starts before every transaction still running, so none of them
      // can commit an event behind it; the snapshot, with this transaction counted
      // as running, tells the events past the cursor that committed before.
      const { rows } = await tx.execute<{ own: string; snapshot: string }>(
        sql`SELECT pg_current_xact_id()::text AS own, pg_current_snapshot()::text AS snapshot`,
      );
      const { own, snapshot } = rows[0]!;
      const [xmin, xmax, running] = snapshot.split(':') as [string, string, string];
      await tx.insert(webhookEndpoints).values({
        ...endpoint,
        types: typesColumn(endpoint.types),
        cursorTx: xmin,
        cursorSeq: 0,
        startSnapshot: `${xmin}:${xmax}:${[running, own].filter((x) => x !== '').join(',')}`,
      });
      await insertEvents(tx, newEvents);
      await settle(undefined);
    });
  }

  async deleteWebhookEndpoint(
    groupId: string,
    id: string,
    at: number,
    eventsOf: EventsOf<WebhookEndpointRecord>,
    remember?: Remember<WebhookEndpointRecord>,
  ): Promise<WebhookEndpointRecord | null> {
    return this.keyedTransaction(remember, async (tx, settle) => {
      const [row] = await tx
        .update(webhookEndpoints)
        .set({ deletedAt: at, leaseOwner: null, leaseUntil: null })
        .where(and(eq(webhookEndpoints.id, id), eq(webhookEndpoints.groupId, groupId), isNull(webhookEndpoints.deletedAt)))
        .returning(webhookEndpointColumns);
      if (!row) return null;
      const endpoint = webhookEndpointRecord(row);
      await insertEvents(tx, eventsOf(endpoint));
      await settle(endpoint);
      return endpoint;
    });
  }

  async listWebhookEndpoints(groupId: string): Promise<WebhookEndpointRecord[]> {
    const rows = await this.db
      .select(webhookEndpointColumns)
      .from(webhookEndpoints)
      .where(and(eq(webhookEndpoints.groupId, groupId), isNull(webhookEndpoints.deletedAt)))
      .orderBy(asc(webhookEndpoints.createdAt), asc(webhookEndpoints.id));
    return rows.map(webhookEndpointRecord);
  }

  async listWebhookAttempts(endpointId: string, limit: number): Promise<WebhookAttemptRecord[]> {
    return this.db
      .select()
      .from(webhookDeliveries)
      .where(eq(webhookDeliveries.endpointId, endpointId))
      .orderBy(desc(webhookDeliveries.attemptedAt), desc(webhookDeliveries.id))
      .limit(limit);
  }

  async claimWebhookEndpoints(owner: string, leaseMs: number, limit: number, now: number): Promise<ClaimedWebhookEndpoint[]> {
    return this.write(async () => {
      const { rows } = await this.run(webhookStatements.claim, [owner, leaseMs, limit, now]);
      return rows.map((row) =>
        claimedWebhookEndpoint({
          id: row.id,
          groupId: row.group_id,
          url: row.url,
          types: row.types,
          createdAt: row.created_at,
          disabledAt: row.disabled_at,
          secret: row.secret,
          cursorTx: row.cursor_tx,
          cursorSeq: row.cursor_seq,
          headAttempts: row.head_attempts,
          nextAttemptAt: row.next_attempt_at,
          startSnapshot: row.start_snapshot,
        }),
      );
    });
  }

  async renewWebhookLeases(owner: string, leaseMs: number): Promise<string[]> {
    return this.write(async () => (await this.run(webhookStatements.renew, [owner, leaseMs])).rows.map((r) => r.id as string));
  }

  async recordWebhookProgress(owner: string, progress: WebhookProgress[], attempts: WebhookAttemptRecord[]): Promise<string[]> {
    if (progress.length === 0 && attempts.length === 0) return [];
    const attemptRows = attempts.map((a) => ({
      id: a.id,
      endpoint_id: a.endpointId,
      event_id: a.eventId,
      event_type: a.eventType,
      attempt: a.attempt,
      attempted_at: a.attemptedAt,
      status: a.status,
      error: a.error,
      next_attempt_at: a.nextAttemptAt,
    }));
    const progressRows = progress.map((p) => ({
      id: p.endpointId,
      cursor_tx: p.cursor?.tx ?? null,
      cursor_seq: p.cursor?.seq ?? null,
      head_attempts: p.headAttempts,
      next_attempt_at: p.nextAttemptAt,
      disabled_at: p.disabledAt,
      release: p.release,
    }));
    const { rows } = await this.write(() =>
      this.run(webhookStatements.progress, [JSON.stringify(attemptRows), JSON.stringify(progressRows), owner]),
    );
    const recorded = new Set(rows.map((r) => r.id as string));
    return progress.map((p) => p.endpointId).filter((id) => !recorded.has(id));
  }

  async hasWebhookEndpoints(): Promise<boolean> {
    const live = and(isNull(webhookEndpoints.deletedAt), isNull(webhookEndpoints.disabledAt));
    const rows = await this.db.select({ id: webhookEndpoints.id }).from(webhookEndpoints).where(live).limit(1);
    return rows.length > 0;
  }

  async holdsWebhookEndpoint(owner: string, endpointId: string): Promise<boolean> {
    const { rows } = await this.run(webhookStatements.holds, [endpointId, owner]);
    return rows.length > 0;
  }

  async releaseWebhookLeases(owner: string): Promise<void> {
    await this.write(() =>
      this.db.update(webhookEndpoints).set({ leaseOwner: null, leaseUntil: null }).where(eq(webhookEndpoints.leaseOwner, owner)),
    );
  }

  async purgeWebhookAttempts(before: number): Promise<number> {
    return this.write(
      async () => (await this.db.delete(webhookDeliveries).where(lt(webhookDeliveries.attemptedAt, before))).rowCount ?? 0,
    );
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

/** The database's clock, in epoch milliseconds: what leases are measured in. */
const DB_NOW = `(extract(epoch from clock_timestamp()) * 1000)::bigint`;

/** The delivery worker's statements, run often: named, so parsed once per connection. */
const webhookStatements = {
  claim: {
    name: 'team_api_claim_webhook_endpoints',
    text: `UPDATE webhook_endpoints AS e
      SET lease_owner = $1, lease_until = ${DB_NOW} + $2::bigint
      FROM (
        SELECT id FROM webhook_endpoints
        WHERE deleted_at IS NULL AND disabled_at IS NULL
          AND (lease_owner IS NULL OR lease_until < ${DB_NOW})
          AND (next_attempt_at IS NULL OR next_attempt_at <= $4::bigint)
        ORDER BY id
        LIMIT $3
        FOR UPDATE SKIP LOCKED
      ) AS due
      WHERE e.id = due.id
      RETURNING e.id, e.group_id, e.url, e.types, e.created_at, e.disabled_at, e.secret,
        e.cursor_tx::text AS cursor_tx, e.cursor_seq, e.head_attempts, e.next_attempt_at, e.start_snapshot`,
  },
  renew: {
    name: 'team_api_renew_webhook_leases',
    text: `UPDATE webhook_endpoints SET lease_until = ${DB_NOW} + $2::bigint
      WHERE lease_owner = $1 AND deleted_at IS NULL AND disabled_at IS NULL
      RETURNING id`,
  },
  holds: {
    name: 'team_api_holds_webhook_endpoint',
    text: `SELECT 1 FROM webhook_endpoints
      WHERE id = $1 AND lease_owner = $2 AND deleted_at IS NULL AND disabled_at IS NULL`,
  },
  // Attempts and progress in one statement: one round trip, one transaction.
  progress: {
    name: 'team_api_record_webhook_progress',
    text: `WITH attempts AS (
        INSERT INTO webhook_deliveries (id, endpoint_id, event_id, event_type, attempt, attempted_at, status, error, next_attempt_at)
        SELECT id, endpoint_id, event_id, event_type, attempt, attempted_at, status, error, next_attempt_at
        FROM json_populate_recordset(NULL::webhook_deliveries, $1::json)
      )
      UPDATE webhook_endpoints AS e SET
        cursor_tx = coalesce(p.cursor_tx::xid8, e.cursor_tx),
        cursor_seq = coalesce(p.cursor_seq, e.cursor_seq),
        head_attempts = p.head_attempts,
        next_attempt_at = p.next_attempt_at,
        disabled_at = coalesce(e.disabled_at, p.disabled_at),
        lease_owner = CASE WHEN p.release THEN NULL ELSE e.lease_owner END,
        lease_until = CASE WHEN p.release THEN NULL ELSE e.lease_until END
      FROM json_to_recordset($2::json) AS p(id text, cursor_tx text, cursor_seq bigint, head_attempts int,
        next_attempt_at bigint, disabled_at bigint, release boolean)
      WHERE e.id = p.id AND e.lease_owner = $3 AND e.deleted_at IS NULL
      RETURNING e.id`,
  },
} as const;

type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** Thrown inside a keyed transaction whose key another request holds: rolls it back. */
class KeyHeld extends Error {}

/** Thrown inside a keyed transaction that wrote nothing: rolls its claim back, and carries its result out. */
class NothingWritten<T> extends Error {
  constructor(readonly result: T) {
    super('nothing written');
  }
}

async function insertEvents(tx: Tx, list: NewEvent[]): Promise<void> {
  if (list.length > 0) await tx.insert(events).values(list.map(eventRow));
}

/**
 * Takes the claim's key inside a transaction (free, or expired), with an empty
 * outcome that settleKey fills in before the commit; false when the key is held.
 * A concurrent transaction with the same key waits on this row until the first ends.
 */
async function claimKey(tx: Tx, claim: IdempotencyClaim): Promise<boolean> {
  const taken = await tx
    .insert(idempotencyKeys)
    .values({ ...claim, outcome: '' })
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
    .returning({ field: idempotencyKeys.field });
  return taken.length > 0;
}

async function settleKey(tx: Tx, claim: IdempotencyClaim, outcome: string): Promise<void> {
  await tx
    .update(idempotencyKeys)
    .set({ outcome })
    .where(
      and(eq(idempotencyKeys.groupId, claim.groupId), eq(idempotencyKeys.key, claim.key), eq(idempotencyKeys.field, claim.field)),
    );
}

/** Deletes the sessions matching the condition; returns them with their owners. */
async function endSessions(tx: Tx, where: SQL): Promise<EndedSession[]> {
  const ended = await tx.delete(sessions).where(where).returning(sessionColumns);
  if (ended.length === 0) return [];
  const owners = await tx
    .select({ id: users.id, username: users.username })
    .from(users)
    .where(inArray(users.id, [...new Set(ended.map((s) => s.userId))]));
  const byId = new Map(owners.map((u) => [u.id, u]));
  return ended.map((session) => ({ session, user: byId.get(session.userId)! }));
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
