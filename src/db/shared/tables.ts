/**
 * What a query written once for both dialects knows of a table: its columns by
 * name. SQLite's and PostgreSQL's tables differ in type (sqlite-core, pg-core) but
 * agree on these names (API.md §6), so the selections and conditions in shared/
 * take either dialect's tables; the builder that runs them stays in the dialect.
 */
import type { Column, SQL } from 'drizzle-orm';

export type Columns<K extends string> = Record<K, Column>;

/** A record's columns by name: what picks them out of either dialect's table, each kept with its type. */
export function selection<const K extends string>(...names: K[]) {
  return <T extends Columns<K>>(table: T): Pick<T, K> =>
    Object.fromEntries(names.map((name) => [name, table[name]])) as Pick<T, K>;
}

/**
 * The end of a dialect's select builder (after `.from` and its joins) that a query
 * written once finishes: its condition and order, and then its page size or none.
 * Both dialects' builders fit it as they are, so the result keeps the dialect's type.
 */
export interface Filterable<Q> {
  where(condition: SQL | undefined): { orderBy(...order: SQL[]): Q };
}
export interface Pageable<Q> {
  where(condition: SQL | undefined): { orderBy(...order: SQL[]): { limit(limit: number): Q } };
}
