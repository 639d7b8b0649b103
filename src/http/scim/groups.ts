/** SCIM Groups (RFC 7643 §4.2) and the product's directory groups, both ways (API.md §18), and their PATCH. */
import type { DirectoryGroupRecord } from '../../db/store.ts';
import type { DirectoryGroupEdit } from '../../domain/directory-groups.ts';
import { SCHEMA, type ScimGroupDocument } from './documents.ts';
import { attribute, isObject } from './json.ts';
import type { PatchOperation } from './patch.ts';
import { type Filter, parsePath } from './paths.ts';
import { ScimProblem } from './problem.ts';

/** A directory group's ETag: every change to it (names or members) moves its `updatedAt`. */
export const groupEtag = (record: DirectoryGroupRecord) => `W/"${record.updatedAt.toString(36)}"`;

/** The Group a directory group is answered as; `memberIds` null leaves members out (excludedAttributes). */
export function groupDocument(record: DirectoryGroupRecord, memberIds: string[] | null, base: string): ScimGroupDocument {
  return {
    schemas: [SCHEMA.group],
    id: record.id,
    ...(record.externalId === null ? {} : { externalId: record.externalId }),
    displayName: record.displayName,
    ...(memberIds === null || memberIds.length === 0
      ? {}
      : { members: memberIds.map((value) => ({ value, $ref: `${base}/Users/${value}`, type: 'User' as const })) }),
    meta: {
      resourceType: 'Group',
      created: new Date(record.createdAt).toISOString(),
      lastModified: new Date(record.updatedAt).toISOString(),
      location: `${base}/Groups/${record.id}`,
      version: groupEtag(record),
    },
  };
}

/** The ids of a `members` value (`[{ "value": id }]`, or one such object). */
function memberIdsOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  return (Array.isArray(value) ? value : [value]).map((entry: unknown) => {
    const id = isObject(entry) ? attribute(entry, 'value') : undefined;
    if (typeof id !== 'string') throw new ScimProblem('invalidValue', 'each member must be an object with a string value', 'members');
    return id;
  });
}

/** A whole Group body (POST, PUT): its names, and its member list replacing the one it had. */
export function groupInput(body: unknown): DirectoryGroupEdit & { displayName: string } {
  if (!isObject(body)) throw new ScimProblem('invalidSyntax', 'the body must be a JSON object', 'body');
  const displayName = attribute(body, 'displayName');
  if (typeof displayName !== 'string') throw new ScimProblem('invalidValue', 'displayName is required', 'displayName');
  const externalId = attribute(body, 'externalId');
  if (externalId !== undefined && externalId !== null && typeof externalId !== 'string') {
    throw new ScimProblem('invalidValue', 'externalId must be a string', 'externalId');
  }
  return {
    displayName,
    externalId: typeof externalId === 'string' && externalId !== '' ? externalId : null,
    replaceMembers: memberIdsOf(attribute(body, 'members')),
    memberOps: [],
  };
}

/** The keys of a Group the product keeps; a no-path value's others (Entra sends `id`) are ignored. */
const GROUP_KEYS = new Set(['displayname', 'externalid', 'members']);

/**
 * A directory group's PATCH as changes the store applies: names, and member ids added,
 * removed or replaced; the current members are not needed.
 */
export function patchGroupChanges(operations: PatchOperation[]): DirectoryGroupEdit {
  const changes: DirectoryGroupEdit = { memberOps: [] };
  for (const { op, path, value } of operations) {
    if (path !== undefined) applyToGroup(changes, op, path, value);
    else if (!isObject(value)) throw new ScimProblem('invalidSyntax', 'value must be an object when there is no path', 'value');
    else for (const [key, item] of Object.entries(value)) if (GROUP_KEYS.has(key.toLowerCase())) applyToGroup(changes, op, key, item);
  }
  return changes;
}

function applyToGroup(changes: DirectoryGroupEdit, op: PatchOperation['op'], path: string, value: unknown): void {
  const target = parsePath(path);
  const name = target.extension === undefined && target.sub === undefined ? target.attr?.toLowerCase() : undefined;
  const bad = () => new ScimProblem('invalidPath', `a Group PATCH changes displayName, externalId or members, not "${path}"`, 'path');
  if (name === 'members') return changeMembers(changes, op, target.filter, value, bad);
  if (target.filter) throw bad();
  if (name === 'displayname') {
    if (op === 'remove' || typeof value !== 'string' || value.trim() === '') {
      throw new ScimProblem('invalidValue', 'displayName must be a non-empty string', 'displayName');
    }
    changes.displayName = value;
  } else if (name === 'externalid') {
    if (op === 'remove' || value === null || value === '') changes.externalId = null;
    else if (typeof value === 'string') changes.externalId = value;
    else throw new ScimProblem('invalidValue', 'externalId must be a string', 'externalId');
  } else {
    throw bad();
  }
}

function changeMembers(changes: DirectoryGroupEdit, op: PatchOperation['op'], filter: Filter | undefined, value: unknown, bad: () => ScimProblem): void {
  if (filter) {
    // Okta's and RFC 7644's shape: remove members[value eq "id"], or-ed for several.
    if (op !== 'remove') throw bad();
    const ids = filter.map((all) => {
      const [only] = all;
      if (all.length !== 1 || !only || only.op !== 'eq' || only.attr.toLowerCase() !== 'value' || typeof only.value !== 'string') throw bad();
      return only.value;
    });
    return addMemberOp(changes, 'remove', ids);
  }
  if (op === 'replace' || (op === 'remove' && value === undefined)) {
    // The whole list: the member changes before it no longer matter.
    changes.replaceMembers = op === 'replace' ? memberIdsOf(value) : [];
    changes.memberOps = [];
    return;
  }
  // add a list, or Entra's remove with a value list.
  addMemberOp(changes, op, memberIdsOf(value));
}

/** Extends the last change when it has the same op, so a thousand one-member operations stay one list. */
function addMemberOp(changes: DirectoryGroupEdit, op: 'add' | 'remove', ids: string[]): void {
  if (ids.length === 0) return;
  const last = changes.memberOps.at(-1);
  if (last?.op !== op) changes.memberOps.push({ op, ids });
  else for (const id of ids) last.ids.push(id);
}
