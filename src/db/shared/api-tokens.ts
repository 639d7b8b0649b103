/** The api_tokens table as both dialects read it. */
import type { Columns } from './tables.ts';

/** An API token record's columns (all but the hash). */
export function tokenColumns<T extends Columns<'id' | 'groupId' | 'label' | 'createdAt' | 'lastUsedAt' | 'revokedAt'>>(apiTokens: T): Pick<T, 'id' | 'groupId' | 'label' | 'createdAt' | 'lastUsedAt' | 'revokedAt'> {
  return {
    id: apiTokens.id,
    groupId: apiTokens.groupId,
    label: apiTokens.label,
    createdAt: apiTokens.createdAt,
    lastUsedAt: apiTokens.lastUsedAt,
    revokedAt: apiTokens.revokedAt,
  };
}
