/** SCIM Groups (RFC 7643 §4.2) and the product's directory groups, both ways (API.md §18). */
import type { DirectoryGroupRecord } from '../../db/store.ts';
import type { DirectoryGroupEdit } from '../../domain/scim.ts';
import { ScimProblem } from './problem.ts';
import { SCHEMA, type ScimGroupDocument } from './documents.ts';

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

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

function attribute(object: Record<string, unknown>, name: string): unknown {
  const lower = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === lower) return object[key];
  return undefined;
}

/** The ids of a `members` list (`[{ "value": id }]`). */
export function memberIdsOf(value: unknown): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ScimProblem('invalidValue', 'members must be a list', 'members');
  return value.map((entry) => {
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
