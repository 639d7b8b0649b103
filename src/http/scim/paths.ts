/**
 * PATCH paths (RFC 7644 §3.5.2): `attr`, `attr.sub`, an extension's URN and its
 * attributes, and value filters (`emails[type eq "work"].value`), whose values compare
 * case-insensitively as Okta and Entra ID need.
 */
import { SCHEMA } from './documents.ts';
import { attribute, isObject, type Json } from './json.ts';
import { ScimProblem } from './problem.ts';

const OPERATORS = ['eq', 'ne', 'co', 'sw', 'ew', 'pr'] as const;
type Operator = (typeof OPERATORS)[number];
const isOperator = (token: string): token is Operator => (OPERATORS as readonly string[]).includes(token);

interface Comparison {
  attr: string;
  op: Operator;
  value: unknown;
}

/** A value filter: comparisons, and-ed within a group, the groups or-ed (no parentheses or `not`: no provider sends them in a path). */
export type Filter = Comparison[][];

/** A PATH (RFC 7644 §3.5.2): an attribute of the resource or an extension, an optional value filter and sub-attribute. */
export interface Path {
  /** The extension's URN when the path names one. */
  extension?: string;
  /** Absent: the whole extension. */
  attr?: string;
  filter?: Filter;
  sub?: string;
}

/** An attribute name (RFC 7643 §2.1, with `$ref`); it cannot be `__proto__`. */
const NAME = /^[A-Za-z$][\w$-]*$/;

export function parsePath(path: string): Path {
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
export const fold = (value: unknown) => (typeof value === 'string' ? value.toLowerCase() : value);

export function matches(filter: Filter, element: unknown): element is Json {
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
