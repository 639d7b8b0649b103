/**
 * A directory group's change (API.md §18) decided on what its transaction read: the
 * set operations on its members (ids naming no member of the group ignored), its
 * events, and, for the directory group mapped to the admin role, the role changes
 * and the rule that the group keeps an admin.
 */
import type { DirectoryGroupFacts, DirectoryGroupRecord, GroupRecord, MemberRole, NewEvent } from '../db/store.ts';
import { newId } from '../ids.ts';
import { type Caller, newEvent, targets } from './events.ts';
import { noSuchResource, ScimProblem } from './scim-problem.ts';

/** A change to a directory group: its names (undefined: unchanged), then its members. */
export interface DirectoryGroupEdit {
  displayName?: string;
  externalId?: string | null;
  /** The whole member list, applied first. */
  replaceMembers?: string[];
  /** Then, in order, member ids added and removed. */
  memberOps: Array<{ op: 'add' | 'remove'; ids: string[] }>;
}

/** The fields whose value differs, each from and to. */
export function changed(pairs: Record<string, [unknown, unknown]>): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const [key, [from, to]] of Object.entries(pairs)) if (from !== to) changes[key] = { from, to };
  return changes;
}

export function decideDirectoryGroup(
  group: GroupRecord,
  id: string | null,
  edit: DirectoryGroupEdit,
  facts: DirectoryGroupFacts,
  caller: Caller,
  at: number,
  check?: (current: DirectoryGroupRecord) => void,
) {
  const { current } = facts;
  if (id !== null && !current) return noSuchResource('Group');
  if (current) check?.(current);
  if (facts.displayNameHolder !== null && facts.displayNameHolder !== current?.id) {
    return new ScimProblem('uniqueness', 'a directory group with this displayName already exists in this group', 'displayName', 409);
  }
  const record: DirectoryGroupRecord = {
    id: current?.id ?? newId(),
    groupId: group.id,
    displayName: edit.displayName ?? current!.displayName,
    externalId: edit.externalId === undefined ? (current?.externalId ?? null) : edit.externalId,
    createdAt: current?.createdAt ?? at,
    updatedAt: at,
  };
  // Set operations in order; ids naming no member of the group are ignored.
  const before = new Set(facts.memberIds);
  const after = edit.replaceMembers ? new Set(edit.replaceMembers.filter((u) => facts.members.has(u))) : new Set(before);
  for (const { op, ids } of edit.memberOps) {
    for (const u of ids) {
      if (op === 'remove') after.delete(u);
      else if (facts.members.has(u)) after.add(u);
    }
  }
  const added = [...after].filter((u) => !before.has(u));
  const removed = [...before].filter((u) => !after.has(u));

  const roles: Array<{ userId: string; role: MemberRole }> = [];
  const events: NewEvent[] = [];
  const target = targets.directoryGroup(record);
  if (!current) {
    events.push(newEvent('directory_group.created', group, caller, target, { displayName: record.displayName, externalId: record.externalId }, at));
  } else {
    const changes = changed({ displayName: [current.displayName, record.displayName], externalId: [current.externalId, record.externalId] });
    if (Object.keys(changes).length > 0) events.push(newEvent('directory_group.updated', group, caller, target, { changes }, at));
  }
  for (const [type, ids] of [['directory_group.member_added', added], ['directory_group.member_removed', removed]] as const) {
    for (const userId of ids) events.push(newEvent(type, group, caller, target, { userId, username: facts.members.get(userId)!.username }, at));
  }
  // The directory group that names the admins: its members are admins, and the group keeps one.
  if (facts.adminDirectoryGroupId === record.id && (added.length > 0 || removed.length > 0)) {
    if (after.size === 0) return new ScimProblem('mutability', 'the group would have no admin: this directory group names its admins', 'members');
    for (const [userIds, role] of [[added, 'admin'], [removed, 'member']] as const) {
      for (const userId of userIds) {
        const ref = facts.members.get(userId)!;
        if (ref.role === role) continue;
        roles.push({ userId, role });
        events.push(newEvent('member.role_changed', group, caller, targets.user({ id: userId, username: ref.username }), { username: ref.username, from: ref.role, to: role }, at));
      }
    }
  }
  return { record, added, removed, roles, events };
}
