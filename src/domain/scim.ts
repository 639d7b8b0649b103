/**
 * SCIM provisioning (API.md §18): a group's identity provider creates, changes,
 * suspends and removes its members, and keeps directory groups, one of which may
 * name the group's admins. The rules live here; the SCIM documents, filters and
 * PATCH operations are the transport's (http/scim/), which hands over plain inputs.
 */
import type {
  DirectoryGroupFacts,
  DirectoryGroupQuery,
  DirectoryGroupRecord,
  GroupRecord,
  MemberRecord,
  MemberRole,
  NewEvent,
  ScimEmailRecord,
  ScimMemberFacts,
  ScimMemberQuery,
  ScimMemberRecord,
  UserRecord,
} from '../db/store.ts';
import { DomainError, Errors, invalidInput } from '../errors/domain-error.ts';
import { newId } from '../ids.ts';
import type { ServiceDeps } from './deps.ts';
import { type Caller, newEvent, sessionEnded, targets } from './events.ts';
import { optionalText, parseEmail } from './inputs.ts';
import type { MemberService } from './members.ts';
import { changed, decideDirectoryGroup, type DirectoryGroupEdit } from './directory-groups.ts';
import { noSuchResource, ScimProblem } from './scim-problem.ts';
import { isReserved, normalizeUsername, suggestionBase, suggestionCandidates, USERNAME_MAX, USERNAME_MIN, usernameProblem } from './usernames.ts';

/** Longest userName, displayName or externalId kept. */
const TEXT_MAX = 256;

/** A User as the identity provider sends it, reduced to what the product keeps. */
export interface ScimUserInput {
  userName: string;
  externalId: string | null;
  emails: ScimEmailRecord[];
  givenName: string | null;
  familyName: string | null;
  /** Whether the member may sign in; null leaves it as it is (a new member is active). */
  active: boolean | null;
  /** The role `roles` asks for; null leaves it as it is (a new member's is `member`). */
  role: MemberRole | null;
}


/** The product's username for a userName: the part before any `@`, made valid (API.md §18). */
export function usernameFor(userName: string): string {
  const local = normalizeUsername(userName.split('@')[0]!)
    .replace(/[^a-z0-9-]+/g, '-')
    .replace(/^-+|-+$/g, '')
    .slice(0, USERNAME_MAX)
    .replace(/-+$/, '');
  if (local.length >= USERNAME_MIN) return local;
  return local === '' ? 'user' : `${local}-user`;
}

export class ScimService {
  constructor(
    private readonly deps: ServiceDeps,
    private readonly memberService: MemberService,
  ) {}

  members(group: GroupRecord, query: ScimMemberQuery): Promise<ScimMemberRecord[]> {
    return this.deps.store.scimMembers(group.id, query);
  }

  countMembers(group: GroupRecord): Promise<number> {
    return this.deps.store.countMembers(group.id);
  }

  async member(group: GroupRecord, userId: string): Promise<ScimMemberRecord> {
    const [member] = await this.deps.store.scimMembers(group.id, { userIds: [userId] });
    if (!member) throw noSuchResource('User');
    return member;
  }

  /** Creates a user in the group (POST /Users). */
  createUser(group: GroupRecord, input: ScimUserInput, caller: Caller): Promise<ScimMemberRecord> {
    return this.saveUser(group, null, () => input, caller);
  }

  /**
   * Replaces a member's SCIM attributes (PUT, and PATCH, whose operations `build`
   * applies to the member as the transaction reads it: all of them or none).
   */
  replaceUser(group: GroupRecord, userId: string, build: (current: ScimMemberRecord) => ScimUserInput, caller: Caller) {
    return this.saveUser(group, userId, (current) => build(current!), caller);
  }

  /** DELETE /Users/{id}: the membership goes (as removeMember, its sessions too); the user record stays. */
  async deleteUser(group: GroupRecord, userId: string, caller: Caller): Promise<void> {
    const { user } = await this.member(group, userId);
    try {
      await this.memberService.remove(group, user.username, { keepLastAdmin: true }, caller);
    } catch (error) {
      if (error instanceof DomainError && error.code === 'InvalidInput') {
        throw new ScimProblem('mutability', 'the last admin of a group cannot be removed', 'id');
      }
      throw error;
    }
  }

  private async saveUser(
    group: GroupRecord,
    userId: string | null,
    build: (current: ScimMemberRecord | null) => ScimUserInput,
    caller: Caller,
  ): Promise<ScimMemberRecord> {
    const at = this.deps.now();
    // The keys the transaction looks up (userName, email) come from the input built
    // on the member as read before it; inside, it is built again on what it reads.
    const probe = this.checked(group, build(userId === null ? null : await this.member(group, userId)));
    const wanted = usernameFor(probe.userName);
    const usernames = userId !== null ? [] : [wanted, ...suggestionCandidates(suggestionBase(wanted))];
    const saved = await this.deps.store.saveScimMember(group.id, {
      userId,
      userNameKey: probe.userName.toLowerCase(),
      emailKey: probe.email.toLowerCase(),
      usernames,
      at,
      decide: (facts) => {
        try {
          if (userId !== null && facts.current === null) return noSuchResource('User');
          const input = userId === null ? probe : this.checked(group, build(facts.current));
          return this.decideUser(group, facts, input, probe, usernames, caller, at);
        } catch (error) {
          if (error instanceof DomainError) return error;
          throw error;
        }
      },
    });
    if (saved instanceof DomainError) throw saved;
    return saved;
  }

  /** An input checked against the rules that need no database; with the email the product keeps. */
  private checked(group: GroupRecord, input: ScimUserInput): ScimUserInput & { email: string } {
    const userName = input.userName.trim();
    if (userName === '' || userName.length > TEXT_MAX) throw new ScimProblem('invalidValue', `userName must be 1..${TEXT_MAX} characters`, 'userName');
    if (input.externalId !== null && input.externalId.length > TEXT_MAX) throw new ScimProblem('invalidValue', 'externalId is too long', 'externalId');
    const chosen = input.emails.find((e) => e.primary === true) ?? input.emails[0];
    const address = chosen?.value ?? (userName.includes('@') ? userName : null);
    if (address === null) throw new ScimProblem('invalidValue', 'an email is required: emails, or a userName that is an address', 'emails');
    let parsed: { email: string; domain: string };
    try {
      parsed = parseEmail(address);
    } catch {
      throw new ScimProblem('invalidValue', `"${address}" is not an email address`, 'emails');
    }
    if (group.allowedDomains.length > 0 && !group.allowedDomains.includes(parsed.domain)) throw new Errors.InvalidEmailDomain();
    return {
      ...input,
      userName,
      givenName: optionalText('name.givenName', input.givenName),
      familyName: optionalText('name.familyName', input.familyName),
      email: parsed.email,
    };
  }

  private decideUser(
    group: GroupRecord,
    facts: ScimMemberFacts,
    input: ScimUserInput & { email: string },
    probe: { userName: string; email: string },
    usernames: string[],
    caller: Caller,
    at: number,
  ) {
    const { current } = facts;
    const creating = current === null;
    // The keys were read for the input as first built; a PATCH that reads differently now is tried again by the client.
    if (input.userName.toLowerCase() !== probe.userName.toLowerCase() || input.email.toLowerCase() !== probe.email.toLowerCase()) {
      return new ScimProblem('invalidValue', 'the member changed while this request was applied; send it again', 'id', 412);
    }
    const self = current?.user.id ?? null;
    if (facts.userNameHolder !== null && facts.userNameHolder !== self) return new Errors.UsernameAlreadyExists();
    // SCIM never attaches a user of another group (or takes another member's address).
    if (facts.emailHolder !== null && facts.emailHolder !== self) return new Errors.EmailAlreadyExists();

    let username = current?.user.username;
    if (username === undefined) {
      username = usernames.find((u, i) => !facts.takenUsernames.has(u) && (i > 0 || (!usernameProblem(u) && !isReserved(u))));
      if (username === undefined) return new Errors.UsernameAlreadyExists();
    }
    const user: UserRecord = {
      id: current?.user.id ?? newId(),
      username,
      email: input.email,
      firstName: input.givenName,
      lastName: input.familyName,
      createdAt: current?.user.createdAt ?? at,
    };
    // While a directory group names the admins, it decides every role.
    const role: MemberRole = facts.adminDirectoryGroupId !== null ? (current?.role ?? 'member') : (input.role ?? current?.role ?? 'member');
    if (current?.role === 'admin' && role !== 'admin' && facts.adminCount <= 1) {
      return new ScimProblem('mutability', 'the last admin of a group cannot lose the role', 'roles');
    }
    const suspended = input.active === null ? current !== null && current.suspendedAt !== null : !input.active;
    const scim = { userName: input.userName, externalId: input.externalId, emails: input.emails, updatedAt: at };
    const target = targets.user(user);
    const events = (ended: string[]): NewEvent[] => {
      const list: NewEvent[] = [];
      if (creating) {
        const { email, firstName, lastName } = user;
        list.push(newEvent('user.created', group, caller, target, { username, email, firstName, lastName, role }, at));
      } else {
        const changes = changed({
          userName: [current.scim?.userName ?? current.user.username, input.userName],
          externalId: [current.scim?.externalId ?? null, input.externalId],
          email: [current.user.email, user.email],
          firstName: [current.user.firstName, user.firstName],
          lastName: [current.user.lastName, user.lastName],
        });
        if (Object.keys(changes).length > 0) list.push(newEvent('user.updated', group, caller, target, { username, changes }, at));
        if (current.role !== role) list.push(newEvent('member.role_changed', group, caller, target, { username, from: current.role, to: role }, at));
      }
      const wasSuspended = current !== null && current.suspendedAt !== null;
      if (suspended && !wasSuspended) {
        list.push(newEvent('member.suspended', group, caller, target, { username, sessionsEnded: ended.length }, at));
        for (const id of ended) list.push(sessionEnded(group, caller, user, id, 'suspended', at));
      }
      if (!suspended && wasSuspended) list.push(newEvent('member.reactivated', group, caller, target, { username }, at));
      return list;
    };
    return { user, created: creating, role, suspended, scim, events };
  }

  directoryGroups(group: GroupRecord, query: DirectoryGroupQuery): Promise<DirectoryGroupRecord[]> {
    return this.deps.store.directoryGroups(group.id, query);
  }

  countDirectoryGroups(group: GroupRecord): Promise<number> {
    return this.deps.store.countDirectoryGroups(group.id);
  }

  async directoryGroup(group: GroupRecord, id: string): Promise<DirectoryGroupRecord> {
    const [found] = await this.deps.store.directoryGroups(group.id, { ids: [id] });
    if (!found) throw noSuchResource('Group');
    return found;
  }

  directoryGroupMemberIds(record: DirectoryGroupRecord): Promise<string[]> {
    return this.deps.store.directoryGroupMemberIds(record.id);
  }

  directoryGroupMembers(
    group: GroupRecord,
    record: DirectoryGroupRecord,
    first: number,
    after: { joinedAt: number; userId: string } | null,
  ): Promise<MemberRecord[]> {
    return this.deps.store.directoryGroupMembers(group.id, record.id, first, after);
  }

  /**
   * Creates (`id` null) or changes a directory group and its members in one
   * transaction. `check` sees the group as the transaction reads it (an If-Match).
   * Member ids naming no member of the group are ignored (API.md §18).
   */
  async saveDirectoryGroup(
    group: GroupRecord,
    id: string | null,
    edit: DirectoryGroupEdit,
    caller: Caller,
    check?: (current: DirectoryGroupRecord) => void,
  ): Promise<DirectoryGroupRecord> {
    const displayName = edit.displayName === undefined ? undefined : edit.displayName.trim();
    if (displayName !== undefined && (displayName === '' || displayName.length > TEXT_MAX)) {
      throw new ScimProblem('invalidValue', `displayName must be 1..${TEXT_MAX} characters`, 'displayName');
    }
    if (id === null && displayName === undefined) throw new ScimProblem('invalidValue', 'displayName is required', 'displayName');
    if (edit.externalId && edit.externalId.length > TEXT_MAX) throw new ScimProblem('invalidValue', 'externalId is too long', 'externalId');
    const at = this.deps.now();
    const named = [...(edit.replaceMembers ?? []), ...edit.memberOps.flatMap((o) => o.ids)];
    const saved = await this.deps.store.saveDirectoryGroup(group.id, {
      id,
      displayNameKey: displayName === undefined ? null : displayName.toLowerCase(),
      namedUserIds: [...new Set(named)],
      decide: (facts) => {
        try {
          return decideDirectoryGroup(group, id, { ...edit, displayName }, facts, caller, at, check);
        } catch (error) {
          if (error instanceof DomainError) return error;
          throw error;
        }
      },
    });
    if (saved instanceof DomainError) throw saved;
    return saved;
  }

  async deleteDirectoryGroup(group: GroupRecord, id: string, caller: Caller): Promise<void> {
    const at = this.deps.now();
    const deleted = await this.deps.store.deleteDirectoryGroup(group.id, id, (record) => [
      newEvent('directory_group.deleted', group, caller, targets.directoryGroup(record), { displayName: record.displayName }, at),
    ]);
    if (!deleted) throw noSuchResource('Group');
  }

  /**
   * Maps a directory group to the admin role (null clears the mapping): its members
   * become admins and every other member a `member`, refused when that leaves no
   * admin (InvalidInput, field adminDirectoryGroup).
   */
  async setAdminDirectoryGroup(group: GroupRecord, directoryGroupId: string | null, caller: Caller): Promise<void> {
    const at = this.deps.now();
    const outcome = await this.deps.store.setAdminDirectoryGroup(group.id, directoryGroupId, ({ previousId, directoryGroup, members }) => {
      const updated =
        previousId === directoryGroupId
          ? []
          : [newEvent('group.updated', group, caller, targets.group(group), { changes: { adminDirectoryGroup: { from: previousId, to: directoryGroupId } } }, at)];
      if (directoryGroupId === null) return { roles: [], events: updated };
      if (!directoryGroup) return invalidInput('adminDirectoryGroup', 'no directory group with this id in this group');
      if (!members.some((m) => m.inDirectoryGroup)) {
        return invalidInput('adminDirectoryGroup', 'the directory group has no member: the group would have no admin');
      }
      const roles = members.flatMap((m) => {
        const role: MemberRole = m.inDirectoryGroup ? 'admin' : 'member';
        return m.role === role ? [] : [{ userId: m.userId, role, from: m.role, username: m.username }];
      });
      const events = roles.map((r) =>
        newEvent('member.role_changed', group, caller, targets.user({ id: r.userId, username: r.username }), { username: r.username, from: r.from, to: r.role }, at),
      );
      return { roles, events: [...updated, ...events] };
    });
    if (outcome instanceof DomainError) throw outcome;
  }
}
