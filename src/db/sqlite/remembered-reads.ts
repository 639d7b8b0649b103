/**
 * Point reads of the per-request paths (an API token, a session, a member by their
 * keys), answered from memory while the database is unchanged, and read again as
 * soon as it may not be.
 *
 * A commit of any other connection (another worker, the webhook thread, an admin
 * CLI) empties every read's answers: `PRAGMA data_version` shows it, read once per
 * turn of the event loop (each read opens a read transaction: it cost more than the
 * lookups it saved when made before every answer). This connection's own writes
 * empty the answers too: for a read that names its tables, a write to one of them,
 * reported by a temporary trigger the moment its row changes (so none can be
 * missed, whatever statement made it); for the others, every commit. Inside a unit of
 * work (a transaction open) the read goes to the database. So this process's own
 * writes are seen by the next read, and another process's by every request of the
 * next turn: a revoked token or an ended session is refused from then on. Answers
 * are frozen (they are shared) and at most `REMEMBERED_MAX` a read are kept.
 */
import type Database from 'better-sqlite3';

/** How many answers one remembered read keeps (a few MB at most); past it they are all forgotten at once. */
const REMEMBERED_MAX = 10_000;
/**
 * The longest key an answer is kept under. Keys are digests, ids, slugs and
 * usernames, all far shorter; a longer one (a client's made-up id) is read and not
 * kept, so the answers stay a few MB whatever clients send.
 */
const KEY_MAX_LENGTH = 128;

/** Freezes a row and the objects in it (a remembered answer is shared by every request that reads it). */
function deepFreeze<V>(value: V): V {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

export class RememberedReads {
  /** Every read's answers, and the tables whose writes forget them (null: every commit does). */
  private readonly reads: Array<{ answers: Map<string, unknown>; tables: readonly string[] | null }> = [];
  /** Tables whose writes through this connection a temporary trigger reports to `written`. */
  private readonly watchedTables = new Set<string>();
  /** `PRAGMA data_version` when the answers were last known good: it moves when another connection commits. */
  private knownVersion = -1;
  /** Whether data_version was read in this turn of the event loop (reset by the next check phase). */
  private versionReadThisTurn = false;
  private readonly nextTurn = () => {
    this.versionReadThisTurn = false;
  };
  private dataVersion: Database.Statement<[], number> | null = null;

  constructor(private readonly sqlite: Database.Database) {}

  /** Each read by name: a store area built again (a keyed view) gets the same read, not one more to keep. */
  private readonly byName = new Map<string, (...args: never[]) => unknown>();

  /**
   * `read`, answered from memory as above; with `tables`, forgotten by their writes
   * alone. One read per `name` and connection: the first call's functions serve them all.
   */
  remember<A extends unknown[], V>(
    name: string,
    keyOf: (...args: A) => string,
    read: (...args: A) => V,
    tables: readonly string[] | null = null,
  ): (...args: A) => V {
    const known = this.byName.get(name);
    if (known) return known as (...args: A) => V;
    const answers = new Map<string, V>();
    this.reads.push({ answers, tables });
    const remembered = (...args: A): V => {
      if (this.sqlite.inTransaction) return read(...args);
      const key = keyOf(...args);
      if (key.length > KEY_MAX_LENGTH) return read(...args);
      if (!this.versionReadThisTurn) this.checkOtherConnections();
      const known = answers.get(key);
      if (known !== undefined || answers.has(key)) return known as V;
      // Watched from before the first answer is kept: no write after it goes unseen.
      if (tables !== null && answers.size === 0) this.watch(tables);
      const value = deepFreeze(read(...args));
      if (answers.size >= REMEMBERED_MAX) answers.clear();
      answers.set(key, value);
      return value;
    };
    this.byName.set(name, remembered as (...args: never[]) => unknown);
    return remembered;
  }

  /** Every answer, whatever it read (the database changed outside the store's units). */
  forgetAll(): void {
    for (const { answers } of this.reads) answers.clear();
  }

  /** After a commit of this connection: the answers of reads that name no tables (the others' triggers have spoken). */
  forgetUnwatched(): void {
    for (const { answers, tables } of this.reads) if (tables === null) answers.clear();
  }

  private checkOtherConnections(): void {
    this.versionReadThisTurn = true;
    setImmediate(this.nextTurn);
    this.dataVersion ??= this.sqlite.prepare<[], number>('PRAGMA data_version').pluck();
    const version = this.dataVersion.get()!;
    if (version !== this.knownVersion) {
      this.forgetAll();
      this.knownVersion = version;
    }
  }

  /** A row of `table` changed through this connection (called by the triggers `watch` makes). */
  private readonly written = (table: unknown): null => {
    for (const { answers, tables } of this.reads) if (tables?.includes(table as string)) answers.clear();
    return null;
  };

  /** Temporary triggers (this connection's alone) that report every insert, update and delete of the tables. */
  private watch(tables: readonly string[]): void {
    if (this.watchedTables.size === 0) this.sqlite.function('team_api_written', { varargs: false }, this.written);
    for (const table of tables) {
      if (this.watchedTables.has(table)) continue;
      for (const change of ['INSERT', 'UPDATE', 'DELETE']) {
        this.sqlite.exec(
          `CREATE TEMP TRIGGER IF NOT EXISTS "remembered_${table}_${change.toLowerCase()}" AFTER ${change} ON main."${table}" ` +
            `BEGIN SELECT team_api_written('${table}'); END`,
        );
      }
      this.watchedTables.add(table);
    }
  }
}
