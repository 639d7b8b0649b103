/**
 * The storage port for SCIM provisioning (API.md §18): what the identity provider
 * keeps of each member, and directory groups. Writes follow the plan pattern of
 * users.ts: the store reads the facts a plan names inside the write's transaction,
 * the domain's `decide` makes the change (or a refusal) of them, and the store
 * writes it with its events, all in that transaction.
 */
import type { DomainError } from '../../errors/domain-error.ts';
import type { NewEvent } from './events.ts';
import type { MemberRecord } from './members.ts';
import type { MemberRole, UserRecord } from './records.ts';

export interface ScimEmailRecord {
  value: string;
  type?: string;
  primary?: boolean;
}

/** What SCIM last wrote of a member. */
export interface ScimRecord {
  userName: string;
  externalId: string | null;
  emails: ScimEmailRecord[];
  updatedAt: number;
}

/** A member as SCIM answers it: null `scim` for a member SCIM never wrote. */
export interface ScimMemberRecord extends MemberRecord {
  scim: ScimRecord | null;
}

/** How members are looked up: by ids, by an indexed key (lower-cased), or a page in join order. */
export type ScimMemberQuery =
  | { userIds: string[] }
  | { userNameKey: string }
  | { externalId: string }
  | { emailKey: string }
  | { after: { joinedAt: number; userId: string } | null; limit: number; offset?: number };

export interface ScimMemberFacts {
  /** The member the plan changes, as the transaction reads it; null when creating, or when it is gone. */
  current: ScimMemberRecord | null;
  /** The member of the group whose userName (or, for one SCIM never wrote, username) has the plan's key. */
  userNameHolder: string | null;
  /** The user, of any group, whose email has the plan's key. */
  emailHolder: string | null;
  /** Which of the plan's candidate usernames are taken. */
  takenUsernames: Set<string>;
  adminDirectoryGroupId: string | null;
  /** The group's admins, counted up to 2, when the member is one (else 0): whether it is the last. */
  adminCount: number;
}

export interface ScimMemberChange {
  /** The user as it will be: a new one (created with its membership), or the member's with new names and email. */
  user: UserRecord;
  created: boolean;
  role: MemberRole;
  suspended: boolean;
  scim: ScimRecord;
  /** The change's events, given the sessions a suspension ended. */
  events(endedSessionIds: string[]): NewEvent[];
}

export interface ScimMemberPlan {
  /** The member changed; null to create one. */
  userId: string | null;
  userNameKey: string;
  emailKey: string;
  /** Usernames the new user may take (creating only). */
  usernames: string[];
  /** When: the time of a suspension. */
  at: number;
  decide(facts: ScimMemberFacts): ScimMemberChange | DomainError;
}

export interface DirectoryGroupRecord {
  id: string;
  groupId: string;
  displayName: string;
  externalId: string | null;
  createdAt: number;
  updatedAt: number;
}

export type DirectoryGroupQuery =
  | { ids: string[] }
  | { displayNameKey: string }
  | { externalId: string }
  | { memberUserId: string }
  | { after: { createdAt: number; id: string } | null; limit: number };

/** A group's member as a directory group's change sees it. */
export interface MemberRef {
  userId: string;
  username: string;
  role: MemberRole;
}

export interface DirectoryGroupFacts {
  current: DirectoryGroupRecord | null;
  /** The directory group's members now. */
  memberIds: string[];
  /** The directory group (another one, or this) whose displayName has the plan's key. */
  displayNameHolder: string | null;
  /** The group's members among those the plan names and the directory group's members. */
  members: Map<string, MemberRef>;
  adminDirectoryGroupId: string | null;
}

export interface DirectoryGroupChange {
  record: DirectoryGroupRecord;
  added: string[];
  removed: string[];
  /** Memberships whose role changes (a directory group mapped to the admin role). */
  roles: Array<{ userId: string; role: MemberRole }>;
  events: NewEvent[];
}

export interface DirectoryGroupPlan {
  /** The directory group changed; null to create one. */
  id: string | null;
  /** The displayName it will have, lower-cased; null when it does not change. */
  displayNameKey: string | null;
  /** The member ids the request names. */
  namedUserIds: string[];
  decide(facts: DirectoryGroupFacts): DirectoryGroupChange | DomainError;
}

export interface AdminDirectoryGroupFacts {
  /** The directory group mapped to the admin role until now. */
  previousId: string | null;
  directoryGroup: DirectoryGroupRecord | null;
  /** Every member of the group, with its role and whether it is in the directory group. */
  members: Array<MemberRef & { inDirectoryGroup: boolean }>;
}

export interface AdminDirectoryGroupChange {
  roles: Array<{ userId: string; role: MemberRole }>;
  events: NewEvent[];
}

export interface ScimStore {
  scimMembers(groupId: string, query: ScimMemberQuery): Promise<ScimMemberRecord[]>;
  countMembers(groupId: string): Promise<number>;
  /** Creates or changes a member as the plan decides; the refusal, with nothing written, as it decides. */
  saveScimMember(groupId: string, plan: ScimMemberPlan): Promise<ScimMemberRecord | DomainError>;
  directoryGroups(groupId: string, query: DirectoryGroupQuery): Promise<DirectoryGroupRecord[]>;
  countDirectoryGroups(groupId: string): Promise<number>;
  /** The directory group's member ids, in the group, by join order. */
  directoryGroupMemberIds(directoryGroupId: string): Promise<string[]>;
  /** A page of the directory group's members in (joinedAt, userId) order. */
  directoryGroupMembers(
    groupId: string,
    directoryGroupId: string,
    limit: number,
    after: { joinedAt: number; userId: string } | null,
  ): Promise<MemberRecord[]>;
  saveDirectoryGroup(groupId: string, plan: DirectoryGroupPlan): Promise<DirectoryGroupRecord | DomainError>;
  /** Deletes it (and clears the group's admin mapping to it); false when there is none. */
  deleteDirectoryGroup(groupId: string, id: string, events: (record: DirectoryGroupRecord) => NewEvent[]): Promise<boolean>;
  /** Maps a directory group (or none) to the admin role, with the role changes `decide` makes of the facts. */
  setAdminDirectoryGroup(
    groupId: string,
    directoryGroupId: string | null,
    decide: (facts: AdminDirectoryGroupFacts) => AdminDirectoryGroupChange | DomainError,
  ): Promise<true | DomainError>;
}
