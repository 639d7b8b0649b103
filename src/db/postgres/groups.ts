/** Groups on PostgreSQL. */
import { and, count, desc, eq, isNull, sql } from 'drizzle-orm';
import { type CountOf, groupContentCounts } from '../shared/groups.ts';
import type { GroupStore } from '../store.ts';
import { insertEvents, type PostgresDatabase } from './database.ts';
import { apiTokens, groups, memberships, sessions, webhookEndpoints } from './schema.ts';
import { endSessions } from './sessions.ts';

// count(*) is a bigint, which node-postgres reads as a string.
const countOf: CountOf = (table, where) => sql<number>`(SELECT count(*) FROM ${table} WHERE ${where})::int`;

export function postgresGroups(c: PostgresDatabase): GroupStore {
  const { db } = c;
  const p = sql.placeholder;
  const prepared = c.prepared('groups', () => ({
    findGroupBySlug: db
      .select()
      .from(groups)
      .where(and(eq(groups.slug, p('slug')), isNull(groups.deletedAt)))
      .prepare('team_api_find_group_by_slug'),
    findGroupById: db.select().from(groups).where(eq(groups.id, p('id'))).prepare('team_api_find_group_by_id'),
  }));

  return {
    async countGroups() {
      return (await db.select({ n: count() }).from(groups))[0]!.n;
    },

    async findGroupBySlug(slug) {
      return (await prepared.findGroupBySlug.execute({ slug }))[0] ?? null;
    },

    async findLatestGroupBySlug(slug) {
      const [row] = await db
        .select()
        .from(groups)
        .where(eq(groups.slug, slug))
        .orderBy(sql`${groups.deletedAt} IS NOT NULL`, desc(groups.deletedAt))
        .limit(1);
      return row ?? null;
    },

    async insertGroup(group, newEvents) {
      return c.transaction(async (tx) => {
        // The partial unique index on live slugs decides; a taken slug inserts nothing.
        const inserted = await tx.insert(groups).values(group).onConflictDoNothing().returning({ id: groups.id });
        if (inserted.length === 0) return null;
        await insertEvents(tx, newEvents);
        return group;
      });
    },

    async updateGroup(id, changes, eventsOf) {
      if (Object.keys(changes).length === 0) return (await prepared.findGroupById.execute({ id }))[0] ?? null;
      return c.transaction(async (tx) => {
        const [before] = await tx.select().from(groups).where(eq(groups.id, id)).for('update');
        if (!before) return null;
        const [after] = await tx.update(groups).set(changes).where(eq(groups.id, id)).returning();
        await insertEvents(tx, eventsOf({ before, after: after! }));
        return after!;
      });
    },

    async markGroupDeleted(id, at, eventsOf) {
      await c.transaction(async (tx) => {
        await tx.update(groups).set({ deletedAt: at }).where(eq(groups.id, id));
        const ended = await endSessions(tx, eq(sessions.groupId, id));
        await insertEvents(tx, eventsOf(ended));
      });
    },

    async countGroupContents(groupId, now) {
      const [row] = await db
        .select(groupContentCounts({ memberships, apiTokens, sessions, webhookEndpoints }, groupId, now, countOf))
        .from(groups)
        .where(eq(groups.id, groupId));
      // Groups are never removed (only marked deleted), so the row is there.
      return row!;
    },
  };
}
