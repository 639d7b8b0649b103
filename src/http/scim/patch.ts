/**
 * SCIM PATCH (RFC 7644 §3.5.2; API.md §18) as pure functions: the PatchOp body read
 * and checked; a User document changed by its operations (the route then reads the
 * result as it reads a PUT body); a Group's operations turned into the changes the
 * store applies as set operations, without loading the members.
 *
 * Written directly rather than over scim-patch: what Okta and Entra ID send needs
 * attribute names and filter values matched case-insensitively, "True"/"False" as
 * booleans, whole-extension URN paths and add-by-value, which the library does not
 * do; and finding a document's own key for a name means parsing the path anyway.
 */
import type { DirectoryGroupEdit } from '../../domain/scim.ts';
import { SCHEMA } from './documents.ts';
import { ScimProblem } from './problem.ts';

export interface PatchOperation {
  op: 'add' | 'replace' | 'remove';
  /** Absent: the target is the resource itself, and `value` an object of attributes. */
  path?: string;
  value?: unknown;
}

/** What a Group PATCH changes: the domain's edit of a directory group. */
export type GroupChanges = DirectoryGroupEdit;

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A member by name, as RFC 7643 §2.1 says: names are case-insensitive (`Operations`, `Op`, `Value`). */
function attribute(object: Json, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === lower) return object[key];
  return undefined;
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

// --- Paths --------------------------------------------------------------------------

const OPERATORS = ['eq', 'ne', 'co', 'sw', 'ew', 'pr'] as const;
type Operator = (typeof OPERATORS)[number];
const isOperator = (token: string): token is Operator => (OPERATORS as readonly string[]).includes(token);

interface Comparison {
  attr: string;
  op: Operator;
  value: unknown;
}

/** A value filter: comparisons, and-ed within a group, the groups or-ed (no parentheses or `not`: no provider sends them in a path). */
type Filter = Comparison[][];

/** A PATH (RFC 7644 §3.5.2): an attribute of the resource or an extension, an optional value filter and sub-attribute. */
interface Path {
  /** The extension's URN when the path names one. */
  extension?: string;
  /** Absent: the whole extension. */
  attr?: string;
  filter?: Filter;
  sub?: string;
}

/** An attribute name (RFC 7643 §2.1, with `$ref`); it cannot be `__proto__`. */
const NAME = /^[A-Za-z$][\w$-]*$/;

function parsePath(path: string): Path {
  const bad = () => new ScimProblem('invalidPath', `"${path}" is not a valid SCIM path`, 'path');
  let rest = path;
  let extension: string | undefined;
  if (/^urn:/i.test(path)) {
    const lower = path.toLowerCase();
    const prefixes = (urn: string) => lower === urn.toLowerCase() || lower.startsWith(`${urn.toLowerCase()}:`);
    const core = [SCHEMA.user, SCHEMA.group].find(prefixes);
    const known = [SCHEMA.enterpriseUser, SCHEMA.teamApiUser].find(prefixes);
    if (core) rest = path.slice(core.length + 1);
    else if (known) [extension, rest] = [known, path.slice(known.length + 1)];
    else {
      // Another extension: its URN ends at the last colon before any filter, and an attribute follows.
      const at = (path.split('[')[0] ?? '').lastIndexOf(':');
      if (at <= 'urn:'.length || at === path.length - 1) throw bad();
      [extension, rest] = [path.slice(0, at), path.slice(at + 1)];
    }
    if (rest === '') {
      if (extension === undefined) throw bad();
      return { extension };
    }
  }
  let attr: string | undefined;
  let sub: string | undefined;
  let filter: Filter | undefined;
  const open = rest.indexOf('[');
  if (open < 0) {
    const parts = rest.split('.');
    if (parts.length > 2) throw bad();
    [attr, sub] = parts;
  } else {
    const close = rest.lastIndexOf(']');
    if (close < open) throw bad();
    attr = rest.slice(0, open);
    filter = parseFilter(rest.slice(open + 1, close), bad);
    const tail = rest.slice(close + 1);
    if (tail !== '') {
      if (!tail.startsWith('.')) throw bad();
      sub = tail.slice(1);
    }
  }
  if (attr === undefined || !NAME.test(attr) || (sub !== undefined && !NAME.test(sub))) throw bad();
  return { ...(extension === undefined ? {} : { extension }), attr, ...(filter ? { filter } : {}), ...(sub === undefined ? {} : { sub }) };
}

function parseFilter(text: string, bad: () => ScimProblem): Filter {
  const tokens = text.match(/"(?:[^"\\]|\\.)*"|[^\s"]+|"/g) ?? [];
  let all: Comparison[] = [];
  const filter: Filter = [all];
  for (let i = 0; ; ) {
    const attr = tokens[i];
    const op = tokens[i + 1]?.toLowerCase();
    if (attr === undefined || !NAME.test(attr) || op === undefined || !isOperator(op)) throw bad();
    const value = op === 'pr' ? undefined : literal(tokens[i + 2], bad);
    all.push({ attr, op, value });
    i += op === 'pr' ? 2 : 3;
    const joint = tokens[i++]?.toLowerCase();
    if (joint === undefined) return filter;
    if (joint === 'or') filter.push((all = []));
    else if (joint !== 'and') throw bad();
  }
}

function literal(token: string | undefined, bad: () => ScimProblem): unknown {
  if (token === undefined) throw bad();
  if (token.startsWith('"')) {
    try {
      return JSON.parse(token) as string;
    } catch {
      throw bad();
    }
  }
  const lower = token.toLowerCase();
  if (lower === 'true' || lower === 'false') return lower === 'true';
  if (lower === 'null') return null;
  if (/^-?\d+(\.\d+)?([eE][+-]?\d+)?$/.test(token)) return Number(token);
  throw bad();
}

/** Filter values compare case-insensitively: `type eq "Work"` is the work email (RFC 7643 §2.4, caseExact false). */
const fold = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);

function matches(filter: Filter, element: unknown): element is Json {
  if (!isObject(element)) return false;
  return filter.some((all) =>
    all.every(({ attr, op, value }) => {
      const actual = fold(attribute(element, attr));
      const expected = fold(value);
      if (op === 'pr') return actual !== undefined && actual !== null && actual !== '';
      if (op === 'eq') return actual === expected;
      if (op === 'ne') return actual !== expected;
      if (typeof actual !== 'string' || typeof expected !== 'string') return false;
      return op === 'co' ? actual.includes(expected) : op === 'sw' ? actual.startsWith(expected) : actual.endsWith(expected);
    }),
  );
}

// --- Users ----------------------------------------------------------------------------

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

// --- Groups ---------------------------------------------------------------------------

/** The keys of a Group the product keeps; a no-path value's others (Entra sends `id`) are ignored. */
const GROUP_KEYS = new Set(['displayname', 'externalid', 'members']);

/**
 * A directory group's PATCH as changes the store applies: names, and member ids added,
 * removed or replaced; the current members are not needed.
 */
export function patchGroupChanges(operations: PatchOperation[]): GroupChanges {
  const changes: GroupChanges = { memberOps: [] };
  for (const { op, path, value } of operations) {
    if (path !== undefined) applyToGroup(changes, op, path, value);
    else if (!isObject(value)) throw new ScimProblem('invalidSyntax', 'value must be an object when there is no path', 'value');
    else for (const [key, item] of Object.entries(value)) if (GROUP_KEYS.has(key.toLowerCase())) applyToGroup(changes, op, key, item);
  }
  return changes;
}

function applyToGroup(changes: GroupChanges, op: PatchOperation['op'], path: string, value: unknown): void {
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

function changeMembers(changes: GroupChanges, op: PatchOperation['op'], filter: Filter | undefined, value: unknown, bad: () => ScimProblem): void {
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
    changes.replaceMembers = op === 'replace' ? memberIds(value) : [];
    changes.memberOps = [];
    return;
  }
  // add a list, or Entra's remove with a value list.
  addMemberOp(changes, op, memberIds(value));
}

/** Extends the last change when it has the same op, so a thousand one-member operations stay one list. */
function addMemberOp(changes: GroupChanges, op: 'add' | 'remove', ids: string[]): void {
  if (ids.length === 0) return;
  const last = changes.memberOps.at(-1);
  if (last?.op !== op) changes.memberOps.push({ op, ids });
  else for (const id of ids) last.ids.push(id);
}

/** The ids of a `members` value (`[{ "value": id }]`, or one such object). */
function memberIds(value: unknown): string[] {
  if (value === null) return [];
  return (Array.isArray(value) ? value : [value]).map((entry: unknown) => {
    const id = isObject(entry) ? attribute(entry, 'value') : undefined;
    if (typeof id !== 'string') throw new ScimProblem('invalidValue', 'each member must be an object with a string value', 'members');
    return id;
  });
}
