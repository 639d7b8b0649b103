/** Sessions as both dialects read them. */
import { and, asc, eq, gt, or } from 'drizzle-orm';
import { type Columns, type Pageable, selection } from './tables.ts';

/** A session record's columns (all but the digest). */
export const sessionColumns = selection('id', 'userId', 'groupId', 'createdAt', 'expiresAt', 'apiTokenId');

/** A page of the group's sessions live at `now`, after the cursor in the (createdAt, id) order. */
export function liveSessionsPage<Q>(
  query: Pageable<Q>,
  sessions: Columns<'groupId' | 'expiresAt' | 'createdAt' | 'id'>,
  groupId: string,
  now: number,
  limit: number,
  after: { createdAt: number; id: string } | null,
): Q {
  const cursor = after
    ? or(gt(sessions.createdAt, after.createdAt), and(eq(sessions.createdAt, after.createdAt), gt(sessions.id, after.id)))
    : undefined;
  return query
    .where(and(eq(sessions.groupId, groupId), gt(sessions.expiresAt, now), cursor))
    .orderBy(asc(sessions.createdAt), asc(sessions.id))
    .limit(limit);
}
