/**
 * The Store on SQLite (better-sqlite3 through drizzle), one file per area beside
 * this one. Every write is one synchronous IMMEDIATE transaction, so check-then-write
 * is atomic even across processes sharing the file; a busy timeout makes concurrent
 * writers wait, not fail.
 */
import { resolve } from 'node:path';
import type Database from 'better-sqlite3';
import { type AreaFactories, composeAreas, keyedView } from '../shared/areas.ts';
import type { KeyedWrites, Remember, Store, StoreAreas, StoreUsage } from '../store.ts';
import { sqliteApiTokens } from './api-tokens.ts';
import { type SqliteOptions, SqliteDatabase } from './database.ts';
import { sqliteEvents } from './events.ts';
import { sqliteGroups } from './groups.ts';
import { sqliteIdempotency } from './idempotency.ts';
import { sqliteMembers } from './members.ts';
import { sqliteScim } from './scim.ts';
import { sqliteSessions } from './sessions.ts';
import { sqliteSettings } from './settings.ts';
import { sqliteSsoTokens } from './sso-tokens.ts';
import { sqliteUsers } from './users.ts';
import { sqliteWebhooks } from './webhooks.ts';

const AREAS: AreaFactories<SqliteDatabase> = {
  settings: sqliteSettings, groups: sqliteGroups, users: sqliteUsers, members: sqliteMembers, apiTokens: sqliteApiTokens,
  events: sqliteEvents, idempotency: sqliteIdempotency, sessions: sqliteSessions, ssoTokens: sqliteSsoTokens, webhooks: sqliteWebhooks,
  scim: sqliteScim,
};

/** Resolves DATABASE_URL (`file:path` or `:memory:`) to what better-sqlite3 opens. */
export function sqlitePath(databaseUrl: string): string {
  if (databaseUrl === ':memory:' || databaseUrl === 'file::memory:') return ':memory:';
  return resolve(databaseUrl.replace(/^file:(\/\/)?/, ''));
}

/** The area methods, assigned in the constructor from the area files. */
export interface SqliteStore extends StoreAreas {}

export class SqliteStore implements Store {
  readonly dialect = 'sqlite' as const;
  readonly sqlite: Database.Database;
  private readonly database: SqliteDatabase;

  constructor(path: string, options: SqliteOptions = {}) {
    this.database = new SqliteDatabase(path, options);
    this.sqlite = this.database.sqlite;
    Object.assign(this, composeAreas(this.database, AREAS));
  }

  keyed(remember: Remember<any> | undefined): KeyedWrites {
    return keyedView(this, this.database, AREAS, remember);
  }

  /** Applies pending migrations (safe when several processes start at once), then prepares the hot statements. */
  migrate(): void {
    this.database.migrate();
  }

  /**
   * Says the database changed through `sqlite` itself, outside the store's units of
   * work (a repair or a schema change by hand): the reads it remembers are read again.
   */
  changedOutsideUnits(): void {
    this.database.remembered.forgetAll();
  }

  async ping(): Promise<void> {
    this.sqlite.prepare('SELECT 1').get();
  }

  usage(): StoreUsage {
    return { dialect: 'sqlite', writeQueue: this.database.usage() };
  }

  async close(): Promise<void> {
    await this.database.closeWriterThread();
    this.database.close();
  }
}

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
