/** Groups as both dialects read them. */
import { and, eq, gt, isNull, type SQL, type Table } from 'drizzle-orm';
import type { Columns } from './tables.ts';

/** A count of the rows of a table that meet a condition, as a subquery returning a number. */
export type CountOf = (table: Table, where: SQL | undefined) => SQL<number>;

/** The tables a group's contents are counted in. */
export interface GroupContentTables {
  memberships: Table & Columns<'groupId' | 'role'>;
  apiTokens: Table & Columns<'groupId' | 'revokedAt'>;
  sessions: Table & Columns<'groupId' | 'expiresAt'>;
  webhookEndpoints: Table & Columns<'groupId' | 'deletedAt'>;
}

/** What the group holds now, one count subquery each: the selection of countGroupContents. */
export function groupContentCounts(t: GroupContentTables, groupId: string, now: number, count: CountOf) {
  const { memberships, apiTokens, sessions, webhookEndpoints } = t;
  return {
    members: count(memberships, eq(memberships.groupId, groupId)),
    admins: count(memberships, and(eq(memberships.groupId, groupId), eq(memberships.role, 'admin'))),
    apiTokens: count(apiTokens, and(eq(apiTokens.groupId, groupId), isNull(apiTokens.revokedAt))),
    sessions: count(sessions, and(eq(sessions.groupId, groupId), gt(sessions.expiresAt, now))),
    webhookEndpoints: count(webhookEndpoints, and(eq(webhookEndpoints.groupId, groupId), isNull(webhookEndpoints.deletedAt))),
  };
}
