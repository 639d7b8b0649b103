/**
 * SCIM PATCH (RFC 7644 §3.5.2; API.md §18) as pure functions: the PatchOp body read
 * and checked; a User document changed by its operations (the route then reads the
 * result as it reads a PUT body). A Group's operations become set operations on its
 * members (groups.ts).
 *
 * Written directly rather than over scim-patch: what Okta and Entra ID send needs
 * attribute names and filter values matched case-insensitively, "True"/"False" as
 * booleans, whole-extension URN paths and add-by-value, which the library does not
 * do; and finding a document's own key for a name means parsing the path anyway.
 */
import { SCHEMA } from './documents.ts';
import { attribute, isObject, type Json } from './json.ts';
import { type Filter, fold, matches, parsePath } from './paths.ts';
import { ScimProblem } from './problem.ts';

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  /** Absent: the target is the resource itself, and `value` an object of attributes. */
  path?: string;
  value?: unknown;
}

/** RFC 7644 sets no bound; this keeps one request's work bounded. */
const MAX_OPERATIONS = 10_000;

/** The operations of a PatchOp body (RFC 7644 §3.5.2), op names in lower case. */
export function readPatchOperations(body: unknown): PatchOperation[] {
  if (!isObject(body)) throw new ScimProblem('invalidSyntax', 'the body must be a PatchOp JSON object', 'body');
  // `schemas` is not checked: some clients leave it out, and Operations says what is meant.
  const operations = attribute(body, 'Operations');
  if (!Array.isArray(operations) || operations.length === 0) {
    throw new ScimProblem('invalidSyntax', 'Operations must be a non-empty list', 'Operations');
  }
  if (operations.length > MAX_OPERATIONS) {
    throw new ScimProblem('invalidSyntax', `Operations may hold at most ${MAX_OPERATIONS} operations`, 'Operations');
  }
  return operations.map(readOperation);
}

function readOperation(entry: unknown, index: number): PatchOperation {
  const field = `Operations[${index}]`;
  if (!isObject(entry)) throw new ScimProblem('invalidSyntax', `${field} must be an object`, field);
  const name = attribute(entry, 'op');
  // Entra ID sends `Replace`, `Add`, `Remove`.
  const op = typeof name === 'string' ? name.toLowerCase() : '';
  if (op !== 'add' && op !== 'replace' && op !== 'remove') {
    throw new ScimProblem('invalidSyntax', `${field}.op must be add, replace or remove`, `${field}.op`);
  }
  const rawPath = attribute(entry, 'path');
  if (rawPath !== undefined && rawPath !== null && typeof rawPath !== 'string') {
    throw new ScimProblem('invalidSyntax', `${field}.path must be a string`, `${field}.path`);
  }
  const path = typeof rawPath === 'string' && rawPath.trim() !== '' ? rawPath.trim() : undefined;
  const value = attribute(entry, 'value');
  if (op === 'remove') {
    if (path === undefined) throw new ScimProblem('noTarget', `${field} removes without a path`, `${field}.path`);
    return value === undefined ? { op, path } : { op, path, value };
  }
  if (value === undefined) throw new ScimProblem('invalidSyntax', `${field}.value is required for ${op}`, `${field}.value`);
  if (path === undefined && !isObject(value)) {
    throw new ScimProblem('invalidSyntax', `${field}.value must be an object when there is no path`, `${field}.value`);
  }
  return path === undefined ? { op, value } : { op, path, value };
}

/** RFC 7643's User and Group attribute names by lower case: the spelling of a name the document does not have yet. */
const KNOWN = new Map(
  [
    'userName', 'externalId', 'name', 'formatted', 'givenName', 'familyName', 'middleName', 'honorificPrefix',
    'honorificSuffix', 'displayName', 'nickName', 'profileUrl', 'title', 'userType', 'preferredLanguage', 'locale',
    'timezone', 'active', 'password', 'emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'groups', 'entitlements',
    'roles', 'x509Certificates', 'value', 'type', 'primary', 'display', '$ref', 'members', 'streetAddress', 'locality',
    'region', 'postalCode', 'country', 'employeeNumber', 'costCenter', 'organization', 'division', 'department', 'manager',
  ].map((name) => [name.toLowerCase(), name]),
);

const MULTI_VALUED = new Set(['emails', 'phoneNumbers', 'ims', 'photos', 'addresses', 'groups', 'entitlements', 'roles', 'x509Certificates', 'members']);

/** Attributes that are booleans, which Entra ID may send as "True"/"False". */
const BOOLEANS = new Set(['active', 'primary']);

/** The key `name` is kept under: the object's own spelling, else RFC 7643's, else as sent. */
function keyIn(object: Json | undefined, name: string): string {
  if (object) {
    if (Object.hasOwn(object, name)) return name;
    const lower = name.toLowerCase();
    for (const key of Object.keys(object)) if (key.toLowerCase() === lower) return key;
  }
  return KNOWN.get(name.toLowerCase()) ?? name;
}

/** A value as the document keeps it: RFC 7643's key spellings, and "True"/"False" as booleans where a boolean belongs. */
function normalise(value: unknown, key?: string): unknown {
  if (typeof value === 'string' && key !== undefined && BOOLEANS.has(key) && /^(true|false)$/i.test(value)) {
    return value.toLowerCase() === 'true';
  }
  if (Array.isArray(value)) return value.map((item) => normalise(item, key));
  if (!isObject(value)) return value;
  const out: Json = {};
  for (const [name, item] of Object.entries(value)) {
    if (name === '__proto__') continue;
    const canonical = keyIn(undefined, name);
    out[canonical] = normalise(item, canonical);
  }
  return out;
}

/** Elements of a multi-valued attribute are the same when their `value` is, compared case-insensitively (emails are). */
function sameValue(a: unknown, b: unknown): boolean {
  const left = fold(isObject(a) ? a.value : a);
  return left !== undefined && left === fold(isObject(b) ? b.value : b);
}

/** One `primary: true` at most (RFC 7643 §2.4): the elements just written keep theirs. */
function onePrimary(list: unknown[], written: unknown[]): void {
  if (!written.some((item) => isObject(item) && item.primary === true)) return;
  for (const element of list) if (isObject(element) && element.primary === true && !written.includes(element)) element.primary = false;
}

/** add or replace of one attribute (RFC 7644 §3.5.2.1, §3.5.2.3). */
function write(container: Json, name: string, value: unknown, op: 'add' | 'replace'): void {
  const key = keyIn(container, name);
  const current = container[key];
  const next = normalise(value, key);
  if (next === null) {
    // null is unassigned (RFC 7643 §2.5).
    delete container[key];
  } else if (Array.isArray(current) || MULTI_VALUED.has(key)) {
    // add appends, an element with the same value taking the old one's place; replace replaces the list.
    const items = Array.isArray(next) ? next : [next];
    const list = op === 'replace' || !Array.isArray(current) ? [] : [...current];
    for (const item of items) {
      const at = list.findIndex((element) => sameValue(element, item));
      if (at < 0) list.push(item);
      else list[at] = item;
    }
    container[key] = list;
    onePrimary(list, items);
  } else if (isObject(current) && isObject(next)) {
    // A complex attribute keeps the sub-attributes the value does not name.
    for (const [sub, item] of Object.entries(next)) write(current, sub, item, op);
  } else {
    container[key] = next;
  }
}

/** remove of one attribute; with a value and a list, only the elements with those values (RFC 7644 §3.5.2.2). */
function remove(container: Json, name: string, value: unknown): void {
  const key = keyIn(container, name);
  const current = container[key];
  if (value !== undefined && Array.isArray(current)) {
    const gone = Array.isArray(value) ? value : [value];
    const kept = current.filter((element) => !gone.some((item) => sameValue(element, item)));
    if (kept.length > 0) {
      container[key] = kept;
      return;
    }
  }
  delete container[key];
}

/**
 * A User document (as answered, without `meta`) with the operations applied in order,
 * as a new document: the input is not changed.
 */
export function patchUser(document: Record<string, unknown>, operations: PatchOperation[]): Record<string, unknown> {
  const result = structuredClone(document);
  for (const operation of operations) applyToUser(result, operation);
  return result;
}

function applyToUser(doc: Json, { op, path, value }: PatchOperation): void {
  if (path === undefined) {
    // No path: each key applies as if it were a path (Okta's {"active":false}, Entra's "name.givenName", URN keys).
    if (!isObject(value)) throw new ScimProblem('invalidSyntax', 'value must be an object when there is no path', 'value');
    for (const [key, item] of Object.entries(value)) applyToUser(doc, { op, path: key, value: item });
    return;
  }
  const target = parsePath(path);
  let base = doc;
  if (target.extension !== undefined) {
    const key = keyIn(doc, target.extension);
    if (target.attr === undefined) {
      if (op === 'remove') delete doc[key];
      else write(doc, key, value, op);
      return;
    }
    const extension = doc[key];
    if (isObject(extension)) base = extension;
    else if (op === 'remove') return;
    else doc[key] = base = {};
  }
  const attr = target.attr ?? '';
  if (target.filter) return applyFiltered(base, attr, target.filter, target.sub, op, value, path);
  if (target.sub === undefined) {
    if (op === 'remove') remove(base, attr, value);
    else write(base, attr, value, op);
    return;
  }
  // attr.sub, as `name.givenName`.
  const key = keyIn(base, attr);
  let parent = base[key];
  if (op === 'remove') {
    for (const element of Array.isArray(parent) ? parent : [parent]) if (isObject(element)) remove(element, target.sub, value);
    return;
  }
  if (parent === undefined || parent === null) base[key] = parent = {};
  if (Array.isArray(parent)) {
    for (const element of parent) if (isObject(element)) write(element, target.sub, value, op);
  } else if (isObject(parent)) {
    write(parent, target.sub, value, op);
  } else {
    throw new ScimProblem('invalidPath', `${attr} has no sub-attributes`, 'path');
  }
}

/** An operation on the elements a value filter selects, as `emails[type eq "work"].value`. */
function applyFiltered(base: Json, attr: string, filter: Filter, sub: string | undefined, op: PatchOperation['op'], value: unknown, path: string): void {
  const key = keyIn(base, attr);
  const current = base[key];
  if (current !== undefined && current !== null && !Array.isArray(current)) {
    throw new ScimProblem('invalidPath', `${attr} is not multi-valued`, 'path');
  }
  const list: unknown[] = Array.isArray(current) ? current : [];
  if (op === 'remove') {
    if (sub !== undefined) {
      for (const element of list) if (matches(filter, element)) delete element[keyIn(element, sub)];
      return;
    }
    const kept = list.filter((element) => !matches(filter, element));
    if (kept.length > 0) base[key] = kept;
    else delete base[key];
    return;
  }
  if (sub === undefined && !isObject(value)) throw new ScimProblem('invalidValue', `the value for ${path} must be an object`, 'value');
  /** Writes the value into a selected element: the sub-attribute, or the value's attributes. */
  const into = (element: Json, how: 'add' | 'replace') => {
    if (sub !== undefined) write(element, sub, value, how);
    else if (isObject(value)) for (const [name, item] of Object.entries(value)) write(element, name, item, how);
  };
  const found = list.filter((element) => matches(filter, element));
  if (found.length === 0) {
    // Nothing matches: Entra ID expects replacing the work email to add one, with the filter's attributes.
    const [only, ...others] = filter;
    if (!only || others.length > 0 || !only.every((comparison) => comparison.op === 'eq')) {
      throw new ScimProblem('noTarget', `no element of ${attr} matches ${path}`, 'path');
    }
    const element: Json = {};
    for (const comparison of only) element[keyIn(undefined, comparison.attr)] = comparison.value;
    into(element, 'add');
    base[key] = [...list, element];
    onePrimary(list, [element]);
  } else if (sub === undefined && op === 'replace') {
    // replace of a selected element replaces it whole (RFC 7644 §3.5.2.3's work address).
    const next = list.map((element) => (matches(filter, element) ? normalise(value) : element));
    base[key] = next;
    onePrimary(next, next.filter((element, at) => element !== list[at]));
  } else {
    for (const element of found) into(element, op);
    onePrimary(list, found);
  }
}
