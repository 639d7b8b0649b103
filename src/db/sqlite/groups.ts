/** Groups on SQLite. */
import { and, desc, eq, isNull, sql } from 'drizzle-orm';
import { type CountOf, groupContentCounts } from '../shared/groups.ts';
import type { GroupStore } from '../store.ts';
import type { SqliteDatabase } from './database.ts';
import { apiTokens, groups, memberships, sessions, webhookEndpoints } from './schema.ts';
import { sessionsWithUsers } from './sessions.ts';

const count: CountOf = (table, where) => sql<number>`(SELECT count(*) FROM ${table} WHERE ${where})`;

export function sqliteGroups(c: SqliteDatabase): GroupStore {
  const { db } = c;
  const hot = c.statements('groups', (db) => ({
    groupBySlug: db
      .select()
      .from(groups)
      .where(and(eq(groups.slug, sql.placeholder('slug')), isNull(groups.deletedAt)))
      .prepare(),
  }));

  // Every sign-in reads its group by the slug: answered from memory until a group changes.
  const groupBySlug = c.remembered.remember(
    'group-by-slug',
    (slug: string) => slug,
    (slug: string) => hot().groupBySlug.get({ slug }) ?? null,
    ['groups'],
  );

  return {
    async countGroups() {
      return db.select({ n: sql<number>`count(*)` }).from(groups).get()!.n;
    },

    async findGroupBySlug(slug) {
      return groupBySlug(slug);
    },

    async findLatestGroupBySlug(slug) {
      return (
        db
          .select()
          .from(groups)
          .where(eq(groups.slug, slug))
          // Live first (NULL sorts first ascending in SQLite), then the latest deleted.
          .orderBy(sql`${groups.deletedAt} IS NOT NULL`, desc(groups.deletedAt))
          .limit(1)
          .get() ?? null
      );
    },

    async insertGroup(group, newEvents) {
      return c.write((tx) => {
        const taken = tx
          .select({ id: groups.id })
          .from(groups)
          .where(and(eq(groups.slug, group.slug), isNull(groups.deletedAt)))
          .get();
        if (taken) return null;
        tx.insert(groups).values(group).run();
        c.writeEvents(newEvents);
        return group;
      });
    },

    async updateGroup(id, changes, eventsOf) {
      return c.write((tx) => {
        const before = tx.select().from(groups).where(eq(groups.id, id)).get();
        if (!before) return null;
        if (Object.keys(changes).length === 0) return before;
        tx.update(groups).set(changes).where(eq(groups.id, id)).run();
        const after = tx.select().from(groups).where(eq(groups.id, id)).get()!;
        c.writeEvents(eventsOf({ before, after }));
        return after;
      });
    },

    async markGroupDeleted(id, at, eventsOf) {
      await c.write((tx) => {
        const ended = sessionsWithUsers(tx, eq(sessions.groupId, id));
        tx.update(groups).set({ deletedAt: at }).where(eq(groups.id, id)).run();
        tx.delete(sessions).where(eq(sessions.groupId, id)).run();
        c.writeEvents(eventsOf(ended));
      });
    },

    async countGroupContents(groupId, now) {
      return (
        db
          .select(groupContentCounts({ memberships, apiTokens, sessions, webhookEndpoints }, groupId, now, count))
          .from(groups)
          .where(eq(groups.id, groupId))
          // Groups are never removed (only marked deleted), so the row is there.
          .get()!
      );
    },
  };
}
