/** SSO token uses on PostgreSQL (they are written when a session is created: sessions.ts). */
import { eq, sql } from 'drizzle-orm';
import type { SsoTokenStore } from '../store.ts';
import type { PostgresDatabase } from './database.ts';
import { ssoTokenUses } from './schema.ts';

export function postgresSsoTokens(c: PostgresDatabase): SsoTokenStore {
  const findSsoTokenUse = c.db
    .select()
    .from(ssoTokenUses)
    .where(eq(ssoTokenUses.jti, sql.placeholder('jti')))
    .prepare('team_api_find_sso_token_use');
  return {
    async findSsoTokenUse(jti) {
      return (await findSsoTokenUse.execute({ jti }))[0] ?? null;
    },
  };
}
