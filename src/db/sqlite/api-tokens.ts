/** API tokens on SQLite. */
import { and, eq, isNull, sql } from 'drizzle-orm';
import { tokenColumns, tokensOf } from '../shared/api-tokens.ts';
import type { ApiTokenStore, Remember } from '../store.ts';
import type { SqliteDatabase } from './database.ts';
import { apiTokens, groups, sessions } from './schema.ts';
import { sessionsWithUsers } from './sessions.ts';

const tokenFields = tokenColumns(apiTokens);

export function sqliteApiTokens(c: SqliteDatabase, remember?: Remember<any>): ApiTokenStore {
  const { db } = c;
  const hot = c.statements('api-tokens', (db) => ({
    apiTokenByHash: db
      .select({ token: tokenFields, group: groups })
      .from(apiTokens)
      .innerJoin(groups, eq(groups.id, apiTokens.groupId))
      .where(eq(apiTokens.tokenHash, sql.placeholder('hash')))
      .prepare(),
    apiTokenById: db.select(tokenFields).from(apiTokens).where(eq(apiTokens.id, sql.placeholder('id'))).prepare(),
  }));

  // Every API-token request reads it: answered from memory until its tables change,
  // so that the writes of those requests (a user, a sign-in link) do not forget it.
  const tokenByHash = c.remembered.remember(
    'api-token-by-hash',
    (hash: string) => hash,
    (hash: string) => hot().apiTokenByHash.get({ hash }) ?? null,
    ['api_tokens', 'groups'],
  );

  // A sign-in link minted with an API token reads it by id at sign-in (is it revoked?).
  const tokenById = c.remembered.remember(
    'api-token-by-id',
    (id: string) => id,
    (id: string) => hot().apiTokenById.get({ id }) ?? null,
    ['api_tokens'],
  );

  return {
    async insertApiToken(token, newEvents) {
      await c.write((tx, settle) => {
        tx.insert(apiTokens).values(token).run();
        c.writeEvents(newEvents);
        settle();
      }, remember);
    },

    async findApiTokenByHash(tokenHash) {
      return tokenByHash(tokenHash);
    },

    async findApiToken(id) {
      return tokenById(id);
    },

    async listApiTokens(groupId) {
      return tokensOf(db.select(tokenFields).from(apiTokens), apiTokens, groupId).all();
    },

    async revokeApiToken(id, at, eventsOf) {
      return c.write((tx) => {
        const revoked = tx
          .update(apiTokens)
          .set({ revokedAt: at })
          .where(and(eq(apiTokens.id, id), isNull(apiTokens.revokedAt)))
          .run().changes;
        const token = tx.select(tokenFields).from(apiTokens).where(eq(apiTokens.id, id)).get() ?? null;
        if (!token || revoked === 0) return token;
        // The sessions its sign-in links made end with it: none outlives the revocation.
        const ended = sessionsWithUsers(tx, eq(sessions.apiTokenId, id));
        if (ended.length > 0) tx.delete(sessions).where(eq(sessions.apiTokenId, id)).run();
        c.writeEvents(eventsOf({ token, ended }));
        return token;
      });
    },

    async touchApiTokens(lastUsed) {
      if (lastUsed.size === 0) return;
      await c.write((tx) => {
        for (const [id, at] of lastUsed) {
          tx.update(apiTokens)
            .set({ lastUsedAt: sql`max(coalesce(${apiTokens.lastUsedAt}, 0), ${at})` })
            .where(eq(apiTokens.id, id))
            .run();
        }
      });
    },
  };
}
