/** Memberships on PostgreSQL. */
import { and, count, eq, like, sql } from 'drizzle-orm';
import { memberColumns, membersPage } from '../shared/members.ts';
import { membershipLeftovers } from '../shared/scim.ts';
import type { MemberStore, RemoveMembershipOutcome, Remember } from '../store.ts';
import { insertEvents, type PostgresDatabase } from './database.ts';
import { memberships, sessions, users } from './schema.ts';

const memberFields = memberColumns(users, memberships);

export function postgresMembers(c: PostgresDatabase, remember?: Remember<any>): MemberStore {
  const { db } = c;
  const p = sql.placeholder;
  const prepared = c.prepared('members', () => ({
    findMembersByEmails: db
      .select(memberFields)
      .from(users)
      .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.groupId, p('groupId'))))
      .where(sql`${users.emailNormalized} = ANY(${p('emails')}::text[])`)
      .prepare('team_api_find_members_by_emails'),
    findMember: db
      .select(memberFields)
      .from(users)
      .innerJoin(memberships, and(eq(memberships.userId, users.id), eq(memberships.groupId, p('groupId'))))
      .where(eq(users.username, p('username')))
      .prepare('team_api_find_member'),
  }));

  return {
    async findMembersByEmails(groupId, emails) {
      if (emails.length === 0) return [];
      return prepared.findMembersByEmails.execute({ groupId, emails });
    },

    async findMember(groupId, username) {
      return (await prepared.findMember.execute({ groupId, username }))[0] ?? null;
    },

    async upsertMembership(groupId, userId, role, at, eventsOf) {
      return c.transaction(async (tx) => {
        const pair = and(eq(memberships.groupId, groupId), eq(memberships.userId, userId));
        const [previous] = await tx.select({ role: memberships.role }).from(memberships).where(pair).for('update');
        await tx
          .insert(memberships)
          .values({ groupId, userId, role, createdAt: at })
          .onConflictDoUpdate({ target: [memberships.groupId, memberships.userId], set: { role } });
        const [row] = await tx.select(memberFields).from(memberships).innerJoin(users, eq(users.id, memberships.userId)).where(pair);
        const previousRole = previous?.role ?? null;
        if (previousRole !== role) await insertEvents(tx, eventsOf({ previousRole, member: row! }));
        return row!;
      });
    },

    async removeMembership(groupId, userId, options, eventsOf) {
      return c.keyedTransaction(remember, async (tx, settle): Promise<RemoveMembershipOutcome> => {
        const pair = and(eq(memberships.groupId, groupId), eq(memberships.userId, userId));
        const [member] = await tx.select({ role: memberships.role }).from(memberships).where(pair).for('update');
        if (!member) return { ok: false, reason: 'not-member' };
        if (options.keepLastAdmin && member.role === 'admin') {
          // Locking every admin row of the group serialises concurrent removals,
          // so two admins removing each other cannot leave the group with none.
          const admins = await tx
            .select({ userId: memberships.userId })
            .from(memberships)
            .where(and(eq(memberships.groupId, groupId), eq(memberships.role, 'admin')))
            .for('update');
          if (admins.length <= 1) return { ok: false, reason: 'last-admin' };
        }
        await tx.delete(memberships).where(pair);
        for (const leftover of membershipLeftovers(groupId, userId)) await tx.execute(leftover);
        const ended = await tx
          .delete(sessions)
          .where(and(eq(sessions.groupId, groupId), eq(sessions.userId, userId)))
          .returning({ id: sessions.id });
        const sessionIds = ended.map((s) => s.id);
        await insertEvents(tx, eventsOf({ role: member.role, sessionIds }));
        const revokedSessions = sessionIds.length;
        await settle({ revokedSessions });
        return { ok: true, revokedSessions };
      });
    },

    async countAdmins(groupId) {
      const [row] = await db
        .select({ n: count() })
        .from(memberships)
        .where(and(eq(memberships.groupId, groupId), eq(memberships.role, 'admin')));
      return row!.n;
    },

    async listMembers(groupId, limit, after, usernamePrefix = null) {
      // The prefix holds no LIKE wildcard (a-z, 0-9, -); users_username_prefix serves it.
      const prefix = usernamePrefix ? like(users.username, `${usernamePrefix}%`) : undefined;
      const page = db.select(memberFields).from(memberships).innerJoin(users, eq(users.id, memberships.userId));
      return membersPage(page, memberships, groupId, limit, after, prefix);
    },
  };
}
