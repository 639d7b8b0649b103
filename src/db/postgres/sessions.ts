/** Sessions on PostgreSQL: signing in is one statement, with the SSO token's use and the events. */
import { and, eq, gt, inArray, isNull, lt, type SQL, sql } from 'drizzle-orm';
import { liveSessionsPage, sessionColumns } from '../shared/sessions.ts';
import { userColumns } from '../shared/users.ts';
import type { EndedSession, SessionStore } from '../store.ts';
import { eventsJson, insertEvents, insertEventsFrom, type PostgresDatabase, type Tx } from './database.ts';
import { groups, idempotencyKeys, sessions, ssoTokenUses, users } from './schema.ts';

const sessionFields = sessionColumns(sessions);
const userFields = userColumns(users);

// The jti insert waits on a concurrent use of the same jti and then does nothing;
// no jti row, no session row, no events. The session a browser had ($9) ends in
// the same statement, with its events ($11), if it was still there. A session of an
// API token's link ($12) is made only while the token is not revoked: its row is
// locked FOR SHARE, so a revocation under way is waited for (and then seen), and one
// that starts later waits for this login and then ends its session.
const createSessionStatement = {
  name: 'team_api_create_session_using_sso_token_v2',
  text: `WITH minter AS (
      SELECT id FROM api_tokens WHERE id = $12 AND revoked_at IS NULL FOR SHARE
    ), admitted AS (
      SELECT ($12::text IS NULL OR EXISTS (SELECT 1 FROM minter)) AS ok
    ), use AS (
      INSERT INTO sso_token_uses (jti, used_at, expires_at)
      SELECT $1, $2, $3 WHERE (SELECT ok FROM admitted)
      ON CONFLICT (jti) DO NOTHING
      RETURNING jti
    ), session AS (
      INSERT INTO sessions (id, token_hash, user_id, group_id, created_at, expires_at, api_token_id)
      SELECT $4, $5, $6, $7, $2, $8, $12 FROM use
      RETURNING id
    ), created_events AS (
      ${insertEventsFrom('$10', 'EXISTS (SELECT 1 FROM session)')}
    ), replaced AS (
      DELETE FROM sessions WHERE id = $9 AND group_id = $7 AND EXISTS (SELECT 1 FROM use)
      RETURNING id
    ), replaced_events AS (
      ${insertEventsFrom('$11', 'EXISTS (SELECT 1 FROM replaced)')}
    )
    SELECT (SELECT count(*)::int FROM session) AS created, (SELECT ok FROM admitted) AS admitted`,
};

/** Deletes the sessions matching the condition; returns them with their owners. */
export async function endSessions(tx: Tx, where: SQL): Promise<EndedSession[]> {
  const ended = await tx.delete(sessions).where(where).returning(sessionFields);
  if (ended.length === 0) return [];
  const owners = await tx
    .select({ id: users.id, username: users.username })
    .from(users)
    .where(inArray(users.id, [...new Set(ended.map((s) => s.userId))]));
  const byId = new Map(owners.map((u) => [u.id, u]));
  return ended.map((session) => ({ session, user: byId.get(session.userId)! }));
}

export function postgresSessions(c: PostgresDatabase): SessionStore {
  const p = sql.placeholder;
  const findLiveSession = c.db
    .select({ session: sessionFields, user: userFields, group: groups })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .innerJoin(groups, eq(groups.id, sessions.groupId))
    .where(and(eq(sessions.tokenHash, p('tokenHash')), gt(sessions.expiresAt, p('now')), isNull(groups.deletedAt)))
    .prepare('team_api_find_live_session');

  return {
    async createSessionUsingSsoToken(sso, session, newEvents, replacing) {
      return c.write(async () => {
        const result = await c.run(createSessionStatement, [
          sso.jti,
          session.createdAt,
          sso.expiresAt,
          session.id,
          session.tokenHash,
          session.userId,
          session.groupId,
          session.expiresAt,
          replacing?.sessionId ?? null,
          eventsJson(newEvents),
          eventsJson(replacing?.events ?? []),
          session.apiTokenId,
        ]);
        const [row] = result.rows;
        if (row.created === 1) return { ok: true };
        return { ok: false, reason: row.admitted ? 'sso-token-used' : 'api-token-revoked' };
      });
    },

    async findLiveSession(tokenHash, now) {
      return (await findLiveSession.execute({ tokenHash, now }))[0] ?? null;
    },

    async deleteSessionByHash(tokenHash, newEvents) {
      return c.transaction(async (tx) => {
        const ended = await tx.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).returning({ id: sessions.id });
        if (ended.length > 0) await insertEvents(tx, newEvents);
        return ended.length > 0;
      });
    },

    async deleteSession(groupId, id, eventsOf) {
      return c.transaction(async (tx) => {
        const [ended] = await endSessions(tx, and(eq(sessions.groupId, groupId), eq(sessions.id, id))!);
        if (!ended) return false;
        await insertEvents(tx, eventsOf(ended));
        return true;
      });
    },

    async listSessions(groupId, now, limit, after) {
      const page = c.db.select({ session: sessionFields, user: userFields }).from(sessions).innerJoin(users, eq(users.id, sessions.userId));
      return liveSessionsPage(page, sessions, groupId, now, limit, after);
    },

    async purgeExpired(now, eventsOf) {
      return c.transaction(async (tx) => {
        const expired = await endSessions(tx, lt(sessions.expiresAt, now));
        const expiredUses = await tx.delete(ssoTokenUses).where(lt(ssoTokenUses.expiresAt, now));
        const expiredKeys = await tx.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now));
        await insertEvents(tx, eventsOf(expired));
        return expired.length + (expiredUses.rowCount ?? 0) + (expiredKeys.rowCount ?? 0);
      });
    },
  };
}
