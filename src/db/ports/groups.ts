/** The storage port for groups: their records, their settings and what they hold. */
import type { EventsOf, NewEvent } from './events.ts';
import type { EndedSession, GroupRecord } from './records.ts';

export type GroupChanges = Partial<
  Pick<GroupRecord, 'title' | 'isApiEnabled' | 'allowedDomains' | 'requireSignInConfirmation' | 'adminSignInWithApiToken'>
>;

/** What a group holds, counted for its console's overview. */
export interface GroupCounts {
  members: number;
  admins: number;
  /** Not revoked. */
  apiTokens: number;
  /** Not expired. */
  sessions: number;
  webhookEndpoints: number;
}

export interface GroupStore {
  countGroups(): Promise<number>;
  /** The live (not deleted) group with this slug. */
  findGroupBySlug(slug: string): Promise<GroupRecord | null>;
  /** The live group with this slug, else the one deleted last (for reading its history). */
  findLatestGroupBySlug(slug: string): Promise<GroupRecord | null>;
  /** Returns null when a live group already has the slug. */
  insertGroup(group: GroupRecord, events: NewEvent[]): Promise<GroupRecord | null>;
  /** Null when there is no such group; events are built from the group before and after. */
  updateGroup(
    id: string,
    changes: GroupChanges,
    events: EventsOf<{ before: GroupRecord; after: GroupRecord }>,
  ): Promise<GroupRecord | null>;
  /** Marks the group deleted and ends its sessions; events are built from the sessions it ended. */
  markGroupDeleted(id: string, at: number, events: EventsOf<EndedSession[]>): Promise<void>;
  /** How much the group holds now: members (and of them admins), live API tokens, live sessions, webhook endpoints. */
  countGroupContents(groupId: string, now: number): Promise<GroupCounts>;
}
