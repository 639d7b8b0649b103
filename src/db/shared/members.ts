/** Memberships as both dialects read them. */
import { and, asc, eq, gt, or, type SQL } from 'drizzle-orm';
import type { Columns, Pageable } from './tables.ts';
import { userColumns } from './users.ts';

type UserColumns = Parameters<typeof userColumns>[0];

/** A member record's columns: the user, and the membership's role and start. */
export function memberColumns<U extends UserColumns, M extends Columns<'role' | 'createdAt' | 'suspendedAt'>>(
  users: U,
  memberships: M,
): { user: ReturnType<typeof userColumns<U>>; role: M['role']; joinedAt: M['createdAt']; suspendedAt: M['suspendedAt'] } {
  return { user: userColumns(users), role: memberships.role, joinedAt: memberships.createdAt, suspendedAt: memberships.suspendedAt };
}

/** A page of the group's members (that also meet `also`), after the cursor in the (joinedAt, userId) order. */
export function membersPage<Q>(
  query: Pageable<Q>,
  memberships: Columns<'groupId' | 'createdAt' | 'userId'>,
  groupId: string,
  limit: number,
  after: { joinedAt: number; userId: string } | null,
  also: SQL | undefined,
): Q {
  const cursor = after
    ? or(
        gt(memberships.createdAt, after.joinedAt),
        and(eq(memberships.createdAt, after.joinedAt), gt(memberships.userId, after.userId)),
      )
    : undefined;
  return query
    .where(and(eq(memberships.groupId, groupId), cursor, also))
    .orderBy(asc(memberships.createdAt), asc(memberships.userId))
    .limit(limit);
}
