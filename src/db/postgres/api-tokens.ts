/** API tokens on PostgreSQL. */
import { eq, sql } from 'drizzle-orm';
import { tokenColumns, tokensOf } from '../shared/api-tokens.ts';
import type { ApiTokenStore, Remember } from '../store.ts';
import { insertEvents, type PostgresDatabase } from './database.ts';
import { apiTokens, groups, sessions } from './schema.ts';
import { endSessions } from './sessions.ts';

const tokenFields = tokenColumns(apiTokens);

const touchStatement = {
  name: 'team_api_touch_api_tokens',
  text: `UPDATE api_tokens AS t
    SET last_used_at = GREATEST(COALESCE(t.last_used_at, 0), u.at)
    FROM unnest($1::text[], $2::bigint[]) AS u(id, at)
    WHERE t.id = u.id`,
};

export function postgresApiTokens(c: PostgresDatabase, remember?: Remember<any>): ApiTokenStore {
  const { db } = c;
  const p = sql.placeholder;
  const prepared = c.prepared('api-tokens', () => ({
    findApiTokenByHash: db
      .select({ token: tokenFields, group: groups })
      .from(apiTokens)
      .innerJoin(groups, eq(groups.id, apiTokens.groupId))
      .where(eq(apiTokens.tokenHash, p('tokenHash')))
      .prepare('team_api_find_api_token_by_hash'),
    findApiToken: db.select(tokenFields).from(apiTokens).where(eq(apiTokens.id, p('id'))).prepare('team_api_find_api_token'),
  }));

  return {
    async insertApiToken(token, newEvents) {
      await c.keyedTransaction(remember, async (tx, settle) => {
        await tx.insert(apiTokens).values(token);
        await insertEvents(tx, newEvents);
        await settle(undefined);
      });
    },

    async findApiTokenByHash(tokenHash) {
      return (await prepared.findApiTokenByHash.execute({ tokenHash }))[0] ?? null;
    },

    async findApiToken(id) {
      return (await prepared.findApiToken.execute({ id }))[0] ?? null;
    },

    async listApiTokens(groupId) {
      return tokensOf(db.select(tokenFields).from(apiTokens), apiTokens, groupId);
    },

    async revokeApiToken(id, at, eventsOf) {
      return c.transaction(async (tx) => {
        const [before] = await tx.select(tokenFields).from(apiTokens).where(eq(apiTokens.id, id)).for('update');
        // Revoking twice keeps the first revocation time, and records one event.
        if (!before || before.revokedAt !== null) return before ?? null;
        const [row] = await tx.update(apiTokens).set({ revokedAt: at }).where(eq(apiTokens.id, id)).returning(tokenFields);
        // The sessions its sign-in links made end with it. A login through its link locks
        // the token's row (FOR SHARE) while it creates its session, so this statement,
        // run after the row lock is ours, sees every such session committed.
        const ended = await endSessions(tx, eq(sessions.apiTokenId, id));
        await insertEvents(tx, eventsOf({ token: row!, ended }));
        return row!;
      });
    },

    async touchApiTokens(lastUsed) {
      if (lastUsed.size === 0) return;
      // Sorted so overlapping batches from several instances tend to lock rows in one
      // order; a deadlock that still happens is retried by write().
      const entries = [...lastUsed].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
      await c.write(() => c.run(touchStatement, [entries.map(([id]) => id), entries.map(([, at]) => at)]));
    },
  };
}
