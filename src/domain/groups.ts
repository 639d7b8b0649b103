/** Groups (tenants): creation, settings and deletion. */
import type { GroupChanges, GroupCounts, GroupRecord } from '../db/store.ts';
import { Errors, invalidInput } from '../errors/domain-error.ts';
import { newId } from '../ids.ts';
import type { ServiceDeps } from './deps.ts';
import { LABEL_MAX, optionalText, parseDomain, parseSlug } from './inputs.ts';
import { type Caller, newEvent, sessionEnded, targets } from './events.ts';

/** Settings as a caller gives them, before they are checked: the shape of the changes the store takes. */
export type GroupSettings = GroupChanges;

export class GroupService {
  constructor(private readonly deps: ServiceDeps) {}

  /** The live group with this slug, or GroupNotFound. */
  async get(slug: string): Promise<GroupRecord> {
    const group = await this.deps.store.findGroupBySlug(slug.trim().toLowerCase());
    if (!group) throw new Errors.GroupNotFound();
    return group;
  }

  /** The live group with this slug, else the one deleted last (its history stays readable), or GroupNotFound. */
  async getWithHistory(slug: string): Promise<GroupRecord> {
    const group = await this.deps.store.findLatestGroupBySlug(slug.trim().toLowerCase());
    if (!group) throw new Errors.GroupNotFound();
    return group;
  }

  /** How many members (admins), live API tokens, live sessions and webhook endpoints the group has now. */
  counts(group: GroupRecord): Promise<GroupCounts> {
    return this.deps.store.countGroupContents(group.id, this.deps.now());
  }

  async create(slugInput: string, settings: GroupSettings, caller: Caller): Promise<GroupRecord> {
    const slug = parseSlug(slugInput);
    const changes = this.validate(settings);
    const group: GroupRecord = {
      id: newId(),
      slug,
      title: changes.title ?? null,
      isApiEnabled: changes.isApiEnabled ?? true,
      allowedDomains: changes.allowedDomains ?? [],
      requireSignInConfirmation: changes.requireSignInConfirmation ?? false,
      adminSignInWithApiToken: changes.adminSignInWithApiToken ?? true,
      adminDirectoryGroupId: null,
      createdAt: this.deps.now(),
      deletedAt: null,
    };
    const created = await this.deps.store.insertGroup(group, [
      newEvent('group.created', group, caller, targets.group(group), { slug, title: group.title }, group.createdAt),
    ]);
    if (!created) throw invalidInput('slug', `a group "${slug}" already exists`);
    return created;
  }

  async update(group: GroupRecord, settings: GroupSettings, caller: Caller): Promise<GroupRecord> {
    const at = this.deps.now();
    const updated = await this.deps.store.updateGroup(group.id, this.validate(settings), ({ before, after }) => {
      const changes = changedSettings(before, after);
      if (Object.keys(changes).length === 0) return [];
      return [newEvent('group.updated', after, caller, targets.group(after), { changes }, at)];
    });
    if (!updated) throw new Errors.GroupNotFound();
    return updated;
  }

  async delete(slug: string, caller: Caller): Promise<GroupRecord> {
    const group = await this.get(slug);
    const at = this.deps.now();
    await this.deps.store.markGroupDeleted(group.id, at, (ended) => [
      newEvent('group.deleted', group, caller, targets.group(group), { slug: group.slug }, at),
      ...ended.map(({ session, user }) => sessionEnded(group, caller, user, session.id, 'group_deleted', at)),
    ]);
    return group;
  }

  private validate(settings: GroupSettings): GroupChanges {
    const changes: GroupChanges = {};
    if (settings.title !== undefined) changes.title = optionalText('title', settings.title, LABEL_MAX);
    if (settings.isApiEnabled !== undefined) changes.isApiEnabled = settings.isApiEnabled;
    if (settings.requireSignInConfirmation !== undefined) changes.requireSignInConfirmation = settings.requireSignInConfirmation;
    if (settings.adminSignInWithApiToken !== undefined) changes.adminSignInWithApiToken = settings.adminSignInWithApiToken;
    if (settings.allowedDomains !== undefined) {
      if (settings.allowedDomains.length > 100) throw invalidInput('allowedDomains', 'at most 100 domains');
      changes.allowedDomains = [...new Set(settings.allowedDomains.map((d) => parseDomain('allowedDomains', d)))];
    }
    return changes;
  }
}

/** The settings that differ between two versions of a group, each with its old and new value. */
function changedSettings(before: GroupRecord, after: GroupRecord): Record<string, { from: unknown; to: unknown }> {
  const changes: Record<string, { from: unknown; to: unknown }> = {};
  for (const key of ['title', 'isApiEnabled', 'allowedDomains', 'requireSignInConfirmation', 'adminSignInWithApiToken'] as const) {
    if (JSON.stringify(before[key]) !== JSON.stringify(after[key])) changes[key] = { from: before[key], to: after[key] };
  }
  return changes;
}
