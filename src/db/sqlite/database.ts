/**
 * The SQLite connection every area of the store writes through: opening and
 * migrating the file, the group commit, the one funnel of every unit of work (with
 * its idempotency key), and the statements prepared once.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import Database from 'better-sqlite3';
import { type BetterSQLite3Database, drizzle } from 'drizzle-orm/better-sqlite3';
import { readMigrationFiles } from 'drizzle-orm/migrator';
import { IdempotentReplay, type NewEvent, type Remember, StorageWriteError, type StoredOutcome } from '../store.ts';
import { classified, unavailableIn } from '../shared/unavailable.ts';
import { migrationsFolder as migrationsFolderOf } from '../migrations-folder.ts';
import { sqliteCode, sqliteUnavailable } from './errors.ts';
import { gatherThenCommit } from './gather.ts';
import { BulkInsert } from './bulk-insert.ts';
import { EVENT_COLUMNS, eventRow } from './planned-rows.ts';
import { RememberedReads } from './remembered-reads.ts';
import { WriterThread } from './writer-thread.ts';
import * as schema from './schema.ts';

const migrationsFolder = migrationsFolderOf('sqlite');
/** drizzle's bookkeeping table, so drizzle-kit and this migrator agree on what is applied. */
const MIGRATIONS_TABLE = '__drizzle_migrations';

/** How long a connection waits for another process's lock before failing. */
export const BUSY_TIMEOUT_MS = 10_000;

export interface SqliteOptions {
  /**
   * `NORMAL` for a connection whose writes may be lost to a power cut (not to a
   * crash of the process), such as webhook delivery progress, where at least once
   * allows it: its commits then wait for no fsync. `FULL` by default.
   */
  synchronous?: 'FULL' | 'NORMAL';
}

export type Db = BetterSQLite3Database<typeof schema>;

/** Records the outcome of a keyed unit of work, from what it found (a no-op when the unit is not keyed). */
export type Settle<F> = (found?: F) => void;

const settleNothing: Settle<unknown> = () => {};

/** A unit of work: synchronous, run inside the group commit's transaction. */
export type Unit<T, F = void> = (tx: Db, settle: Settle<F>) => T;

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
      if (sqliteCode(error) !== 'SQLITE_BUSY' || Date.now() >= giveUpAt) throw error;
      Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, pause);
    }
  }
}

/** `oneStatement`: the unit is one statement, which SQLite undoes by itself when it fails; it needs no savepoint. */
interface PendingUnit {
  work: () => unknown;
  resolve: (value: any) => void;
  reject: (error: unknown) => void;
  oneStatement: boolean;
}

export class SqliteDatabase {
  readonly sqlite: Database.Database;
  readonly db: Db;

  constructor(path: string, options: SqliteOptions = {}) {
    if (path !== ':memory:') mkdirSync(dirname(path), { recursive: true });
    this.sqlite = new Database(path, { timeout: BUSY_TIMEOUT_MS });
    switchToWal(this.sqlite, BUSY_TIMEOUT_MS);
    this.sqlite.pragma(`synchronous = ${options.synchronous ?? 'FULL'}`);
    this.sqlite.pragma('foreign_keys = ON');
    // The group commit runs each unit in a savepoint, and SQLite keeps a copy of every
    // page a savepoint changes in a statement journal, a temporary file once it passes
    // 64 KiB: a commit of eight createUsers opened, wrote (two calls a page), and
    // deleted one, 18 write calls a request. In memory, it is never a file, and it is
    // not part of durability (a crash discards an uncommitted transaction from the WAL
    // either way). It holds every page a unit changes, without a bound: so units stay
    // bounded (an import's batch, a purge's batch of sessions), and a unit of one
    // statement, such as a large DELETE, runs without a savepoint. Sorts and temporary
    // tables are kept in memory too; the queries are indexed or limited.
    this.sqlite.pragma('temp_store = MEMORY');
    this.db = drizzle(this.sqlite, { schema });
    this.remembered = new RememberedReads(this.sqlite);
    this.path = path;
  }

  private readonly path: string;
  private thread: WriterThread | null = null;

  /**
   * The connection's writer thread (writer-thread.ts), started on first use, and again
   * after one failed; none for an in-memory database, which no other connection can open.
   */
  writerThread(): WriterThread | null {
    if (this.path === ':memory:') return null;
    if (!this.thread || this.thread.ended) {
      this.thread = new WriterThread(
        this.path,
        (error) => this.failure(error),
        () => this.remembered.forgetAll(),
      );
    }
    return this.thread;
  }

  /** Ends the writer thread, if one was started, once what it was sent is written. */
  async closeWriterThread(): Promise<void> {
    await this.thread?.close();
  }

  /** Every area's statements by area, prepared at migration (see `statements`). */
  private readonly preparers = new Map<string, () => unknown>();

  /**
   * Statements of the per-request paths, prepared once per connection (after
   * migration, or on first use), for each `area`: building and preparing SQL on every
   * call cost more than running it, and an area built again (a keyed view) reuses them.
   */
  statements<S>(area: string, prepare: (db: Db, sqlite: Database.Database) => S): () => S {
    let get = this.preparers.get(area) as (() => S) | undefined;
    if (!get) {
      let prepared: S | null = null;
      get = () => (prepared ??= prepare(this.db, this.sqlite));
      this.preparers.set(area, get);
    }
    return get;
  }

  /** Transaction control of the group commit, events and idempotency keys: what every unit of work uses. */
  readonly hot = this.statements('units', (_db, sqlite) => {
    return {
      // Prepared once as better-sqlite3's own transaction() does.
      begin: sqlite.prepare('BEGIN IMMEDIATE'),
      savepoint: sqlite.prepare('SAVEPOINT unit'),
      release: sqlite.prepare('RELEASE unit'),
      rollbackToSavepoint: sqlite.prepare('ROLLBACK TO unit'),
      commit: sqlite.prepare('COMMIT'),
      rollback: sqlite.prepare('ROLLBACK'),
      // Plain statements (bulk-insert.ts): drizzle's per-call parameter mapping was a fifth of a bulk import's time.
      events: new BulkInsert(sqlite, 'events', EVENT_COLUMNS),
      // Plain statements too: a keyed write runs both, and drizzle's mapping was a third of their cost.
      // The outcomes under a key, all fields (the service reads them before the write, src/db/sqlite/idempotency.ts).
      idempotencyOutcomes: sqlite.prepare<[string, string, number], StoredOutcome>(
        'SELECT field, fingerprint, outcome FROM idempotency_keys WHERE group_id = ? AND key = ? AND expires_at > ?',
      ),
      // Takes a free key, or an expired one (its old outcome replaced); a live key is left as it is (no change).
      rememberOutcome: sqlite.prepare<[string, string, string, string, string, number, number]>(
        `INSERT INTO idempotency_keys (group_id, key, field, fingerprint, outcome, created_at, expires_at)
         VALUES (?, ?, ?, ?, ?, ?, ?)
         ON CONFLICT (group_id, key, field) DO UPDATE SET fingerprint = excluded.fingerprint, outcome = excluded.outcome,
           created_at = excluded.created_at, expires_at = excluded.expires_at
         WHERE idempotency_keys.expires_at < excluded.created_at`,
      ),
    };
  });

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
    for (const prepare of this.preparers.values()) prepare();
  }

  /** The per-request point reads answered from memory (src/db/sqlite/remembered-reads.ts). */
  readonly remembered: RememberedReads;

  usage() {
    return { pending: this.pendingWrites.length, commits: this.commits, units: this.committedUnits };
  }

  /** Closes the connection (its writer thread, if any, is closed first: SqliteStore.close). */
  close(): void {
    if (!this.sqlite.open) return;
    // Writes already queued are answered, not dropped.
    if (this.pendingWrites.length > 0) this.commitPending();
    this.sqlite.close();
  }

  /**
   * The one way to write: a unit of work in its own savepoint of the next group
   * commit. Keyed (`remember`), the unit calls `settle` with what it found once it
   * wrote, which takes the claim's key and remembers the outcome in the same unit;
   * if the key holds a live outcome already (a request with it committed since the
   * service looked), settle throws IdempotentReplay, which rolls the unit back and
   * comes out as it is. A keyed unit that returns without settling wrote nothing and
   * leaves the key free. Storage failures become StorageWriteError, except a file
   * that cannot be written (full disk, I/O error): ServiceUnavailable.
   */
  async write<T, F = void>(work: Unit<T, F>, remember?: Remember<F>, oneStatement = false): Promise<T> {
    try {
      return await this.commitTogether(() => work(this.db, remember ? (found) => this.remember(remember, found as F) : settleNothing), oneStatement);
    } catch (error) {
      if (error instanceof IdempotentReplay) throw error;
      throw this.failure(error);
    }
  }

  /** A failed write's error as the store throws it: ServiceUnavailable when the file cannot be written, else StorageWriteError. */
  private failure(error: unknown): Error {
    const failed = classified(error, sqliteUnavailable);
    return unavailableIn(failed) ?? new StorageWriteError(failed);
  }

  /**
   * A write whose unit writes with one statement (reads before it change nothing): it
   * runs without a savepoint, since SQLite undoes a failed statement by itself, and
   * so a large DELETE keeps no in-memory copy of the pages it changes (temp_store).
   */
  writeOneStatement<T>(work: (tx: Db) => T): Promise<T> {
    return this.write(work, undefined, true);
  }

  /**
   * Takes the claim's key with its outcome, inside the unit: the insert is the check
   * (one statement where a look-up first cost a second B-tree descent); a live key
   * changes nothing and is answered as what it holds.
   */
  private remember<F>({ claim, outcome }: Remember<F>, found: F): void {
    const hot = this.hot();
    const { groupId, key, field, fingerprint, createdAt, expiresAt } = claim;
    if (hot.rememberOutcome.run(groupId, key, field, fingerprint, outcome(found), createdAt, expiresAt).changes > 0) return;
    throw new IdempotentReplay(hot.idempotencyOutcomes.all(groupId, key, createdAt).find((stored) => stored.field === field)!);
  }

  /**
   * Runs `work` inside the open transaction in a savepoint of its own: when it throws,
   * what it wrote is undone and the error comes out, the transaction going on (unless
   * the failure ended it). Savepoints nest, so a unit (already in one) uses it too.
   */
  undoable<T>(work: () => T): T {
    const tx = this.hot();
    tx.savepoint.run();
    try {
      const value = work();
      tx.release.run();
      return value;
    } catch (error) {
      if (this.sqlite.inTransaction) {
        tx.rollbackToSavepoint.run();
        tx.release.run();
      }
      throw error;
    }
  }

  /** Writes events inside the current unit of work. */
  writeEvents(list: NewEvent[]): void {
    this.hot().events.run(list.length === 1 ? eventRow(list[0]!) : list.flatMap(eventRow));
  }

  private pendingWrites: PendingUnit[] = [];
  private commitScheduled = false;
  /** Group commits made, and the units of work they held: their ratio is the mean batch. */
  private commits = 0;
  private committedUnits = 0;

  /**
   * Group commit. With synchronous=FULL every COMMIT waits for the disk, and that
   * wait, not the SQL, bounds how many writes a second one process can answer.
   * Units of work queued while a commit gathers (gather.ts) therefore run in one IMMEDIATE
   * transaction, each in its own savepoint (a failing unit is rolled back alone), and
   * are answered only after the one COMMIT that makes them all durable.
   */
  private commitTogether<T>(work: () => T, oneStatement = false): Promise<T> {
    return new Promise<T>((resolve, reject) => {
      this.pendingWrites.push({ work, resolve, reject, oneStatement });
      if (!this.commitScheduled) {
        this.commitScheduled = true;
        gatherThenCommit(this.queuedWrites, this.commitPending);
      }
    });
  }

  private readonly queuedWrites = () => this.pendingWrites.length;

  private readonly commitPending = (): void => {
    const thread = this.thread;
    if (thread?.busy) {
      // The writer thread's transaction may hold the file's write lock: this connection
      // waits for its answers here, holding its next plans back, rather than in SQLite's
      // busy handler with the event loop stopped (units queued meanwhile join this commit).
      thread.hold();
      thread.whenIdle(this.commitPending);
      return;
    }
    this.commitScheduled = false;
    let batch = this.pendingWrites;
    this.pendingWrites = [];
    try {
      while (batch.length > 0) batch = this.commitBatch(batch);
    } finally {
      // This connection's commits do not move data_version: what it wrote, its remembered reads forget.
      this.remembered.forgetUnwatched();
      thread?.release();
    }
  };

  /** Commits what it can of the batch; returns the units still to run (after a failure that lost the transaction). */
  private commitBatch(batch: PendingUnit[]): PendingUnit[] {
    const db = this.sqlite;
    const tx = this.hot();
    try {
      tx.begin.run();
    } catch (error) {
      for (const unit of batch) unit.reject(classified(error, sqliteUnavailable));
      return [];
    }
    const outcomes: Array<{ ok: true; value: unknown } | { ok: false; error: unknown }> = [];
    for (const [index, unit] of batch.entries()) {
      try {
        // A unit of one statement needs no savepoint: a statement that fails writes nothing.
        outcomes.push({ ok: true, value: unit.oneStatement ? unit.work() : this.undoable(unit.work) });
      } catch (error) {
        if (!db.inTransaction) {
          // The failure took the whole transaction with it (e.g. a full disk): nothing
          // before it is committed either, so those fail too; the rest try again.
          for (const done of batch.slice(0, index + 1)) done.reject(classified(error, sqliteUnavailable));
          return batch.slice(index + 1);
        }
        outcomes.push({ ok: false, error: classified(error, sqliteUnavailable) });
      }
    }
    try {
      tx.commit.run();
    } catch (error) {
      try {
        if (db.inTransaction) tx.rollback.run();
      } catch {
        // The file cannot be written at all: SQLite undoes the transaction itself (the journal).
      }
      for (const unit of batch) unit.reject(classified(error, sqliteUnavailable));
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
}
