/** The api_tokens table as both dialects read it. */
import { asc, eq } from 'drizzle-orm';
import { type Columns, type Filterable, selection } from './tables.ts';

/** An API token record's columns (all but the hash). */
export const tokenColumns = selection('id', 'groupId', 'label', 'createdAt', 'lastUsedAt', 'revokedAt', 'createdThroughApiTokenId');

/** The group's tokens, oldest first. */
export function tokensOf<Q>(query: Filterable<Q>, apiTokens: Columns<'groupId' | 'createdAt' | 'id'>, groupId: string): Q {
  return query.where(eq(apiTokens.groupId, groupId)).orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
}
