/**
 * The PostgreSQL connection every area of the store writes through: the pool,
 * migration, retried writes, the events a write carries, and the one place where a
 * keyed write claims and settles its idempotency key (in a transaction, or in a
 * single-statement write's CTE).
 */
import { and, eq } from 'drizzle-orm';
import { drizzle, type NodePgDatabase } from 'drizzle-orm/node-postgres';
import { migrate } from 'drizzle-orm/node-postgres/migrator';
import pg from 'pg';
import { eventRow } from '../shared/events.ts';
import type { IdempotencyClaim, NewEvent, Remember, StoredOutcome } from '../store.ts';
import { IdempotentReplay, StorageWriteError } from '../store.ts';
import { takeExpiredKey } from '../shared/idempotency.ts';
import { classified, unavailableIn } from '../shared/unavailable.ts';
import { migrationsFolder as migrationsFolderOf } from '../migrations-folder.ts';
import * as schema from './schema.ts';
import { events, idempotencyKeys } from './schema.ts';

const migrationsFolder = migrationsFolderOf('postgres');

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
  /** How long a query waits for a connection (a free pooled one, or a new one) before failing. */
  connectionTimeoutMs?: number;
}

/** Socket errors of a connection that could not be made or was lost. */
const NETWORK_CODES = new Set([
  'ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EHOSTUNREACH', 'ENETUNREACH', 'ENOTFOUND', 'EAI_AGAIN',
]);
/** What node-postgres and pg-pool say when a connection is lost or cannot be had in time. */
const LOST_CONNECTION =
  /Connection terminated|timeout exceeded when trying to connect|Query read timeout|Client has encountered a connection error|Client was closed and is not queryable|Connection closed/i;
/**
 * SQLSTATEs of an unavailable server: class 08 (connection exception), 57P01–57P05
 * (admin or crash shutdown, cannot connect now, idle session timeout), 53300 (too
 * many connections), 57014 (statement timeout: the server is too slow to answer).
 */
function isUnavailableState(code: string | undefined): boolean {
  return !!code && (code.startsWith('08') || /^57P0[1-5]$/.test(code) || code === '53300' || code === '57014');
}

/**
 * Whether a driver error means PostgreSQL cannot be reached or is going away (this
 * dialect's classification; see ../shared/unavailable.ts), rather than refusing this statement.
 */
export function postgresUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let i = 0; current && i < 5; i++) {
    if (current instanceof pg.DatabaseError) return isUnavailableState(current.code);
    const e = current as { code?: unknown; message?: unknown; cause?: unknown; errors?: unknown };
    if (typeof e.code === 'string' && NETWORK_CODES.has(e.code)) return true;
    if (typeof e.message === 'string' && LOST_CONNECTION.test(e.message)) return true;
    current = e.cause;
  }
  return false;
}

type AnyCallback = (error: unknown, ...rest: unknown[]) => void;

/**
 * Every error of the pool and of its clients goes out classified: whatever runs a
 * query (drizzle, a transaction, a named statement) sees ServiceUnavailable, with
 * the driver's error as its cause, when the database is unavailable.
 */
function classifyErrors(pool: pg.Pool): void {
  const wrap = <F extends (...args: any[]) => any>(target: { [k: string]: any }, method: string) => {
    const original = (target[method] as F).bind(target);
    target[method] = (...args: unknown[]) => {
      const last = args.at(-1);
      if (typeof last === 'function') {
        const callback = last as AnyCallback;
        const reply = (error: unknown, ...rest: unknown[]) => callback(error ? classified(error, postgresUnavailable) : error, ...rest);
        return original(...args.slice(0, -1), reply);
      }
      // A Submittable (cursor, stream) reports its own errors.
      if (args[0] && typeof (args[0] as { submit?: unknown }).submit === 'function') return original(...args);
      const result = original(...args);
      return result && typeof result.then === 'function'
        ? result.then(undefined, (error: unknown) => {
            throw classified(error, postgresUnavailable);
          })
        : result;
    };
  };
  wrap(pool as any, 'connect');
  wrap(pool as any, 'query');
  pool.on('connect', (client) => wrap(client as any, 'query'));
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

export type Db = NodePgDatabase<typeof schema>;
export type Tx = Parameters<Parameters<Db['transaction']>[0]>[0];

/** A statement kept as SQL text so it runs as a named prepared statement (parsed once per connection). */
export interface NamedStatement {
  name: string;
  text: string;
}

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
 * expired. With a null key it inserts nothing. A statement that starts with it ends
 * with `SELECT (SELECT count(*) FROM keyed)::int AS keyed` and runs by keyedStatement.
 */
export const claimCte = (...p: [string, string, string, string, string, string, string]) => `keyed AS (
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
export const CLAIM_HOLDS = (keyParameter: string) => `(${keyParameter}::text IS NULL OR EXISTS (SELECT 1 FROM keyed))`;

const EVENT_COLUMNS =
  'id, group_id, type, occurred_at, actor_type, actor_id, actor_name, target_type, target_id, target_name, ip, user_agent, request_id, data';

/**
 * Inserts the events of a JSON array parameter (rows with the table's column names),
 * when `condition` holds: how a single-statement write carries its events.
 */
export const insertEventsFrom = (parameter: string, condition = 'true') =>
  `INSERT INTO events (${EVENT_COLUMNS})
   SELECT ${EVENT_COLUMNS} FROM json_populate_recordset(NULL::events, ${parameter}::json) WHERE ${condition}`;

/** Events as the JSON array parameter of insertEventsFrom. */
export function eventsJson(list: NewEvent[]): string {
  return JSON.stringify(
    list.map((event) => ({
      id: event.id,
      group_id: event.groupId,
      type: event.type,
      occurred_at: event.occurredAt,
      actor_type: event.actor.type,
      actor_id: event.actor.id,
      actor_name: event.actor.name,
      target_type: event.target.type,
      target_id: event.target.id,
      target_name: event.target.name,
      ip: event.ip,
      user_agent: event.userAgent,
      request_id: event.requestId,
      data: event.data,
    })),
  );
}

export async function insertEvents(tx: Tx, list: NewEvent[]): Promise<void> {
  if (list.length > 0) await tx.insert(events).values(list.map(eventRow));
}

/** Thrown inside a keyed transaction whose key another request holds: rolls it back. */
class KeyHeld extends Error {}

/** Thrown inside a keyed transaction that wrote nothing: rolls its claim back, and carries its result out. */
class NothingWritten<T> extends Error {
  constructor(readonly result: T) {
    super('nothing written');
  }
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
    .onConflictDoUpdate(takeExpiredKey(idempotencyKeys))
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

export class PostgresDatabase {
  readonly pool: pg.Pool;
  /** The schema named in the options, if any (else the search_path's). */
  readonly schema: string | null;
  readonly db: Db;

  constructor(databaseUrl: string, options: PostgresOptions = {}) {
    if (options.schema !== undefined && !SCHEMA_NAME.test(options.schema)) {
      throw new Error(`invalid PostgreSQL schema name "${options.schema}"`);
    }
    this.schema = options.schema ?? null;
    this.pool = new pg.Pool({
      connectionString: databaseUrl,
      max: options.poolSize ?? 10,
      connectionTimeoutMillis: options.connectionTimeoutMs ?? 3_000,
      // A statement may run 8 s (the server's statement_timeout); over a connection that went
      // silent the client waits a second more: a request answers ServiceUnavailable rather
      // than outwait its client.
      statement_timeout: 8_000,
      query_timeout: 9_000,
      // A peer that vanished without a FIN (a cut network) is noticed, not waited on forever.
      keepAlive: true,
      ...(options.schema ? { options: `-c search_path=${options.schema}` } : {}),
    });
    // An idle connection the server dropped (restart, failover) is discarded by the
    // pool and replaced on next use; without a listener it would crash the process.
    this.pool.on('error', () => {});
    classifyErrors(this.pool);
    this.db = drizzle({ client: this.pool, schema });
  }

  /**
   * Creates the configured schema if needed and applies pending migrations. Instances
   * starting together take turns on an advisory lock, so none applies a migration twice.
   * Migration bookkeeping lives in the same schema as the tables.
   */
  async migrate(): Promise<void> {
    const client = await this.pool.connect();
    try {
      const target =
        this.schema ?? (await client.query<{ schema: string | null }>('SELECT current_schema() AS schema')).rows[0]?.schema;
      if (!target) throw new Error('the search_path names no existing schema: create it, or fix DATABASE_URL');
      // Taken before CREATE SCHEMA too: concurrent IF NOT EXISTS can still collide.
      const lockKey = `team-api:migrate:${target}`;
      // Waiting for another instance's migration is no statement to time out.
      await client.query('SET statement_timeout = 0');
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

  /**
   * Runs a write, retrying transient conflicts; an unavailable database comes out as
   * ServiceUnavailable, any other failure as a StorageWriteError.
   */
  async write<T>(work: () => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await work();
      } catch (error) {
        if (attempt < WRITE_ATTEMPTS && isRetryable(error)) {
          await new Promise((resolve) => setTimeout(resolve, Math.random() * 10 * attempt));
          continue;
        }
        throw unavailableIn(error) ?? new StorageWriteError(error);
      }
    }
  }

  /** A write transaction, retried on transient conflicts. */
  transaction<T>(work: (tx: Tx) => Promise<T>): Promise<T> {
    return this.write(() => this.db.transaction(work));
  }

  /**
   * A write transaction that, when keyed, takes the idempotency key first (a
   * concurrent request with it waits on the row, then finds it held: IdempotentReplay)
   * and stores the outcome when `work` calls `settle` with what it found. A keyed
   * transaction that wrote nothing (it never settled) is rolled back, claim and all.
   */
  async keyedTransaction<T, F>(
    remember: Remember<F> | undefined,
    work: (tx: Tx, settle: (found: F) => Promise<void>) => Promise<T>,
  ): Promise<T> {
    try {
      return await this.transaction(async (tx) => {
        if (remember && !(await claimKey(tx, remember.claim))) throw new KeyHeld();
        let settled = false;
        const result = await work(tx, async (found) => {
          if (remember) await settleKey(tx, remember.claim, remember.outcome(found));
          settled = true;
        });
        if (remember && !settled) throw new NothingWritten(result);
        return result;
      });
    } catch (error) {
      const cause = error instanceof StorageWriteError ? error.cause : error;
      if (cause instanceof NothingWritten) return cause.result as T;
      if (cause instanceof KeyHeld) throw new IdempotentReplay(await this.storedOutcome(remember!.claim));
      throw error;
    }
  }

  /**
   * Runs a single-statement write that claims the key in its CTE (claimCte's seven
   * parameters are appended to `values`): one round trip, atomic on its own. IdempotentReplay
   * when the key was used already (nothing was written).
   */
  async keyedStatement(statement: NamedStatement, values: unknown[], remember: Remember | undefined): Promise<pg.QueryResult> {
    if (!remember) {
      values.push(null, null, null, null, null, null, null);
      return this.write(() => this.run(statement, values));
    }
    const { claim } = remember;
    values.push(claim.groupId, claim.key, claim.field, claim.fingerprint, remember.outcome(), claim.createdAt, claim.expiresAt);
    const result = await this.write(() => this.run(statement, values));
    if (result.rows[0].keyed === 0) throw new IdempotentReplay(await this.storedOutcome(claim));
    return result;
  }

  /** The live outcome under the claim's key and field (which a write just found there). */
  private async storedOutcome(claim: IdempotencyClaim): Promise<StoredOutcome> {
    const { rows } = await this.run(storedOutcomeStatement, [claim.groupId, claim.key, claim.field, claim.createdAt]);
    const stored = rows[0] as StoredOutcome | undefined;
    if (!stored) throw new StorageWriteError(new Error('an idempotency key was in use and then gone'));
    return stored;
  }

  private readonly preparedByArea = new Map<string, unknown>();

  /** An area's prepared queries, built once per connection: an area built again (a keyed view) reuses them. */
  prepared<S>(area: string, build: () => S): S {
    let found = this.preparedByArea.get(area) as S | undefined;
    if (found === undefined) {
      found = build();
      this.preparedByArea.set(area, found);
    }
    return found;
  }

  run(statement: NamedStatement, values: unknown[]): Promise<pg.QueryResult> {
    return this.pool.query({ name: statement.name, text: statement.text, values });
  }
}

const storedOutcomeStatement: NamedStatement = {
  name: 'team_api_stored_outcome',
  text: `SELECT field, fingerprint, outcome FROM idempotency_keys
    WHERE group_id = $1 AND key = $2 AND field = $3 AND expires_at > $4`,
};
