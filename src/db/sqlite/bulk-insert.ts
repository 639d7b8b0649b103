/**
 * Inserts of many rows into one table, as the writes of a large plan make them
 * (createUsers, an import's batches): ROWS_PER_INSERT rows a statement, and each
 * column whose value every one of those rows shares bound once for all of them.
 *
 * Both were measured on a bulk write's users, memberships and events, one thread,
 * synchronous=FULL. A statement of fifty rows cost a tenth less than fifty of one
 * (each run is a call into the driver, a reset and a program start), and more rows
 * a statement saved nothing more. Each bound value is a read from the array, a copy
 * of its text into UTF-8 and another into SQLite: binding once the group, actor,
 * request and time that a plan's events share took two fifths off their inserts.
 */
import type Database from 'better-sqlite3';

const ROWS_PER_INSERT = 50;

/** An insert statement whose parameters are positional, or positional and named. */
type Insert = Database.Statement<unknown[]>;

/**
 * An insert of `rows` rows into `table`'s `columns`: positional parameters, except
 * the columns of `shared` (a bit per column), a named parameter each (`@c<column index>`)
 * that every row takes.
 */
function insertInto(sqlite: Database.Database, table: string, columns: readonly string[], rows: number, shared = 0): Insert {
  const row = `(${columns.map((_, c) => (shared & (1 << c) ? `@c${c}` : '?')).join(', ')})`;
  return sqlite.prepare(`INSERT INTO ${table} (${columns.join(', ')}) VALUES ${Array(rows).fill(row).join(', ')}`);
}

/** Statements kept per table besides the one sharing nothing, one for each set of shared columns met: a plan's rows share the same ones. */
const MAX_SHAPES = 8;

export class BulkInsert {
  private readonly fields: number;
  private readonly one: Insert;
  /** By the set of shared columns. */
  private readonly many = new Map<number, Insert>();

  constructor(
    private readonly sqlite: Database.Database,
    private readonly table: string,
    private readonly columns: readonly string[],
  ) {
    // The shared columns are a bit each of a 32-bit number.
    if (columns.length > 31) throw new Error(`a bulk insert takes at most 31 columns (${table} has ${columns.length})`);
    this.fields = columns.length;
    this.one = insertInto(sqlite, table, columns, 1);
  }

  /** Inserts `params`, rows of a value per column each, in order; throws what a statement throws. */
  run(params: readonly unknown[]): void {
    const { fields } = this;
    if (params.length === fields) {
      this.one.run(params);
      return;
    }
    const chunk = ROWS_PER_INSERT * fields;
    let at = 0;
    for (; at + chunk <= params.length; at += chunk) this.runMany(params, at, at + chunk);
    for (; at < params.length; at += fields) this.one.run(params.slice(at, at + fields));
  }

  /** The ROWS_PER_INSERT rows of params[start, end) in one statement, each shared column bound once. */
  private runMany(params: readonly unknown[], start: number, end: number): void {
    const { fields } = this;
    let shared = 0;
    for (let c = 0; c < fields; c++) {
      const first = params[start + c];
      let at = start + fields + c;
      while (at < end && params[at] === first) at += fields;
      if (at >= end) shared |= 1 << c;
    }
    // Past MAX_SHAPES, a new set of shared columns is bound as if none were.
    if (!this.many.has(shared) && this.many.size >= MAX_SHAPES) shared = 0;
    const values: unknown[] = [];
    const named: Record<string, unknown> = {};
    for (let c = 0; c < fields; c++) if (shared & (1 << c)) named[`c${c}`] = params[start + c];
    for (let at = start; at < end; at += fields) {
      for (let c = 0; c < fields; c++) if (!(shared & (1 << c))) values.push(params[at + c]);
    }
    const insert = this.statement(shared);
    if (shared === 0) insert.run(values);
    else insert.run(values, named);
  }

  /** The statement for this set of shared columns, prepared on first use. */
  private statement(shared: number): Insert {
    let insert = this.many.get(shared);
    if (!insert) {
      insert = insertInto(this.sqlite, this.table, this.columns, ROWS_PER_INSERT, shared);
      this.many.set(shared, insert);
    }
    return insert;
  }
}
