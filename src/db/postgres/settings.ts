/** Settings on PostgreSQL. */
import { eq, sql } from 'drizzle-orm';
import type { SettingStore } from '../store.ts';
import type { PostgresDatabase } from './database.ts';
import { settings } from './schema.ts';

export function postgresSettings(c: PostgresDatabase): SettingStore {
  const getSetting = c.db
    .select({ value: settings.value })
    .from(settings)
    .where(eq(settings.key, sql.placeholder('key')))
    .prepare('team_api_get_setting');

  return {
    async getSetting(key) {
      return (await getSetting.execute({ key }))[0]?.value ?? null;
    },

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
