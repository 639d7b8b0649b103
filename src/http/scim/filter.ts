/**
 * SCIM filters (RFC 7644 §3.4.2.2) as pure functions: a `filter` parameter compiled
 * once into a test the list routes run over every document they read, with the index
 * lookup it allows.
 *
 * The syntax is scim2-parse-filter's; the evaluation is our own, because its tester
 * compares case-sensitively and knows nothing of attribute types or caseExact.
 */
import type { Compare, Filter, Suffix } from 'scim2-parse-filter';
import { parseFilter as parseTokens, tokenizer, Tokens, type Token } from 'scim2-parse-filter/lib/src/parser.js';
import { SCHEMA, type ResourceKind, type ScimGroupDocument, type ScimUserDocument } from './documents.ts';
import { isObject, type Json } from './json.ts';
import { ScimProblem } from './problem.ts';

export interface ScimFilter {
  /** Whether a resource document (as answered, with meta) matches. */
  matches(resource: ScimUserDocument | ScimGroupDocument): boolean;
  /** An equality every match must meet on an indexed attribute, for a lookup by index instead of a scan; null when there is none. */
  indexed: Indexed | null;
}

export interface Indexed {
  attribute: 'userName' | 'externalId' | 'emails' | 'id' | 'displayName';
  /** As the filter gives it: the caller folds case as its index needs. */
  value: string;
}

type Test = (node: Json) => boolean;

/** A document as the plain JSON object it is (its interface has no index signature). */
export const json = (document: ScimUserDocument | ScimGroupDocument) => document as unknown as Json;

/** Longer filters are refused before parsing: no client needs one, and parsing is recursive. */
const MAX_FILTER_LENGTH = 4096;

const invalid = (reason: string) => new ScimProblem('invalidFilter', reason, 'filter');

/** An attribute a filter may name. */
interface Attribute {
  /** Its key on the resource (or on an element, inside a value filter). */
  key: string;
  /** The sub-attribute's key on the attribute, or on each of its elements when it is multi-valued. */
  sub?: string;
  type: 'string' | 'boolean' | 'instant';
  /** RFC 7643 caseExact: `id` and `externalId` compare as given, as the index lookups that serve them do. */
  exact?: true;
  /** An `eq` on it is a lookup by this index. */
  index?: Indexed['attribute'];
}

const META: Record<string, Attribute> = {
  'meta.created': { key: 'meta', sub: 'created', type: 'instant' },
  'meta.lastmodified': { key: 'meta', sub: 'lastModified', type: 'instant' },
};

/** The attributes of each kind, by lower-cased name; a multi-valued one alone means its `value`. */
const ATTRIBUTES: Record<ResourceKind, Record<string, Attribute>> = {
  User: {
    username: { key: 'userName', type: 'string', index: 'userName' },
    externalid: { key: 'externalId', type: 'string', exact: true, index: 'externalId' },
    emails: { key: 'emails', sub: 'value', type: 'string', index: 'emails' },
    'emails.value': { key: 'emails', sub: 'value', type: 'string', index: 'emails' },
    'emails.type': { key: 'emails', sub: 'type', type: 'string' },
    'emails.primary': { key: 'emails', sub: 'primary', type: 'boolean' },
    'name.givenname': { key: 'name', sub: 'givenName', type: 'string' },
    'name.familyname': { key: 'name', sub: 'familyName', type: 'string' },
    active: { key: 'active', type: 'boolean' },
    id: { key: 'id', type: 'string', exact: true, index: 'id' },
    ...META,
  },
  Group: {
    displayname: { key: 'displayName', type: 'string', index: 'displayName' },
    externalid: { key: 'externalId', type: 'string', exact: true, index: 'externalId' },
    members: { key: 'members', sub: 'value', type: 'string' },
    'members.value': { key: 'members', sub: 'value', type: 'string' },
    id: { key: 'id', type: 'string', exact: true, index: 'id' },
    ...META,
  },
};

/** The multi-valued attributes a value filter (`emails[type eq "work"]`) may test, and the sub-attributes it may name. */
const VALUE_PATHS: Record<ResourceKind, Record<string, { key: string; attributes: Record<string, Attribute> }>> = {
  User: {
    emails: {
      key: 'emails',
      attributes: {
        value: { key: 'value', type: 'string', index: 'emails' },
        type: { key: 'type', type: 'string' },
        primary: { key: 'primary', type: 'boolean' },
      },
    },
  },
  Group: { members: { key: 'members', attributes: { value: { key: 'value', type: 'string' } } } },
};

const CORE_PREFIX: Record<ResourceKind, string> = { User: `${SCHEMA.user.toLowerCase()}:`, Group: `${SCHEMA.group.toLowerCase()}:` };

/** A name lower-cased, without the core schema's URN (`urn:…:core:2.0:User:userName`). */
export function bareName(name: string, kind: ResourceKind): string {
  const lower = name.toLowerCase();
  return lower.startsWith(CORE_PREFIX[kind]) ? lower.slice(CORE_PREFIX[kind].length) : lower;
}

/** Compiles a `filter` parameter; a syntax error, an unknown attribute or a value of the wrong type is invalidFilter. */
export function parseFilter(text: string, kind: ResourceKind): ScimFilter {
  if (text.trim() === '') throw invalid('the filter is empty');
  if (text.length > MAX_FILTER_LENGTH) throw invalid(`the filter is longer than ${MAX_FILTER_LENGTH} characters`);
  let ast: Filter;
  try {
    // The library's `parse`, with our token rewrite between its tokenizer and its parser.
    const tokens = new Tokens(rewriteTokens(tokenizer(text)));
    ast = parseTokens(tokens);
    if (tokens.peek().type !== 'EOT') throw new Error(`unexpected "${tokens.peek().literal}"`);
  } catch (error) {
    throw invalid(`the filter is not valid SCIM filter syntax (${error instanceof Error ? error.message : String(error)})`);
  }
  const { test, candidates } = compile(ast, ATTRIBUTES[kind], kind, true);
  return {
    matches: (resource) => test(json(resource)),
    // An email lookup is the last resort: the route can only scan for an address.
    indexed: candidates.find((candidate) => candidate.attribute !== 'emails') ?? candidates[0] ?? null,
  };
}

const COMPARE_OPERATORS = new Set(['eq', 'ne', 'co', 'sw', 'ew', 'gt', 'ge', 'lt', 'le']);
const LITERAL = /^(true|false|null)$/i;

/**
 * Two fixes to the library's reading, made on its tokens:
 * - `emails[type eq "work"].value eq "x"` becomes `emails[(type eq "work") and value eq "x"]`:
 *   the library reads it as two tests that two different emails could pass;
 * - an unquoted `True` / `False` / `Null` is lower-cased, as JSON wants it.
 */
function rewriteTokens(tokens: Token[]): Token[] {
  const out: Token[] = [];
  const opens: number[] = [];
  for (let i = 0; i < tokens.length; i++) {
    const token = tokens[i]!;
    const next = tokens[i + 1];
    if (token.literal === '[') opens.push(out.length + 1);
    else if (token.literal.startsWith(']')) {
      const open = opens.pop();
      const operator = tokens[i + 2];
      if (token.literal === '].' && open !== undefined && next?.type === 'Word' && operator?.type === 'Word') {
        const end = i + 3 + (operator.literal.toLowerCase() === 'pr' ? 0 : 1);
        out.splice(open, 0, { type: 'Bracket', literal: '(' });
        out.push({ type: 'Bracket', literal: ')' }, { type: 'Word', literal: 'and' }, ...tokens.slice(i + 1, end), { type: 'Bracket', literal: ']' });
        i = end - 1;
        continue;
      }
    } else if (token.type === 'Word' && COMPARE_OPERATORS.has(token.literal.toLowerCase()) && next?.type === 'Word' && LITERAL.test(next.literal)) {
      out.push(token, { type: 'Word', literal: next.literal.toLowerCase() });
      i++;
      continue;
    }
    out.push(token);
  }
  return out;
}

interface Compiled {
  test: Test;
  /** Equalities on indexed attributes every match meets. */
  candidates: Indexed[];
}

/** `attributes` is what names resolve against: the kind's, or a value filter's sub-attributes (`topLevel` false). */
function compile(node: Filter, attributes: Record<string, Attribute>, kind: ResourceKind, topLevel: boolean): Compiled {
  switch (node.op) {
    case 'and':
    case 'or': {
      const parts = node.filters.map((filter) => compile(filter, attributes, kind, topLevel));
      const tests = parts.map((part) => part.test);
      if (node.op === 'or') {
        return {
          test: (resource) => {
            for (const test of tests) if (test(resource)) return true;
            return false;
          },
          candidates: [],
        };
      }
      return {
        test: (resource) => {
          for (const test of tests) if (!test(resource)) return false;
          return true;
        },
        candidates: parts.flatMap((part) => part.candidates),
      };
    }
    case 'not': {
      const { test } = compile(node.filter, attributes, kind, topLevel);
      return { test: (resource) => !test(resource), candidates: [] };
    }
    case '[]': {
      const path = topLevel ? VALUE_PATHS[kind][bareName(node.attrPath, kind)] : undefined;
      if (!path && !topLevel) throw invalid(`a value filter cannot be nested (in "${node.attrPath}")`);
      if (!path) throw invalid(`unknown attribute "${node.attrPath}" for a value filter on a ${kind}`);
      const { key } = path;
      const inner = compile(node.valFilter, path.attributes, kind, false);
      const test: Test = (resource) => {
        const list = resource[key];
        if (!Array.isArray(list)) return false;
        for (const element of list) if (isObject(element) && inner.test(element)) return true;
        return false;
      };
      return { test, candidates: inner.candidates };
    }
    default: {
      const name = topLevel ? bareName(node.attrPath, kind) : node.attrPath.toLowerCase();
      const attribute = attributes[name];
      if (!attribute) throw invalid(`unknown attribute "${node.attrPath}" in a ${topLevel ? kind : 'value'} filter`);
      const candidates: Indexed[] =
        node.op === 'eq' && attribute.index && typeof node.compValue === 'string' ? [{ attribute: attribute.index, value: node.compValue }] : [];
      return { test: attributeTest(attribute, comparison(attribute, node)), candidates };
    }
  }
}

/** Applies a comparison to an attribute's value; a multi-valued one matches when any element does. */
function attributeTest(attribute: Attribute, compare: (value: unknown) => boolean): Test {
  const { key, sub } = attribute;
  if (sub === undefined) return (resource) => compare(resource[key]);
  return (resource) => {
    const value = resource[key];
    if (!Array.isArray(value)) return compare(isObject(value) ? value[sub] : undefined);
    if (value.length === 0) return compare(undefined);
    for (const element of value) if (compare(isObject(element) ? element[sub] : undefined)) return true;
    return false;
  };
}

/** The test of one value (undefined when absent: only `ne` matches it). */
function comparison(attribute: Attribute, node: Compare | Suffix): (value: unknown) => boolean {
  const { type } = attribute;
  const name = node.attrPath;
  if (node.op === 'pr') {
    if (type === 'boolean') return (value) => typeof value === 'boolean';
    if (type === 'instant') return (value) => !Number.isNaN(instantOf(value));
    return (value) => typeof value === 'string' && value !== '';
  }
  const { op, compValue } = node;
  if (compValue === null) {
    // `eq null` is unassigned, `ne null` assigned (RFC 7644 §3.4.2.2's compValue allows null).
    if (op !== 'eq' && op !== 'ne') throw invalid(`${op} cannot compare ${name} with null`);
    const present = comparison(attribute, { op: 'pr', attrPath: name });
    return op === 'eq' ? (value) => !present(value) : present;
  }
  if (type === 'boolean') {
    if (op !== 'eq' && op !== 'ne') throw invalid(`${name} is a boolean: only eq and ne compare it, not ${op}`);
    const wanted = booleanOf(compValue);
    if (wanted === undefined) throw invalid(`${name} is a boolean: ${JSON.stringify(compValue)} is not true or false`);
    return op === 'eq' ? (value) => value === wanted : (value) => value !== wanted;
  }
  if (typeof compValue !== 'string') throw invalid(`${name} is a ${type === 'instant' ? 'date' : 'string'}: ${JSON.stringify(compValue)} is not one`);
  if (type === 'instant') {
    if (op === 'co' || op === 'sw' || op === 'ew') throw invalid(`${name} is a date: ${op} does not apply to it`);
    const wanted = instantOf(compValue);
    if (Number.isNaN(wanted)) throw invalid(`${name} is a date: "${compValue}" is not an ISO 8601 date-time`);
    const test = ordered(op, wanted);
    return (value) => {
      const instant = instantOf(value);
      return Number.isNaN(instant) ? op === 'ne' : test(instant);
    };
  }
  const test = attribute.exact ? textTest(op, compValue) : textTest(op, compValue.toLowerCase());
  if (attribute.exact) return (value) => (typeof value === 'string' ? test(value) : op === 'ne');
  return (value) => (typeof value === 'string' ? test(value.toLowerCase()) : op === 'ne');
}

function textTest(op: Compare['op'], wanted: string): (value: string) => boolean {
  if (op === 'co') return (value) => value.includes(wanted);
  if (op === 'sw') return (value) => value.startsWith(wanted);
  if (op === 'ew') return (value) => value.endsWith(wanted);
  return ordered(op, wanted);
}

function ordered<T extends string | number>(op: Exclude<Compare['op'], 'co' | 'sw' | 'ew'>, wanted: T): (value: T) => boolean {
  switch (op) {
    case 'eq':
      return (value) => value === wanted;
    case 'ne':
      return (value) => value !== wanted;
    case 'gt':
      return (value) => value > wanted;
    case 'ge':
      return (value) => value >= wanted;
    case 'lt':
      return (value) => value < wanted;
    case 'le':
      return (value) => value <= wanted;
  }
}

/** A boolean, also as the strings "true" / "false" in any case (Entra ID sends "True"). */
function booleanOf(value: unknown): boolean | undefined {
  if (typeof value === 'boolean') return value;
  if (typeof value !== 'string') return undefined;
  const lower = value.toLowerCase();
  return lower === 'true' ? true : lower === 'false' ? false : undefined;
}

const ISO_INSTANT = /^(\d{4}-\d{2}-\d{2})(?:T(\d{2}:\d{2}(?::\d{2})?)(?:\.(\d+))?(Z|[+-]\d{2}:?\d{2})?)?$/i;

/**
 * An ISO 8601 date-time as epoch milliseconds, NaN when it is none. The fraction is cut
 * to milliseconds first (.NET sends 7 digits, which Date.parse refuses); a date-time
 * without an offset, or a date alone, is UTC, whatever the server's time zone.
 */
function instantOf(value: unknown): number {
  if (typeof value !== 'string') return Number.NaN;
  const match = ISO_INSTANT.exec(value.trim());
  if (!match) return Number.NaN;
  const [, date, time = '00:00', fraction, zone = 'Z'] = match;
  const millis = fraction === undefined ? '' : `.${fraction.slice(0, 3).padEnd(3, '0')}`;
  const offset = zone.length === 5 ? `${zone.slice(0, 3)}:${zone.slice(3)}` : zone.toUpperCase();
  return Date.parse(`${date}T${time}${millis}${offset}`);
}
