/** The event log on SQLite: writers take turns, so the sequence number alone is the feed order. */
import { asc, desc, gt, gte, lt, type SQL } from 'drizzle-orm';
import { type EventPage, eventRecord, type EventRow, eventsPage } from '../shared/events.ts';
import type { EventRecord, EventStore, Remember } from '../store.ts';
import type { SqliteDatabase } from './database.ts';
import { events } from './schema.ts';

export function sqliteEvents(c: SqliteDatabase, remember?: Remember<any>): EventStore {
  /** The group's events of the filter's types that meet the conditions, in this order. */
  function selectEvents(groupId: string, filter: EventPage, where: Array<SQL | undefined>, order: SQL): EventRecord[] {
    const rows = eventsPage(c.db.select().from(events), events, groupId, filter, where, [order]).all();
    return rows.map((row) => eventRecord(row, { tx: '0', seq: row.seq }));
  }

  /**
   * The feed's next page as the webhook worker reads it, again and again (no time
   * bound): one prepared statement, where building and preparing the query cost a
   * delivery more than the read. The types are a JSON array (null: all).
   */
  const hot = c.statements('events', (_db, sqlite) => ({
    feedPage: sqlite.prepare<{ groupId: string; after: number; types: string | null; limit: number }, EventRow & { seq: number }>(
      `SELECT seq, id, group_id AS groupId, type, occurred_at AS occurredAt, actor_type AS actorType, actor_id AS actorId,
         actor_name AS actorName, target_type AS targetType, target_id AS targetId, target_name AS targetName, ip,
         user_agent AS userAgent, request_id AS requestId, data
       FROM events
       WHERE group_id = @groupId AND seq > @after AND (@types IS NULL OR type IN (SELECT value FROM json_each(@types)))
       ORDER BY seq LIMIT @limit`,
    ),
  }));

  return {
    async recordEvents(newEvents) {
      await c.write(
        (_tx, settle) => {
          c.writeEvents(newEvents);
          settle();
        },
        remember,
        newEvents.length === 1 && !remember,
      );
    },

    async listEvents(groupId, filter) {
      const { after, since, types, limit } = filter;
      if (since === null) {
        const rows = hot().feedPage.all({ groupId, after: after?.seq ?? 0, types: types && JSON.stringify(types), limit });
        return rows.map((row) => eventRecord(row, { tx: '0', seq: row.seq }));
      }
      const where = [after ? gt(events.seq, after.seq) : undefined, since !== null ? gte(events.occurredAt, since) : undefined];
      return selectEvents(groupId, filter, where, asc(events.seq));
    },

    async listRecentEvents(groupId, filter) {
      const { before } = filter;
      return selectEvents(groupId, filter, [before ? lt(events.seq, before.seq) : undefined], desc(events.seq));
    },

    async feedCaughtUp() {
      return true;
    },

    async eventFeedLag() {
      return 0;
    },

    async purgeEvents(before) {
      return c.writeOneStatement((tx) => {
        // Events are in time order by `seq`: the first one young enough to keep marks where
        // the purge stops, found by reading only the events it deletes.
        const kept = tx.select({ seq: events.seq }).from(events).where(gte(events.occurredAt, before)).orderBy(asc(events.seq)).limit(1).get();
        return tx.delete(events).where(kept ? lt(events.seq, kept.seq) : undefined).run().changes;
      });
    },
  };
}
