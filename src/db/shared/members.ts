/** Memberships as both dialects read them. */
import { and, eq, gt, or, type SQL } from 'drizzle-orm';
import type { Columns } from './tables.ts';
import { userColumns } from './users.ts';

type UserColumns = Parameters<typeof userColumns>[0];

/** A member record's columns: the user, and the membership's role and start. */
export function memberColumns<U extends UserColumns, M extends Columns<'role' | 'createdAt'>>(
  users: U,
  memberships: M,
): { user: ReturnType<typeof userColumns<U>>; role: M['role']; joinedAt: M['createdAt'] } {
  return { user: userColumns(users), role: memberships.role, joinedAt: memberships.createdAt };
}

/** Memberships after the cursor in the (joinedAt, userId) order. */
export function membersAfter(
  memberships: Columns<'createdAt' | 'userId'>,
  after: { joinedAt: number; userId: string } | null,
): SQL | undefined {
  return after
    ? or(
        gt(memberships.createdAt, after.joinedAt),
        and(eq(memberships.createdAt, after.joinedAt), gt(memberships.userId, after.userId)),
      )
    : undefined;
}
