/** SSO token uses on SQLite (they are written when a session is created: sessions.ts). */
import { eq, sql } from 'drizzle-orm';
import type { SsoTokenStore } from '../store.ts';
import type { SqliteDatabase } from './database.ts';
import { ssoTokenUses } from './schema.ts';

export function sqliteSsoTokens(c: SqliteDatabase): SsoTokenStore {
  const hot = c.statements('sso-tokens', (db) => ({
    ssoTokenUse: db.select().from(ssoTokenUses).where(eq(ssoTokenUses.jti, sql.placeholder('jti'))).prepare(),
  }));
  return {
    async findSsoTokenUse(jti) {
      return hot().ssoTokenUse.get({ jti }) ?? null;
    },
  };
}
