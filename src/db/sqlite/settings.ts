/** Settings on SQLite. */
import { eq } from 'drizzle-orm';
import type { SettingStore } from '../store.ts';
import type { SqliteDatabase } from './database.ts';
import { settings } from './schema.ts';

export function sqliteSettings(c: SqliteDatabase): SettingStore {
  return {
    async putSettingIfAbsent(key, value) {
      return c.write((tx) => {
        tx.insert(settings).values({ key, value }).onConflictDoNothing().run();
        return tx.select().from(settings).where(eq(settings.key, key)).get()!.value;
      });
    },
  };
}
