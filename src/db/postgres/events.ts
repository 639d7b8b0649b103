/**
 * The event log on PostgreSQL. A transaction that took a lower sequence number can
 * commit after a higher one is read, so the feed is ordered by (transaction id,
 * sequence number) and shows an event only once every older transaction has ended.
 */
import { asc, desc, gte, lt, type SQL, sql } from 'drizzle-orm';
import { type EventPage, eventRecord, eventsPage } from '../shared/events.ts';
import type { EventRecord, EventStore, Remember } from '../store.ts';
import { CLAIM_HOLDS, claimCte, eventsJson, insertEventsFrom, type PostgresDatabase } from './database.ts';
import { events } from './schema.ts';

const recordEventsStatement = {
  name: 'team_api_record_events',
  text: `WITH ${claimCte('$2', '$3', '$4', '$5', '$6', '$7', '$8')},
    new_events AS (${insertEventsFrom('$1', CLAIM_HOLDS('$3'))})
    SELECT (SELECT count(*) FROM keyed)::int AS keyed`,
};

export function postgresEvents(c: PostgresDatabase, remember?: Remember<any>): EventStore {
  /** The group's events of the filter's types that meet the conditions, in this order. */
  async function selectEvents(groupId: string, filter: EventPage, where: Array<SQL | undefined>, order: SQL[]): Promise<EventRecord[]> {
    const rows = await eventsPage(c.db.select().from(events), events, groupId, filter, where, order);
    return rows.map((row) => eventRecord(row, { tx: row.tx, seq: row.seq }));
  }

  return {
    async recordEvents(newEvents) {
      if (newEvents.length === 0 && !remember) return;
      await c.keyedStatement(recordEventsStatement, [eventsJson(newEvents)], remember);
    },

    async listEvents(groupId, filter) {
      const { since } = filter;
      const after = filter.after ?? { tx: '0', seq: 0 };
      const where = [
        sql`(${events.tx}, ${events.seq}) > (${after.tx}::xid8, ${after.seq})`,
        // Only transactions that have all ended: none can still commit an event before these.
        sql`${events.tx} < pg_snapshot_xmin(pg_current_snapshot())`,
        since !== null ? gte(events.occurredAt, since) : undefined,
      ];
      return selectEvents(groupId, filter, where, [asc(events.tx), asc(events.seq)]);
    },

    async listRecentEvents(groupId, filter) {
      const { before } = filter;
      const where = [before ? sql`(${events.tx}, ${events.seq}) < (${before.tx}::xid8, ${before.seq})` : undefined];
      return selectEvents(groupId, filter, where, [desc(events.tx), desc(events.seq)]);
    },

    async feedCaughtUp(timeoutMs) {
      const giveUpAt = Date.now() + timeoutMs;
      const { rows } = await c.pool.query<{ next: string }>('SELECT pg_snapshot_xmax(pg_current_snapshot())::text AS next');
      const next = rows[0]!.next;
      for (let pause = 5; ; pause = Math.min(pause * 2, 200)) {
        const check = await c.pool.query<{ done: boolean }>('SELECT pg_snapshot_xmin(pg_current_snapshot()) >= $1::xid8 AS done', [
          next,
        ]);
        if (check.rows[0]!.done) return true;
        if (Date.now() >= giveUpAt) return false;
        await new Promise((resolve) => setTimeout(resolve, pause));
      }
    },

    async eventFeedLag(now) {
      // The newest events are the ones that can be held back: a look at the last thousand
      // by sequence number keeps the query's cost flat however large the log grows.
      const { rows } = await c.pool.query<{ oldest: string | null }>(
        `SELECT min(occurred_at)::text AS oldest FROM (SELECT occurred_at, tx FROM events ORDER BY seq DESC LIMIT 1000) recent
         WHERE tx >= pg_snapshot_xmin(pg_current_snapshot())`,
      );
      const oldest = rows[0]?.oldest;
      return oldest == null ? 0 : Math.max(0, now - Number(oldest));
    },

    async purgeEvents(before) {
      return c.write(async () => {
        // Events are in time order by `seq`: the first one young enough to keep marks where
        // the purge stops, found by reading only the events it deletes.
        const [kept] = await c.db.select({ seq: events.seq }).from(events).where(gte(events.occurredAt, before)).orderBy(asc(events.seq)).limit(1);
        return (await c.db.delete(events).where(kept ? lt(events.seq, kept.seq) : undefined)).rowCount ?? 0;
      });
    },
  };
}
