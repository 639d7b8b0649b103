/**
 * The composition root: turns the configuration into what every entry point works
 * over (the server, each cluster worker, the admin CLI, the webhook delivery thread):
 * the store, opened and migrated; the SSO secret, settled; the services over them;
 * and how to close it. Nothing else opens the configured database or builds services.
 */
import type { Config } from './config/config.ts';
import { isPostgresUrl } from './db/database-url.ts';
import type { Store } from './db/store.ts';
import { newSecret } from './domain/secrets.ts';
import { createServices, type Services } from './domain/services.ts';

export interface Runtime {
  config: Config;
  store: Store;
  /** SSO_SECRET, or the secret generated on the first start and kept in the database (HS256 key material for SSO tokens). */
  ssoSecret: string;
  services: Services;
  /** Closes the store: call it once whatever writes to it (requests, delivery, housekeeping) has stopped. */
  close(): Promise<void>;
}

export interface RuntimeOptions {
  /** The clock the services read; tests move it. */
  now?: () => number;
  /** PostgreSQL connections this runtime keeps at most; DATABASE_POOL_SIZE by default. */
  poolSize?: number;
  /** How SQLite commits on this connection: FULL (an fsync per commit) by default. */
  sqliteSynchronous?: 'FULL' | 'NORMAL';
  /** A store already open (a test's own database) to build over instead of the configured one; closed with the runtime. */
  store?: Store;
}

export async function openRuntime(config: Config, options: RuntimeOptions = {}): Promise<Runtime> {
  const store = options.store ?? (await openStore(config, options));
  try {
    const ssoSecret = config.ssoSecret ?? (await store.putSettingIfAbsent('sso_secret', newSecret()));
    const services = createServices({ config, store, now: options.now ?? Date.now, ssoKey: new TextEncoder().encode(ssoSecret) });
    return { config, store, ssoSecret, services, close: () => store.close() };
  } catch (error) {
    await store.close();
    throw error;
  }
}

/**
 * Opens the configured database (SQLite, or PostgreSQL for a `postgres://` URL), creating
 * and migrating it. Only the chosen store's code is loaded: the other one's modules (and
 * its driver) were a fifth of an admin command's start-up.
 */
async function openStore(config: Config, options: RuntimeOptions): Promise<Store> {
  if (isPostgresUrl(config.databaseUrl)) {
    const { openPostgresStore } = await import('./db/postgres/store.ts');
    return openPostgresStore(config.databaseUrl, { poolSize: options.poolSize ?? config.databasePoolSize });
  }
  const { openSqliteStore } = await import('./db/sqlite/store.ts');
  return openSqliteStore(config.databaseUrl, { synchronous: options.sqliteSynchronous });
}
