/** What the server and the CLI do before serving: open the database, settle the SSO secret, seed the demo group. */
import type { Config } from './config/config.ts';
import { isPostgresUrl, openPostgresStore } from './db/postgres/store.ts';
import { openSqliteStore } from './db/sqlite/store.ts';
import type { Store } from './db/store.ts';
import { SYSTEM_CALLER } from './domain/events.ts';
import { newSecret } from './domain/secrets.ts';
import type { Services } from './domain/services.ts';

/** Opens the configured database (SQLite, or PostgreSQL for a `postgres://` URL), creating and migrating it. */
export async function openStore(config: Config): Promise<Store> {
  if (isPostgresUrl(config.databaseUrl)) {
    return openPostgresStore(config.databaseUrl, { poolSize: config.databasePoolSize });
  }
  return openSqliteStore(config.databaseUrl);
}

/** SSO_SECRET when set; else a secret generated on first start and kept in the database. */
export async function resolveSsoSecret(config: Config, store: Store): Promise<string> {
  if (config.ssoSecret) return config.ssoSecret;
  return store.putSettingIfAbsent('sso_secret', newSecret());
}

export const DEMO_GROUP = 'demo';

/**
 * On an empty database outside production: group `demo` with one API token, so
 * GraphiQL works at once. Returns the token (shown once), or null when nothing was made.
 */
export async function seedDemoGroup(config: Config, store: Store, services: Services): Promise<string | null> {
  if (config.production || (await store.countGroups()) > 0) return null;
  let group;
  try {
    group = await services.groups.create(DEMO_GROUP, { title: 'Demo group', isApiEnabled: true }, SYSTEM_CALLER);
  } catch (error) {
    // Another instance on the same database, starting at the same moment, seeded it first.
    if (await store.findGroupBySlug(DEMO_GROUP)) return null;
    throw error;
  }
  const { token } = await services.apiTokens.create(group, 'demo', SYSTEM_CALLER);
  return token;
}
