/** JSON as SCIM bodies hold it: objects whose attribute names are case-insensitive (RFC 7643 §2.1). */

export type Json = Record<string, unknown>;

export const isObject = (value: unknown): value is Json => typeof value === 'object' && value !== null && !Array.isArray(value);

/** An attribute by name, in any letter case (`Operations`, `Op`, `Value`, `userName`). */
export function attribute(object: Json, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const lower = name.toLowerCase();
  for (const key of Object.keys(object)) if (key.toLowerCase() === lower) return object[key];
  return undefined;
}
