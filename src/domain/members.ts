/** Memberships: who belongs to a group, in which role. */
import type { GroupRecord, MemberRecord, MemberRole, UserRecord } from '../db/store.ts';
import { Errors, invalidInput } from '../errors/domain-error.ts';
import type { ServiceDeps } from './deps.ts';
import { type Caller, newEvent, sessionEnded, targets } from './events.ts';
import type { ErrorCode } from '../errors/catalog.ts';
import { type Keyed, plainOutcome, remembering } from './idempotency.ts';
import { parsePageSize } from './inputs.ts';
import { couldStartUsername, normalizeUsername, usernameProblem } from './usernames.ts';

/** What removeMember may answer instead of a success: the members of RemoveMemberResult. */
export const REMOVE_MEMBER_REFUSALS = ['InvalidUsername', 'NotGroupMember'] as const satisfies readonly ErrorCode[];

export interface RemovedMember {
  username: string;
  revokedSessions: number;
}

/** A removal as a keyed removeMember remembers it. */
export const removeMemberOutcome = plainOutcome<RemovedMember>(REMOVE_MEMBER_REFUSALS);

export class MemberService {
  constructor(private readonly deps: ServiceDeps) {}

  /**
   * The member with this username. As the original API answers (API.md §10): a
   * malformed name or one that names no user is InvalidUsername; NotGroupMember is
   * only for a user who exists but is not in this group. Usernames are global and
   * usernameAvailable already tells whether one is taken, so this reveals nothing new.
   * Every operation that names a user (user, removeMember, createSSOToken, sign-in)
   * comes through here, so they all answer alike.
   */
  async get(group: GroupRecord, usernameInput: string): Promise<MemberRecord> {
    const username = normalizeUsername(usernameInput);
    if (usernameProblem(username)) throw new Errors.InvalidUsername();
    const member = await this.deps.store.findMember(group.id, username);
    if (member) return member;
    // Read only on the refusal path: the member lookup above is the hot one.
    const user = await this.deps.store.findUserByUsername(username);
    throw user ? new Errors.NotGroupMember() : new Errors.InvalidUsername();
  }

  /** The user's role in the group now (not at sign-in: it may have changed since), or null when not a member. */
  async roleOf(group: GroupRecord, user: UserRecord): Promise<MemberRole | null> {
    return (await this.deps.store.findMember(group.id, user.username))?.role ?? null;
  }

  /** Adds an existing user (or changes the role of a member). */
  async add(group: GroupRecord, usernameInput: string, role: MemberRole, caller: Caller): Promise<MemberRecord> {
    const username = normalizeUsername(usernameInput);
    if (usernameProblem(username)) throw new Errors.InvalidUsername();
    const user = await this.deps.store.findUserByUsername(username);
    if (!user) throw invalidInput('username', `no user "${username}"`);
    const at = this.deps.now();
    return this.deps.store.upsertMembership(group.id, user.id, role, at, ({ previousRole, member }) => {
      const target = targets.user(member.user);
      const { username } = member.user;
      return [
        previousRole === null
          ? newEvent('member.added', group, caller, target, { username, role }, at)
          : newEvent('member.role_changed', group, caller, target, { username, from: previousRole, to: role }, at),
      ];
    });
  }

  /**
   * Removes a member and revokes their sessions in the group at once. With
   * `keepLastAdmin`, refuses to remove the group's only admin.
   */
  async remove(
    group: GroupRecord,
    usernameInput: string,
    options: { keepLastAdmin?: boolean },
    caller: Caller,
    keyed?: Keyed<RemovedMember>,
  ): Promise<RemovedMember> {
    const { user } = await this.get(group, usernameInput);
    const at = this.deps.now();
    const { username } = user;
    const eventsOf = ({ role, sessionIds }: { role: MemberRole; sessionIds: string[] }) => [
      newEvent('member.removed', group, caller, targets.user(user), { username, role, sessionsEnded: sessionIds.length }, at),
      ...sessionIds.map((id) => sessionEnded(group, caller, user, id, 'member_removed', at)),
    ];
    const remember = remembering(keyed, ({ revokedSessions }: { revokedSessions: number }) => ({ username, revokedSessions }));
    const outcome = await this.deps.store.keyed(remember).removeMembership(group.id, user.id, options, eventsOf);
    if (!outcome.ok) {
      if (outcome.reason === 'last-admin') throw invalidInput('username', 'the last admin of a group cannot be removed');
      throw new Errors.NotGroupMember();
    }
    return { username, revokedSessions: outcome.revokedSessions };
  }

  /**
   * A page of the group's members by join time, oldest first. With `usernamePrefix`
   * (normalised like a username), only those whose username starts with it: a prefix
   * no username can start with finds nobody, without asking the database.
   */
  async list(
    group: GroupRecord,
    first: number,
    after: { joinedAt: number; userId: string } | null,
    usernamePrefix: string | null = null,
  ): Promise<{ members: MemberRecord[]; hasNextPage: boolean }> {
    parsePageSize(first);
    const prefix = usernamePrefix === null ? '' : normalizeUsername(usernamePrefix);
    if (prefix !== '' && !couldStartUsername(prefix)) return { members: [], hasNextPage: false };
    const rows = await this.deps.store.listMembers(group.id, first + 1, after, prefix || null);
    return { members: rows.slice(0, first), hasNextPage: rows.length > first };
  }
}
