/** Sessions on SQLite: signing in runs on plain prepared statements in the group commit. */
import { and, eq, inArray, isNull, lt, type SQL, sql } from 'drizzle-orm';
import { liveSessionsPage, sessionColumns } from '../shared/sessions.ts';
import { userColumns } from '../shared/users.ts';
import type { CreateSessionOutcome, EndedSession, SessionStore } from '../store.ts';
import type { Db, SqliteDatabase } from './database.ts';
import { groups, idempotencyKeys, sessions, ssoTokenUses, users } from './schema.ts';

const sessionFields = sessionColumns(sessions);
const userFields = userColumns(users);

/** How many expired sessions one unit of the purge ends. */
const PURGE_BATCH = 1_000;

/** Sessions matching the condition (at most `limit`), with their owners (read inside a unit of work, before ending them). */
export function sessionsWithUsers(db: Db, where: SQL, limit?: number): EndedSession[] {
  const query = db
    .select({ session: sessionFields, user: { id: users.id, username: users.username } })
    .from(sessions)
    .innerJoin(users, eq(users.id, sessions.userId))
    .where(where);
  return (limit === undefined ? query : query.limit(limit)).all();
}

export function sqliteSessions(c: SqliteDatabase): SessionStore {
  const hot = c.statements('sessions', (db, sqlite) => {
    const p = sql.placeholder;
    return {
      // Positional parameters: binding by name from a row object cost more than the insert.
      useSsoToken: sqlite.prepare<[string, number, number]>(
        'INSERT INTO sso_token_uses (jti, used_at, expires_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING',
      ),
      insertSession: sqlite.prepare<[string, string, string, string, number, number, string | null]>(
        `INSERT INTO sessions (id, token_hash, user_id, group_id, created_at, expires_at, api_token_id)
         VALUES (?, ?, ?, ?, ?, ?, ?)`,
      ),
      liveApiToken: sqlite.prepare('SELECT 1 FROM api_tokens WHERE id = ? AND revoked_at IS NULL'),
      deleteGroupSession: sqlite.prepare('DELETE FROM sessions WHERE id = @id AND group_id = @groupId'),
      liveSession: db
        .select({ session: sessionFields, user: userFields, group: groups })
        .from(sessions)
        .innerJoin(users, eq(users.id, sessions.userId))
        .innerJoin(groups, eq(groups.id, sessions.groupId))
        // Its expiry is checked by the caller: a remembered session is not remembered past it.
        .where(and(eq(sessions.tokenHash, p('hash')), isNull(groups.deletedAt)))
        .prepare(),
    };
  });

  // Every cookie request reads it: answered from memory while the database is unchanged.
  const sessionByHash = c.remembered.remember(
    'session-by-hash',
    (hash: string) => hash,
    (hash: string) => hot().liveSession.get({ hash }) ?? null,
  );

  return {
    async createSessionUsingSsoToken(sso, session, newEvents, replacing) {
      const statements = hot();
      return c.write((): CreateSessionOutcome => {
        // Writers take turns, so a revocation cannot come between this check and the insert.
        if (session.apiTokenId !== null && statements.liveApiToken.get(session.apiTokenId) === undefined) {
          return { ok: false, reason: 'api-token-revoked' };
        }
        const inserted = statements.useSsoToken.run(sso.jti, session.createdAt, sso.expiresAt);
        if (inserted.changes === 0) return { ok: false, reason: 'sso-token-used' };
        const { id, tokenHash, userId, groupId, createdAt, expiresAt, apiTokenId } = session;
        statements.insertSession.run(id, tokenHash, userId, groupId, createdAt, expiresAt, apiTokenId);
        c.writeEvents(newEvents);
        if (replacing && statements.deleteGroupSession.run({ id: replacing.sessionId, groupId: session.groupId }).changes > 0) {
          c.writeEvents(replacing.events);
        }
        return { ok: true };
      });
    },

    async findLiveSession(tokenHash, now) {
      const found = sessionByHash(tokenHash);
      return found && found.session.expiresAt > now ? found : null;
    },

    async deleteSessionByHash(tokenHash, newEvents) {
      return c.write((tx) => {
        const ended = tx.delete(sessions).where(eq(sessions.tokenHash, tokenHash)).run().changes > 0;
        if (ended) c.writeEvents(newEvents);
        return ended;
      });
    },

    async deleteSession(groupId, id, eventsOf) {
      return c.write((tx) => {
        const [found] = sessionsWithUsers(tx, and(eq(sessions.groupId, groupId), eq(sessions.id, id))!);
        if (!found) return false;
        tx.delete(sessions).where(eq(sessions.id, id)).run();
        c.writeEvents(eventsOf(found));
        return true;
      });
    },

    async listSessions(groupId, now, limit, after) {
      const page = c.db.select({ session: sessionFields, user: userFields }).from(sessions).innerJoin(users, eq(users.id, sessions.userId));
      return liveSessionsPage(page, sessions, groupId, now, limit, after).all();
    },

    async purgeExpired(now, eventsOf) {
      // Sessions a bounded batch at a time, each with its events in one unit: a unit's
      // savepoint keeps a copy of every page it changes in memory (temp_store), and a
      // server started after weeks down may have a month of sessions to end.
      let gone = 0;
      let ended: number;
      do {
        ended = await c.write((tx) => {
          const expired = sessionsWithUsers(tx, lt(sessions.expiresAt, now), PURGE_BATCH);
          if (expired.length === 0) return 0;
          tx.delete(sessions).where(inArray(sessions.id, expired.map(({ session }) => session.id))).run();
          c.writeEvents(eventsOf(expired));
          return expired.length;
        });
        gone += ended;
      } while (ended === PURGE_BATCH);
      gone += await c.writeOneStatement((tx) => tx.delete(ssoTokenUses).where(lt(ssoTokenUses.expiresAt, now)).run().changes);
      gone += await c.writeOneStatement((tx) => tx.delete(idempotencyKeys).where(lt(idempotencyKeys.expiresAt, now)).run().changes);
      return gone;
    },
  };
}
