/**
 * SCIM Users (RFC 7643 §4.1) and the product's members, both ways (API.md §18):
 * the document a member is answered as, and the input a User body is read as.
 * Attributes the product does not keep are accepted and ignored, never an error.
 */
import { createHash } from 'node:crypto';
import type { MemberRole, ScimEmailRecord, ScimMemberRecord } from '../../db/store.ts';
import type { ScimUserInput } from '../../domain/scim.ts';
import { SCHEMA, type ScimMeta, type ScimUserDocument } from './documents.ts';
import { attribute, isObject } from './json.ts';
import { ScimProblem } from './problem.ts';

const iso = (ms: number) => new Date(ms).toISOString();

/** A weak ETag of a document's content (without its meta): any change to what SCIM answers changes it. */
export function etagOf(content: unknown): string {
  return `W/"${createHash('sha256').update(JSON.stringify(content)).digest('base64url').slice(0, 22)}"`;
}

/** The User a member is answered as; attributes without a value are left out. */
export function userDocument(member: ScimMemberRecord, base: string): ScimUserDocument {
  const { user, scim } = member;
  const name = {
    ...(user.firstName === null ? {} : { givenName: user.firstName }),
    ...(user.lastName === null ? {} : { familyName: user.lastName }),
  };
  // A member SCIM never wrote shows the product's own username and email.
  const emails: ScimEmailRecord[] = scim && scim.emails.length > 0 ? scim.emails : [{ value: user.email, type: 'work', primary: true }];
  const content = {
    schemas: [SCHEMA.user, SCHEMA.teamApiUser],
    id: user.id,
    ...(scim?.externalId == null ? {} : { externalId: scim.externalId }),
    userName: scim?.userName ?? user.username,
    ...(Object.keys(name).length === 0 ? {} : { name }),
    emails,
    active: member.suspendedAt === null,
    roles: [{ value: member.role }],
    [SCHEMA.teamApiUser]: { username: user.username },
  };
  const meta: ScimMeta = {
    resourceType: 'User',
    created: iso(member.joinedAt),
    lastModified: iso(Math.max(member.joinedAt, scim?.updatedAt ?? 0, member.suspendedAt ?? 0)),
    location: `${base}/Users/${user.id}`,
    version: etagOf(content),
  };
  return { ...content, meta };
}

/** A boolean as identity providers send it: true/false, or Entra's "True"/"False". */
export function booleanOf(value: unknown, field: string): boolean {
  if (typeof value === 'boolean') return value;
  if (typeof value === 'string' && /^(true|false)$/i.test(value)) return value.toLowerCase() === 'true';
  throw new ScimProblem('invalidValue', `${field} must be a boolean`, field);
}

function optionalString(value: unknown, field: string): string | null {
  if (value === undefined || value === null || value === '') return null;
  if (typeof value !== 'string') throw new ScimProblem('invalidValue', `${field} must be a string`, field);
  return value;
}

function emailsOf(value: unknown): ScimEmailRecord[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw new ScimProblem('invalidValue', 'emails must be a list', 'emails');
  return value.map((entry) => {
    if (!isObject(entry)) throw new ScimProblem('invalidValue', 'each of emails must be an object', 'emails');
    const address = attribute(entry, 'value');
    if (typeof address !== 'string' || address.trim() === '') throw new ScimProblem('invalidValue', 'emails.value is required', 'emails.value');
    const type = optionalString(attribute(entry, 'type'), 'emails.type');
    const primary = attribute(entry, 'primary');
    return {
      value: address.trim(),
      ...(type === null ? {} : { type }),
      ...(primary === undefined || primary === null ? {} : { primary: booleanOf(primary, 'emails.primary') }),
    };
  });
}

function roleOf(value: unknown): MemberRole | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw new ScimProblem('invalidValue', 'roles must be a list', 'roles');
  // Entra sends `roles: []` with every user: no role asked for, so the role stays.
  if (value.length === 0) return null;
  const roles = value.map((entry) => (isObject(entry) ? attribute(entry, 'value') : entry));
  for (const role of roles) {
    if (role !== 'admin' && role !== 'member') throw new ScimProblem('invalidValue', 'roles may be "admin" or "member"', 'roles');
  }
  return roles.includes('admin') ? 'admin' : 'member';
}

/** The input a User body (POST, PUT, or a document PATCH made) is read as. */
export function userInput(body: unknown): ScimUserInput {
  if (!isObject(body)) throw new ScimProblem('invalidSyntax', 'the body must be a JSON object', 'body');
  const userName = attribute(body, 'userName');
  if (typeof userName !== 'string' || userName.trim() === '') throw new ScimProblem('invalidValue', 'userName is required', 'userName');
  const name = attribute(body, 'name');
  if (name !== undefined && name !== null && !isObject(name)) throw new ScimProblem('invalidValue', 'name must be an object', 'name');
  const active = attribute(body, 'active');
  return {
    userName,
    externalId: optionalString(attribute(body, 'externalId'), 'externalId'),
    emails: emailsOf(attribute(body, 'emails')),
    givenName: name ? optionalString(attribute(name, 'givenName'), 'name.givenName') : null,
    familyName: name ? optionalString(attribute(name, 'familyName'), 'name.familyName') : null,
    active: active === undefined || active === null ? null : booleanOf(active, 'active'),
    role: roleOf(attribute(body, 'roles')),
  };
}
