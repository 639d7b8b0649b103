/** Memberships: who belongs to a group, in which role. */
import type { GroupRecord, MemberRecord, MemberRole, UserRecord } from '../db/store.ts';
import { Errors, invalidInput } from '../errors/domain-error.ts';
import type { ServiceDeps } from './deps.ts';
import { parsePageSize } from './inputs.ts';
import { normalizeUsername, usernameProblem } from './usernames.ts';

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
  async add(group: GroupRecord, usernameInput: string, role: MemberRole): Promise<MemberRecord> {
    const username = normalizeUsername(usernameInput);
    if (usernameProblem(username)) throw new Errors.InvalidUsername();
    const user = await this.deps.store.findUserByUsername(username);
    if (!user) throw invalidInput('username', `no user "${username}"`);
    return this.deps.store.upsertMembership(group.id, user.id, role, this.deps.now());
  }

  /**
   * Removes a member and revokes their sessions in the group at once. With
   * `keepLastAdmin`, refuses to remove the group's only admin.
   */
  async remove(
    group: GroupRecord,
    usernameInput: string,
    options: { keepLastAdmin?: boolean } = {},
  ): Promise<{ username: string; revokedSessions: number }> {
    const member = await this.get(group, usernameInput);
    const outcome = await this.deps.store.removeMembership(group.id, member.user.id, options);
    if (!outcome.ok) {
      if (outcome.reason === 'last-admin') throw invalidInput('username', 'the last admin of a group cannot be removed');
      throw new Errors.NotGroupMember();
    }
    return { username: member.user.username, revokedSessions: outcome.revokedSessions };
  }

  async list(
    group: GroupRecord,
    first: number,
    after: { joinedAt: number; userId: string } | null,
  ): Promise<{ members: MemberRecord[]; hasNextPage: boolean }> {
    parsePageSize(first);
    const rows = await this.deps.store.listMembers(group.id, first + 1, after);
    return { members: rows.slice(0, first), hasNextPage: rows.length > first };
  }
}
