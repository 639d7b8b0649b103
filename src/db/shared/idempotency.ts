/** Idempotency keys as both dialects write them. */
import { lt, type SQL, sql } from 'drizzle-orm';
import { type IdempotencyClaim, IdempotentReplay, type StoredOutcome } from '../store.ts';
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

/**
 * rememberOutcome's answer, given its keyed write of nothing but the key: the outcome
 * it remembered, or, when the key was used already, what the key holds.
 */
export async function storedBy(write: Promise<unknown>, claim: IdempotencyClaim, outcome: string): Promise<StoredOutcome> {
  try {
    await write;
    return { field: claim.field, fingerprint: claim.fingerprint, outcome };
  } catch (error) {
    if (error instanceof IdempotentReplay) return error.stored;
    throw error;
  }
}
