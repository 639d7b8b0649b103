/** Settings on PostgreSQL. */
import { sql } from 'drizzle-orm';
import type { SettingStore } from '../store.ts';
import type { PostgresDatabase } from './database.ts';
import { settings } from './schema.ts';

export function postgresSettings(c: PostgresDatabase): SettingStore {
  return {
    async putSettingIfAbsent(key, value) {
      return c.write(async () => {
        // DO UPDATE (to the same value) rather than DO NOTHING so the statement returns
        // the stored row even when another instance inserted it a moment ago.
        const [row] = await c.db
          .insert(settings)
          .values({ key, value })
          .onConflictDoUpdate({ target: settings.key, set: { value: sql`${settings.value}` } })
          .returning({ value: settings.value });
        return row!.value;
      });
    },
  };
}
