/** Groups (tenants): creation, settings and deletion. */
import type { GroupChanges, GroupRecord } from '../db/store.ts';
import { Errors, invalidInput } from '../errors/domain-error.ts';
import type { ServiceDeps } from './deps.ts';
import { LABEL_MAX, optionalText, parseDomain, parseSlug } from './inputs.ts';
import { newId } from './secrets.ts';

export interface GroupSettings {
  title?: string | null;
  isApiEnabled?: boolean;
  allowedDomains?: string[];
  requireSignInConfirmation?: boolean;
}

export class GroupService {
  constructor(private readonly deps: ServiceDeps) {}

  /** The live group with this slug, or GroupNotFound. */
  async get(slug: string): Promise<GroupRecord> {
    const group = await this.deps.store.findGroupBySlug(slug.trim().toLowerCase());
    if (!group) throw new Errors.GroupNotFound();
    return group;
  }

  async create(slugInput: string, settings: GroupSettings = {}): Promise<GroupRecord> {
    const slug = parseSlug(slugInput);
    const changes = this.validate(settings);
    const group: GroupRecord = {
      id: newId(),
      slug,
      title: changes.title ?? null,
      isApiEnabled: changes.isApiEnabled ?? true,
      allowedDomains: changes.allowedDomains ?? [],
      requireSignInConfirmation: changes.requireSignInConfirmation ?? false,
      createdAt: this.deps.now(),
      deletedAt: null,
    };
    const created = await this.deps.store.insertGroup(group);
    if (!created) throw invalidInput('slug', `a group "${slug}" already exists`);
    return created;
  }

  async update(group: GroupRecord, settings: GroupSettings): Promise<GroupRecord> {
    const updated = await this.deps.store.updateGroup(group.id, this.validate(settings));
    if (!updated) throw new Errors.GroupNotFound();
    return updated;
  }

  async delete(slug: string): Promise<GroupRecord> {
    const group = await this.get(slug);
    await this.deps.store.markGroupDeleted(group.id, this.deps.now());
    return group;
  }

  private validate(settings: GroupSettings): GroupChanges {
    const changes: GroupChanges = {};
    if (settings.title !== undefined) changes.title = optionalText('title', settings.title, LABEL_MAX);
    if (settings.isApiEnabled !== undefined) changes.isApiEnabled = settings.isApiEnabled;
    if (settings.requireSignInConfirmation !== undefined) changes.requireSignInConfirmation = settings.requireSignInConfirmation;
    if (settings.allowedDomains !== undefined) {
      if (settings.allowedDomains.length > 100) throw invalidInput('allowedDomains', 'at most 100 domains');
      changes.allowedDomains = [...new Set(settings.allowedDomains.map((d) => parseDomain('allowedDomains', d)))];
    }
    return changes;
  }
}
