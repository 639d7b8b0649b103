/**
 * What a query written once for both dialects knows of a table: its columns by
 * name. SQLite's and PostgreSQL's tables differ in type (sqlite-core, pg-core) but
 * agree on these names (API.md §6), so the selections and conditions in shared/
 * take either dialect's tables; the builder that runs them stays in the dialect.
 */
import type { Column } from 'drizzle-orm';

export type Columns<K extends string> = Record<K, Column>;
