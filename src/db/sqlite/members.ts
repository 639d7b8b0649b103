/** Memberships on SQLite. */
import { and, eq, gte, lt, sql } from 'drizzle-orm';
import { memberColumns, membersPage } from '../shared/members.ts';
import { membershipLeftovers } from '../shared/scim.ts';
import type { MemberStore, RemoveMembershipOutcome, Remember } from '../store.ts';
import type { Db, SqliteDatabase } from './database.ts';
import { memberships, sessions, users } from './schema.ts';

const memberFields = memberColumns(users, memberships);

function countAdminsIn(db: Db, groupId: string): number {
  return db
    .select({ n: sql<number>`count(*)` })
    .from(memberships)
    .where(and(eq(memberships.groupId, groupId), eq(memberships.role, 'admin')))
    .get()!.n;
}

export function sqliteMembers(c: SqliteDatabase, remember?: Remember<any>): MemberStore {
  const hot = c.statements('members', (db) => {
    const p = sql.placeholder;
    return {
      member: db
        .select(memberFields)
        .from(users)
        .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.groupId, p('groupId'))))
        .where(eq(users.username, p('username')))
        .prepare(),
      // Driven by the emails (users' index), then each user's memberships: the unary +
      // keeps SQLite from scanning all of the group's memberships instead, which it
      // prefers without statistics, and which grows with the group.
      membersByEmails: db
        .select(memberFields)
        .from(users)
        .innerJoin(memberships, and(eq(memberships.userId, users.id), sql`+${memberships.groupId} = ${p('groupId')}`))
        .where(sql`${users.emailNormalized} IN (SELECT value FROM json_each(${p('emails')}))`)
        .prepare(),
    };
  });

  // Minting a sign-in link and signing in read it: answered from memory until users or
  // memberships change. Forgotten by every commit (as it was), it was read again for
  // nearly every sign-in under load, each committing a session.
  const memberOf = c.remembered.remember(
    'member-by-group-and-username',
    (groupId: string, username: string) => `${groupId} ${username}`,
    (groupId: string, username: string) => hot().member.get({ groupId, username }) ?? null,
    ['users', 'memberships'],
  );

  return {
    async findMembersByEmails(groupId, emails) {
      if (emails.length === 0) return [];
      return hot().membersByEmails.all({ groupId, emails: JSON.stringify(emails) });
    },

    async findMember(groupId, username) {
      return memberOf(groupId, username);
    },

    async upsertMembership(groupId, userId, role, at, eventsOf) {
      return c.write((tx) => {
        const pair = and(eq(memberships.groupId, groupId), eq(memberships.userId, userId));
        const previousRole = tx.select({ role: memberships.role }).from(memberships).where(pair).get()?.role ?? null;
        tx.insert(memberships)
          .values({ groupId, userId, role, createdAt: at })
          .onConflictDoUpdate({ target: [memberships.groupId, memberships.userId], set: { role } })
          .run();
        const member = tx.select(memberFields).from(memberships).innerJoin(users, eq(users.id, memberships.userId)).where(pair).get()!;
        if (previousRole !== role) c.writeEvents(eventsOf({ previousRole, member }));
        return member;
      });
    },

    async removeMembership(groupId, userId, options, eventsOf) {
      return c.write((tx, settle): RemoveMembershipOutcome => {
        const pair = and(eq(memberships.groupId, groupId), eq(memberships.userId, userId));
        const member = tx.select({ role: memberships.role }).from(memberships).where(pair).get();
        if (!member) return { ok: false, reason: 'not-member' };
        if (options.keepLastAdmin && member.role === 'admin' && countAdminsIn(tx, groupId) <= 1) {
          return { ok: false, reason: 'last-admin' };
        }
        tx.delete(memberships).where(pair).run();
        for (const leftover of membershipLeftovers(groupId, userId)) tx.run(leftover);
        const ended = tx
          .delete(sessions)
          .where(and(eq(sessions.groupId, groupId), eq(sessions.userId, userId)))
          .returning({ id: sessions.id })
          .all();
        const sessionIds = ended.map((s) => s.id);
        c.writeEvents(eventsOf({ role: member.role, sessionIds }));
        const revokedSessions = sessionIds.length;
        settle({ revokedSessions });
        return { ok: true, revokedSessions };
      }, remember);
    },

    async countAdmins(groupId) {
      return countAdminsIn(c.db, groupId);
    },

    async listMembers(groupId, limit, after, usernamePrefix = null) {
      // A range of the username index: every name that starts with the prefix sorts
      // from it up to it followed by "~", which sorts after a-z, 0-9 and "-".
      const prefix = usernamePrefix
        ? and(gte(users.username, usernamePrefix), lt(users.username, `${usernamePrefix}~`))
        : undefined;
      const page = c.db.select(memberFields).from(memberships).innerJoin(users, eq(users.id, memberships.userId));
      return membersPage(page, memberships, groupId, limit, after, prefix).all();
    },
  };
}
