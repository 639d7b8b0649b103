/**
 * The Store on PostgreSQL (node-postgres pool through drizzle), for deployments
 * that run several instances on one database; one file per area beside this one.
 *
 * Concurrency: READ COMMITTED (the default) plus unique constraints. Writes that
 * must be all-or-nothing and are hot are single statements (data-modifying CTEs):
 * one round trip, atomic on their own, and a concurrent duplicate waits on the
 * unique index and then loses with a typed outcome. Rarer multi-statement writes
 * use a transaction. Deadlocks and serialization failures are retried a few times.
 */
import type pg from 'pg';
import { type AreaFactories, composeAreas, keyedView } from '../shared/areas.ts';
import type { KeyedWrites, Remember, Store, StoreAreas, StoreUsage } from '../store.ts';
import { postgresApiTokens } from './api-tokens.ts';
import { PostgresDatabase, type PostgresOptions } from './database.ts';
import { postgresEvents } from './events.ts';
import { postgresGroups } from './groups.ts';
import { postgresIdempotency } from './idempotency.ts';
import { postgresMembers } from './members.ts';
import { postgresScim } from './scim.ts';
import { postgresSessions } from './sessions.ts';
import { postgresSettings } from './settings.ts';
import { postgresSsoTokens } from './sso-tokens.ts';
import { postgresUsers } from './users.ts';
import { postgresWebhooks } from './webhooks.ts';

const AREAS: AreaFactories<PostgresDatabase> = {
  settings: postgresSettings, groups: postgresGroups, users: postgresUsers, members: postgresMembers, apiTokens: postgresApiTokens,
  events: postgresEvents, idempotency: postgresIdempotency, sessions: postgresSessions, ssoTokens: postgresSsoTokens, webhooks: postgresWebhooks,
  scim: postgresScim,
};

/** The area methods, assigned in the constructor from the area files. */
export interface PostgresStore extends StoreAreas {}

export class PostgresStore implements Store {
  readonly dialect = 'postgres' as const;
  readonly pool: pg.Pool;
  private readonly database: PostgresDatabase;
  private closed = false;

  constructor(databaseUrl: string, options: PostgresOptions = {}) {
    this.database = new PostgresDatabase(databaseUrl, options);
    this.pool = this.database.pool;
    Object.assign(this, composeAreas(this.database, AREAS));
  }

  keyed(remember: Remember<any> | undefined): KeyedWrites {
    return keyedView(this, this.database, AREAS, remember);
  }

  /** Creates the configured schema if needed and applies pending migrations (instances take turns). */
  migrate(): Promise<void> {
    return this.database.migrate();
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
