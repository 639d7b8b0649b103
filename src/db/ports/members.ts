/** The storage port for memberships: who belongs to a group, and in which role. */
import type { EventsOf } from './events.ts';
import type { MemberRole, UserRecord } from './records.ts';

export interface MemberRecord {
  user: UserRecord;
  role: MemberRole;
  joinedAt: number;
  /** When SCIM suspended the member (API.md §18); null while active. */
  suspendedAt: number | null;
}

export type RemoveMembershipOutcome =
  | { ok: true; revokedSessions: number }
  | { ok: false; reason: 'not-member' | 'last-admin' };

export interface MemberStore {
  findMember(groupId: string, username: string): Promise<MemberRecord | null>;
  /** The group's members whose email (compared lower-cased) is one of these. */
  findMembersByEmails(groupId: string, emails: string[]): Promise<MemberRecord[]>;
  /** Adds or changes a membership; events are built from the role it had before (null: none). */
  upsertMembership(
    groupId: string,
    userId: string,
    role: MemberRole,
    at: number,
    events: EventsOf<{ previousRole: MemberRole | null; member: MemberRecord }>,
  ): Promise<MemberRecord>;
  /**
   * Removes the membership and the user's sessions in that group, in one
   * transaction. With `keepLastAdmin` the same transaction refuses to remove the
   * group's only admin, so two admins removing each other cannot both succeed.
   */
  removeMembership(
    groupId: string,
    userId: string,
    options: { keepLastAdmin?: boolean },
    events: EventsOf<{ role: MemberRole; sessionIds: string[] }>,
  ): Promise<RemoveMembershipOutcome>;
  countAdmins(groupId: string): Promise<number>;
  /**
   * Members ordered by (joinedAt, userId), strictly after the cursor; with
   * `usernamePrefix` (lower-case `a-z`, `0-9` and `-` only), only those whose
   * username starts with it.
   */
  listMembers(
    groupId: string,
    limit: number,
    after: { joinedAt: number; userId: string } | null,
    usernamePrefix?: string | null,
  ): Promise<MemberRecord[]>;
}
