/**
 * A document cut down to its `attributes` / `excludedAttributes` (RFC 7644 §3.4.2.5,
 * §3.9), as a pure function.
 */
import type { ResourceKind, ScimGroupDocument, ScimUserDocument } from './documents.ts';
import { bareName, json } from './filter.ts';
import { isObject, type Json } from './json.ts';

/** Attribute names chosen, as a tree of lower-cased names: `true` takes the whole attribute. */
type Selection = Map<string, Selection | true>;

/**
 * A document cut down to `attributes` (only those, with `id` and `schemas`, which are
 * always returned) or without `excludedAttributes` (never `id` nor `schemas`). Names are
 * case-insensitive, may carry a schema URN and name sub-attributes; a value filter on a
 * name (`emails[type eq "work"]`) selects the whole attribute; unknown names select
 * nothing. The input is not changed; it is returned as is when neither list is given.
 */
export function projectAttributes(
  resource: ScimUserDocument | ScimGroupDocument,
  kind: ResourceKind,
  attributes: string | null,
  excludedAttributes: string | null,
): Record<string, unknown> {
  let document = json(resource);
  if (attributes !== null && attributes.trim() !== '') {
    const wanted = selectionOf(attributes, document, kind);
    wanted.set('id', true).set('schemas', true);
    document = pick(document, wanted);
  }
  if (excludedAttributes !== null && excludedAttributes.trim() !== '') {
    const unwanted = selectionOf(excludedAttributes, document, kind);
    unwanted.delete('id');
    unwanted.delete('schemas');
    document = omit(document, unwanted);
  }
  return document;
}

function selectionOf(list: string, resource: Json, kind: ResourceKind): Selection {
  const root: Selection = new Map();
  // A value filter may hold commas: it goes before the list is split.
  const names = list.replace(/\[(?:[^\]"]|"(?:[^"\\]|\\.)*")*\]/g, '').split(',');
  for (const name of names) {
    if (name.trim() === '') continue;
    const path = pathOf(name.trim(), resource, kind);
    let node = root;
    for (const [at, key] of path.entries()) {
      if (at === path.length - 1) {
        node.set(key, true);
        break;
      }
      let child = node.get(key);
      if (child === true) break;
      if (!child) node.set(key, (child = new Map()));
      node = child;
    }
  }
  return root;
}

/** A name's path of lower-cased keys: an extension's URN (which has dots) is one key, the core schema's URN is dropped. */
function pathOf(name: string, resource: Json, kind: ResourceKind): string[] {
  const lower = name.toLowerCase();
  for (const key of Object.keys(resource)) {
    if (!key.includes(':')) continue;
    const urn = key.toLowerCase();
    if (lower === urn) return [urn];
    if (lower.startsWith(`${urn}:`)) return [urn, ...lower.slice(urn.length + 1).split('.')];
  }
  return bareName(lower, kind).split('.');
}

/** Keeps the selected attributes; a sub-selection applies to an object, or to each element of a list. */
function pick(node: Json, selection: Selection): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    const chosen = selection.get(key.toLowerCase());
    if (chosen === undefined) continue;
    const kept = chosen === true ? value : within(value, chosen, pick, false);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

/** Drops the selected attributes. */
function omit(node: Json, selection: Selection): Json {
  const out: Json = {};
  for (const [key, value] of Object.entries(node)) {
    const chosen = selection.get(key.toLowerCase());
    if (chosen === true) continue;
    const kept = chosen === undefined ? value : within(value, chosen, omit, true);
    if (kept !== undefined) out[key] = kept;
  }
  return out;
}

/**
 * A sub-selection applied to an attribute's value (an object, or each element of a list);
 * what is left empty is left out, as attributes without a value are. A value without
 * sub-attributes is kept when `others` says so (omitting), else dropped (picking).
 */
function within(value: unknown, selection: Selection, apply: (node: Json, selection: Selection) => Json, others: boolean): unknown {
  const one = (node: unknown) => {
    if (!isObject(node)) return others ? node : undefined;
    const kept = apply(node, selection);
    return Object.keys(kept).length > 0 ? kept : undefined;
  };
  if (!Array.isArray(value)) return one(value);
  const elements: unknown[] = [];
  for (const element of value) {
    const kept = one(element);
    if (kept !== undefined) elements.push(kept);
  }
  return elements.length > 0 ? elements : undefined;
}
