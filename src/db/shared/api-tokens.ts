/** The api_tokens table as both dialects read it. */
import { asc, eq } from 'drizzle-orm';
import type { Columns, Filterable } from './tables.ts';

/** An API token record's columns (all but the hash). */
type TokenColumn = 'id' | 'groupId' | 'label' | 'createdAt' | 'lastUsedAt' | 'revokedAt' | 'createdThroughApiTokenId';

export function tokenColumns<T extends Columns<TokenColumn>>(apiTokens: T): Pick<T, TokenColumn> {
  return {
    id: apiTokens.id,
    groupId: apiTokens.groupId,
    label: apiTokens.label,
    createdAt: apiTokens.createdAt,
    lastUsedAt: apiTokens.lastUsedAt,
    revokedAt: apiTokens.revokedAt,
    createdThroughApiTokenId: apiTokens.createdThroughApiTokenId,
  };
}

/** The group's tokens, oldest first. */
export function tokensOf<Q>(query: Filterable<Q>, apiTokens: Columns<'groupId' | 'createdAt' | 'id'>, groupId: string): Q {
  return query.where(eq(apiTokens.groupId, groupId)).orderBy(asc(apiTokens.createdAt), asc(apiTokens.id));
}
