/** Idempotency keys as both dialects write them. */
import { lt, type SQL, sql } from 'drizzle-orm';
import type { Columns } from './tables.ts';

/**
 * The ON CONFLICT of inserting a claim: it takes the key only if the key is expired
 * (an expired key is free again, its old outcome replaced); a live key is left as it is.
 */
export function takeExpiredKey<T extends Columns<'groupId' | 'key' | 'field' | 'expiresAt'>>(
  keys: T,
): { target: [T['groupId'], T['key'], T['field']]; set: Record<'fingerprint' | 'outcome' | 'createdAt' | 'expiresAt', SQL>; setWhere: SQL } {
  return {
    target: [keys.groupId, keys.key, keys.field],
    set: {
      fingerprint: sql`excluded.fingerprint`,
      outcome: sql`excluded.outcome`,
      createdAt: sql`excluded.created_at`,
      expiresAt: sql`excluded.expires_at`,
    },
    setWhere: lt(keys.expiresAt, sql`excluded.created_at`),
  };
}
