/**
 * The database a test runs on: SQLite, or PostgreSQL when TEST_DATABASE=postgres
 * (vitest.config.ts runs the suite once per database). Each test gets its own:
 * an in-memory SQLite, or a fresh PostgreSQL schema dropped on close. Also the
 * dialect-aware tools tests need to make storage fail on purpose.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { openPostgresStore, PostgresStore } from '../../src/db/postgres/store.ts';
import { openSqliteStore, SqliteStore } from '../../src/db/sqlite/store.ts';
import type { Store } from '../../src/db/store.ts';
import { dropSchema, newSchemaName, testPostgresUrl, urlWithSearchPath } from './postgres.ts';

export type Dialect = Store['dialect'];

/** The database this test run uses. */
export const testDialect: Dialect = process.env.TEST_DATABASE === 'postgres' ? 'postgres' : 'sqlite';

export type FaultOn = 'insert' | 'update' | 'delete';

export interface TestDatabase {
  dialect: Dialect;
  store: Store;
  /** The DATABASE_URL that reaches this same database from another process. */
  url: string;
  /** Closes the store and throws the database away. */
  close(): Promise<void>;
}

export interface TestDatabaseOptions {
  dialect?: Dialect;
  /**
   * Reachable from other processes too (a file instead of `:memory:` on SQLite);
   * PostgreSQL always is.
   */
  shared?: boolean;
}

export async function createTestDatabase(options: TestDatabaseOptions = {}): Promise<TestDatabase> {
  const dialect = options.dialect ?? testDialect;
  if (dialect === 'postgres') {
    const serverUrl = testPostgresUrl(process.env);
    const schema = await takeMigratedSchema(serverUrl);
    const store = new PostgresStore(serverUrl, { schema });
    return {
      dialect,
      store,
      url: urlWithSearchPath(serverUrl, schema),
      async close() {
        await store.close();
        dropInBackground(serverUrl, schema);
      },
    };
  }
  if (options.shared) {
    const dir = mkdtempSync(join(tmpdir(), 'team-api-test-'));
    const url = `file:${join(dir, 'team-api.db')}`;
    const store = openSqliteStore(url);
    return {
      dialect,
      store,
      url,
      async close() {
        await store.close();
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
  const store = openSqliteStore(':memory:');
  return { dialect, store, url: ':memory:', close: () => store.close() };
}

/*
 * A fresh schema costs a few hundred milliseconds of DDL on a busy machine, so each
 * worker migrates the next test's schema while the current test runs, and drops
 * finished ones without waiting. Whatever is left when the worker ends (the spare,
 * an unfinished drop) goes in the run's teardown (postgres-global-setup.ts).
 */
let spareSchema: Promise<string> | null = null;
let adminPool: pg.Pool | null = null;

async function migratedSchema(serverUrl: string): Promise<string> {
  const schema = newSchemaName(process.env);
  try {
    // The real startup path: create the schema and run the committed migrations.
    await (await openPostgresStore(serverUrl, { schema, poolSize: 1 })).close();
  } catch (error) {
    await dropSchema(serverUrl, schema).catch(() => {});
    throw error;
  }
  return schema;
}

async function takeMigratedSchema(serverUrl: string): Promise<string> {
  const taken = spareSchema ?? migratedSchema(serverUrl);
  spareSchema = migratedSchema(serverUrl);
  spareSchema.catch(() => {}); // Surfaces when taken.
  try {
    return await taken;
  } catch (error) {
    spareSchema = null;
    throw error;
  }
}

function dropInBackground(serverUrl: string, schema: string): void {
  if (!adminPool) {
    adminPool = new pg.Pool({ connectionString: serverUrl, max: 1, allowExitOnIdle: true });
    adminPool.on('error', () => {});
  }
  adminPool.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`).catch(() => {});
}

const TABLE = /^[a-z_]+$/;

function checkTable(table: string): void {
  if (!TABLE.test(table)) throw new Error(`not a table name: ${table}`);
}

/** Runs SQL that reads the same on both dialects; returns its rows. */
export async function queryRows(store: Store, query: string): Promise<Array<Record<string, unknown>>> {
  if (store instanceof SqliteStore) return store.sqlite.prepare(query).all() as Array<Record<string, unknown>>;
  if (store instanceof PostgresStore) return (await store.pool.query(query)).rows;
  throw new Error(`no SQL access to a ${store.dialect} store of this kind`);
}

async function exec(store: Store, statements: string): Promise<void> {
  if (store instanceof SqliteStore) {
    store.sqlite.exec(statements);
    store.changedOutsideUnits();
  }
  else if (store instanceof PostgresStore) await store.pool.query(statements);
  else throw new Error(`no SQL access to a ${store.dialect} store of this kind`);
}

/**
 * Makes every `on` (insert by default) into `table` fail inside the database, as a
 * full disk or a broken constraint would; returns a function that heals it.
 */
export async function injectFault(store: Store, table: string, on: FaultOn = 'insert'): Promise<() => Promise<void>> {
  checkTable(table);
  const trigger = `fault_${table}_${on}`;
  if (store.dialect === 'sqlite') {
    await exec(store, `CREATE TRIGGER ${trigger} BEFORE ${on.toUpperCase()} ON ${table} BEGIN SELECT RAISE(ABORT, 'injected fault'); END;`);
  } else {
    await exec(
      store,
      `CREATE OR REPLACE FUNCTION injected_fault() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'injected fault'; END $$;
       CREATE TRIGGER ${trigger} BEFORE ${on.toUpperCase()} ON ${table} FOR EACH ROW EXECUTE FUNCTION injected_fault();`,
    );
  }
  return () => exec(store, `DROP TRIGGER ${trigger}${store.dialect === 'postgres' ? ` ON ${table}` : ''}`);
}

/**
 * Hides `table` (renames it), so anything touching it fails the way a bug or a
 * schema mismatch would: an unexpected error, not a domain outcome. Returns a
 * function that puts it back.
 */
export async function breakTable(store: Store, table: string): Promise<() => Promise<void>> {
  checkTable(table);
  await exec(store, `ALTER TABLE ${table} RENAME TO ${table}_broken`);
  return () => exec(store, `ALTER TABLE ${table}_broken RENAME TO ${table}`);
}

